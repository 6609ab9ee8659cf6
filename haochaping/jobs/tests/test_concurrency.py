"""Several workers at once: every job runs exactly once (SQLite write lock / PostgreSQL SKIP LOCKED)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from haochaping.jobs.models import Job, JobStatus
from haochaping.jobs.services import job_enqueue
from haochaping.jobs.worker import run_worker

from .conftest import CALLS

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_workers_never_run_the_same_job_twice():
    jobs = 60
    for n in range(jobs):
        job_enqueue("tests.record", args={"n": n, "pause": 0.002})

    def work(i: int) -> int:
        try:
            return run_worker(threading.Event(), worker_id=f"w{i}", once=True, batch=3).runs
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(work, range(4)))

    assert sum(runs) == jobs
    assert sorted(n for _, n in CALLS) == list(range(jobs))  # each exactly once
    assert Job.objects.filter(status=JobStatus.DONE, attempts=1).count() == jobs
