"""Enqueueing (the outbox), claiming, running, retrying, giving up, reclaiming."""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import IntegrityError, connections, transaction

from haochaping.jobs.models import Job, JobStatus
from haochaping.jobs.registry import UnknownTask
from haochaping.jobs.services import (
    backoff,
    job_claim,
    job_enqueue,
    job_purge_finished,
    job_release,
    job_run,
    lease,
)

from .conftest import CALLS, T0

pytestmark = pytest.mark.django_db


def test_a_job_enqueued_in_a_rolled_back_transaction_does_not_exist():
    with pytest.raises(RuntimeError), transaction.atomic():
        job_enqueue("tests.record", args={"n": 1})
        raise RuntimeError("the domain change failed")
    assert not Job.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_job_enqueued_in_a_committed_transaction_is_visible_to_other_connections():
    def count_elsewhere() -> int:
        try:
            return Job.objects.filter(name="tests.record").count()
        finally:
            connections.close_all()

    with transaction.atomic():
        job = job_enqueue("tests.record", args={"n": 1})
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(count_elsewhere).result() == 0  # not before the commit
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(count_elsewhere).result() == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.args) == (JobStatus.QUEUED, 0, {"n": 1})


def test_an_unknown_task_name_is_refused_at_enqueue():
    with pytest.raises(UnknownTask):
        job_enqueue("tests.no_such_task")
    with pytest.raises(TypeError):
        job_enqueue("tests.record", args=[1])  # type: ignore[arg-type]
    assert not Job.objects.exists()


def test_a_unique_key_admits_one_unfinished_job_and_frees_up_when_it_is_done(frozen):
    first = job_enqueue("tests.record", args={"n": 1}, unique_key="case:7:escalate")
    again = job_enqueue("tests.record", args={"n": 2}, unique_key="case:7:escalate", run_at=T0 + dt.timedelta(hours=1))
    assert again.pk == first.pk and again.args == {"n": 1}
    assert Job.objects.count() == 1
    job_enqueue("tests.record", args={"n": 3}, unique_key="case:8:escalate")
    assert Job.objects.count() == 2

    [claimed] = job_claim("w1", limit=1)
    assert job_run(claimed) == JobStatus.DONE
    later = job_enqueue("tests.record", args={"n": 4}, unique_key="case:7:escalate")
    assert later.pk != first.pk
    assert Job.objects.filter(unique_key="case:7:escalate").count() == 2


def test_the_database_itself_refuses_a_second_unfinished_job_with_the_same_key():
    Job.objects.create(name="tests.record", unique_key="k", status=JobStatus.RUNNING)
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(name="tests.record", unique_key="k", status=JobStatus.FAILED)
    Job.objects.create(name="tests.record", unique_key="k", status=JobStatus.DONE)
    Job.objects.create(name="tests.record", unique_key="k", status=JobStatus.DEAD)
    assert Job.objects.filter(unique_key="k").count() == 3


def test_a_claim_takes_due_jobs_oldest_first_and_leaves_future_ones(frozen):
    late = job_enqueue("tests.record", args={"n": 2}, run_at=T0 - dt.timedelta(minutes=1))
    early = job_enqueue("tests.record", args={"n": 1}, run_at=T0 - dt.timedelta(minutes=5))
    future = job_enqueue("tests.record", args={"n": 3}, run_at=T0 + dt.timedelta(seconds=1))
    claimed = job_claim("w1", limit=10)
    assert [j.pk for j in claimed] == [early.pk, late.pk]
    assert all(j.status == JobStatus.RUNNING and j.locked_by == "w1" and j.attempts == 1 for j in claimed)
    assert claimed[0].locked_until == T0 + lease()
    assert job_claim("w2", limit=10) == []  # running and future jobs are nobody else's
    future.refresh_from_db()
    assert future.status == JobStatus.QUEUED


def test_a_failing_job_is_retried_with_exponential_backoff(frozen, caplog):
    caplog.set_level(logging.WARNING, logger="haochaping.jobs")
    job = job_enqueue("tests.flaky", args={"key": "a", "failures": 2})
    [claimed] = job_claim("w1")
    assert job_run(claimed) == JobStatus.FAILED
    job.refresh_from_db()
    assert (job.status, job.attempts, job.run_at) == (JobStatus.FAILED, 1, T0 + dt.timedelta(seconds=30))
    assert job.last_error.startswith("RuntimeError at conftest.py:")
    assert (job.locked_by, job.locked_until, job.finished_at) == ("", None, None)

    frozen.shift(dt.timedelta(seconds=29))
    assert job_claim("w1") == []
    frozen.shift(dt.timedelta(seconds=1))
    [claimed] = job_claim("w1")
    assert job_run(claimed) == JobStatus.FAILED
    job.refresh_from_db()
    assert job.run_at == T0 + dt.timedelta(seconds=30 + 60)

    frozen.shift(dt.timedelta(seconds=60))
    [claimed] = job_claim("w1")
    assert job_run(claimed) == JobStatus.DONE
    job.refresh_from_db()
    assert (job.status, job.attempts, job.finished_at) == (JobStatus.DONE, 3, T0 + dt.timedelta(seconds=90))
    assert CALLS == [("flaky", 1), ("flaky", 2), ("flaky", 3)]
    assert len([r for r in caplog.records if "failed; retry at" in r.getMessage()]) == 2


