"""The worker loop and `manage.py worker`: --once, periodic tasks, graceful stop, thread use."""

from __future__ import annotations

import datetime as dt
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command

from haochaping.jobs import registry
from haochaping.jobs.models import UNFINISHED, Job, JobStatus
from haochaping.jobs.registry import Periodic
from haochaping.jobs.services import job_enqueue, periodic_jobs_ensure
from haochaping.jobs.worker import run_worker, start_worker_thread

from .conftest import CALLS, T0

pytestmark = pytest.mark.django_db


def worker_once(*args: str) -> str:
    out = StringIO()
    call_command("worker", "--once", *args, stdout=out)
    return out.getvalue()


def test_once_runs_every_due_job_and_leaves_future_ones(frozen):
    due = [job_enqueue("tests.record", args={"n": n}, run_at=T0 - dt.timedelta(minutes=n)) for n in range(3)]
    future = job_enqueue("tests.record", args={"n": 99}, run_at=T0 + dt.timedelta(minutes=1))
    output = worker_once("--batch", "2")
    assert output.strip() == "后台任务：完成 3 个，失败待重试 0 个，放弃 0 个"
    assert CALLS == [("record", 2), ("record", 1), ("record", 0)]  # oldest run_at first
    assert set(Job.objects.filter(status=JobStatus.DONE).values_list("pk", flat=True)) == {j.pk for j in due}
    future.refresh_from_db()
    assert future.status == JobStatus.QUEUED and future.attempts == 0


def test_once_drains_jobs_enqueued_by_jobs_but_not_retries(frozen):
    job_enqueue("tests.flaky", args={"key": "x", "failures": 1})
    job_enqueue("tests.record", args={"n": 1})
    assert "完成 1 个，失败待重试 1 个" in worker_once()
    assert worker_once().startswith("后台任务：完成 0 个")  # the retry is 30 s away
    frozen.shift(dt.timedelta(seconds=30))
    assert "完成 1 个" in worker_once()
    assert CALLS == [("flaky", 1), ("record", 1), ("flaky", 2)]


@pytest.fixture
def every_five_minutes(monkeypatch):
    spec = Periodic("tests.tick", dt.timedelta(minutes=5))
    monkeypatch.setitem(registry.PERIODIC, spec.name, spec)
    return spec


def unfinished(name: str) -> list[Job]:
    return list(Job.objects.filter(name=name, status__in=UNFINISHED))


def test_a_periodic_task_always_has_exactly_one_future_job(frozen, every_five_minutes):
    worker_once()  # first start: runs now, then schedules the next run
    assert CALLS == [("tick", None)]
    [next_run] = unfinished("tests.tick")
    assert (next_run.run_at, next_run.unique_key) == (T0 + dt.timedelta(minutes=5), "periodic:tests.tick")

    assert periodic_jobs_ensure() == 0  # nothing to add while one is queued
    worker_once()
    assert len(CALLS) == 1 and unfinished("tests.tick") == [next_run]

    frozen.shift(dt.timedelta(minutes=5))
    worker_once()
    assert len(CALLS) == 2
    [after] = unfinished("tests.tick")
    assert after.run_at == T0 + dt.timedelta(minutes=10)
    assert Job.objects.filter(name="tests.tick", status=JobStatus.DONE).count() == 2


def test_a_failed_periodic_run_is_not_retried_but_the_next_run_is_scheduled(frozen, monkeypatch):
    spec = Periodic("tests.tick_fails", dt.timedelta(minutes=5))
    monkeypatch.setitem(registry.PERIODIC, spec.name, spec)
    assert "放弃 1 个" in worker_once()
    [next_run] = unfinished("tests.tick_fails")
    assert next_run.run_at == T0 + dt.timedelta(minutes=5) and next_run.max_attempts == 1
    assert Job.objects.get(name="tests.tick_fails", status=JobStatus.DEAD).last_error.startswith("RuntimeError")


def test_ensuring_periodic_jobs_twice_adds_one(frozen, every_five_minutes):
    assert periodic_jobs_ensure() == 1
    assert periodic_jobs_ensure() == 0
    assert len(unfinished("tests.tick")) == 1


def test_the_jobs_app_purges_finished_jobs_daily():
    assert registry.TASKS["jobs.purge_finished"].__module__ == "haochaping.jobs.tasks"


def test_sigterm_stops_the_worker_after_the_current_job_and_hands_back_the_rest(frozen):
    first = job_enqueue("tests.sigterm")
    rest = [job_enqueue("tests.record", args={"n": n}) for n in range(2)]
    started = time.monotonic()
    out = StringIO()
    call_command("worker", "--sleep", "0.05", "--max-seconds", "10", stdout=out)  # not --once
    assert time.monotonic() - started < 5
    assert CALLS == [("sigterm", None)]
    first.refresh_from_db()
    assert first.status == JobStatus.DONE
    for job in rest:
        job.refresh_from_db()
        assert (job.status, job.attempts, job.locked_by) == (JobStatus.QUEUED, 0, "")


def test_a_worker_stops_when_its_event_is_set_or_its_time_is_up():
    stop = threading.Event()
    stop.set()
    assert run_worker(stop).runs == 0
    started = time.monotonic()
    assert run_worker(threading.Event(), max_seconds=0.2, sleep=0.05).runs == 0
    assert 0.2 <= time.monotonic() - started < 2


@pytest.mark.django_db(transaction=True)
def test_a_worker_thread_runs_jobs_committed_while_it_sleeps():
    stop = threading.Event()
    thread = start_worker_thread(stop, sleep=0.05, worker_id="in-process")
    try:
        job = job_enqueue("tests.record", args={"n": 7})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and Job.objects.get(pk=job.pk).status != JobStatus.DONE:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert Job.objects.get(pk=job.pk).status == JobStatus.DONE
    assert CALLS == [("record", 7)]


def test_a_long_running_worker_survives_a_failed_iteration(monkeypatch, caplog):
    from haochaping.jobs import worker

    real_claim, calls = worker.job_claim, []

    def flaky_claim(worker_id, limit):
        calls.append(worker_id)
        if len(calls) == 1:
            raise ConnectionError("database at 10.0.0.5 unreachable")
        return real_claim(worker_id, limit)

    monkeypatch.setattr(worker, "job_claim", flaky_claim)
    monkeypatch.setattr(worker, "ERROR_PAUSE_SECONDS", 0.01)
    job_enqueue("tests.record", args={"n": 1})
    stats = run_worker(threading.Event(), max_seconds=0.5, sleep=0.01)
    assert stats["done"] == 1 and len(calls) > 2
    assert "iteration failed: ConnectionError at" in caplog.text and "10.0.0.5" not in caplog.text
    with pytest.raises(ConnectionError):  # --once reports it instead
        calls.clear()
        run_worker(threading.Event(), once=True)