def test_backoff_doubles_from_thirty_seconds_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]


def test_a_job_is_dead_after_max_attempts_and_its_error_holds_no_identity(frozen, caplog):
    caplog.set_level(logging.WARNING, logger="haochaping.jobs")
    job = job_enqueue("tests.leaks_identity", max_attempts=2)
    job_run(job_claim("w1")[0])
    frozen.shift(backoff(1))
    assert job_run(job_claim("w1")[0]) == JobStatus.DEAD
    job.refresh_from_db()
    assert (job.status, job.attempts, job.finished_at) == (JobStatus.DEAD, 2, T0 + backoff(1))
    assert job.last_error.startswith("ValueError at conftest.py:")
    frozen.shift(dt.timedelta(days=1))
    assert job_claim("w1") == []  # dead jobs are never picked up again
    for secret in ("张三丰", "13812345678", "410404199001011234"):
        assert secret not in job.last_error
        assert secret not in caplog.text
    assert "dead" in caplog.records[-1].getMessage() and caplog.records[-1].levelno == logging.ERROR


def test_a_job_error_message_is_kept_for_operators(frozen):
    job = job_enqueue("tests.operator_error", max_attempts=1)
    assert job_run(job_claim("w1")[0]) == JobStatus.DEAD
    job.refresh_from_db()
    assert job.last_error.startswith("haochaping.jobs.registry.JobError: 上级平台返回 503，稍后重试 at conftest.py:")


def test_a_job_whose_task_no_longer_exists_is_dead_without_retries(frozen):
    job = Job.objects.create(name="tests.removed_in_last_release")
    assert job_run(job_claim("w1")[0]) == JobStatus.DEAD
    job.refresh_from_db()
    assert job.last_error == "unknown task 'tests.removed_in_last_release'"


def test_a_running_job_whose_lease_expired_is_reclaimed_and_the_old_worker_backs_off(frozen, caplog):
    caplog.set_level(logging.WARNING, logger="haochaping.jobs")
    job = job_enqueue("tests.record", args={"n": 1})
    [stale] = job_claim("crashed-worker")
    frozen.shift(lease())
    assert job_claim("w2") == []  # the lease runs until exactly locked_until
    frozen.shift(dt.timedelta(seconds=1))
    [reclaimed] = job_claim("w2")
    assert (reclaimed.pk, reclaimed.locked_by, reclaimed.attempts) == (job.pk, "w2", 2)
    assert "lease expired, reclaimed by w2" in caplog.text

    assert job_run(stale, worker_id="crashed-worker") == "skipped"  # it woke up: too late
    assert job_run(reclaimed) == JobStatus.DONE
    assert CALLS == [("record", 1)]


def test_a_job_reclaimed_after_its_last_attempt_is_dead(frozen):
    job = job_enqueue("tests.record", args={"n": 1}, max_attempts=1)
    job_claim("crashed-worker")
    frozen.shift(lease() + dt.timedelta(seconds=1))
    assert job_run(job_claim("w2")[0]) == JobStatus.DEAD
    job.refresh_from_db()
    assert job.last_error.startswith("lease expired on the final attempt")
    assert CALLS == []


def test_released_jobs_go_back_to_the_queue_without_counting_an_attempt(frozen):
    job_enqueue("tests.record", args={"n": 1})
    claimed = job_claim("w1")
    assert job_release(claimed, "w1") == 1
    [again] = job_claim("w2")
    assert (again.locked_by, again.attempts) == ("w2", 1)


def test_purging_deletes_old_done_jobs_and_keeps_dead_and_recent_ones(frozen):
    old = [job_enqueue("tests.record", args={"n": i}) for i in range(3)]
    dead = job_enqueue("tests.leaks_identity", max_attempts=1)
    for job in job_claim("w1"):
        job_run(job)
    frozen.shift(dt.timedelta(days=31))
    recent = job_enqueue("tests.record", args={"n": 9})
    job_run(job_claim("w1")[0])
    assert job_purge_finished(older_than=dt.timedelta(days=30), chunk=2) == 3
    assert set(Job.objects.values_list("pk", flat=True)) == {dead.pk, recent.pk}
    assert not Job.objects.filter(pk__in=[j.pk for j in old]).exists()
