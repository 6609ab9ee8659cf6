"""The worker loop: claim due jobs, run them, sleep; keep every periodic task scheduled.

``run_worker`` runs in the calling thread until ``stop_event`` is set (or, with ``once``, until
no job is due). ``manage.py worker`` calls it from the main thread with SIGTERM/SIGINT wired to
the event; ``start_worker_thread`` runs it beside a web server in the same process.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field

from django.db import close_old_connections, connection, connections

from haochaping.jobs import registry
from haochaping.jobs.services import describe_error, job_claim, job_release, job_run, periodic_jobs_ensure

logger = logging.getLogger("haochaping.jobs")

PERIODIC_CHECK_SECONDS = 60.0  # how often a long-running worker re-checks the periodic schedule
ERROR_PAUSE_SECONDS = 5.0  # after a failed iteration (database unreachable...), before trying again


@dataclass
class WorkerStats:
    """What one ``run_worker`` call did, by outcome of ``job_run``."""

    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        outcome = str(outcome)  # JobStatus members and "skipped"/"lost" alike
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    @property
    def runs(self) -> int:
        return sum(self.outcomes.values())

    def __getitem__(self, outcome: str) -> int:
        return self.outcomes.get(outcome, 0)


def default_worker_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


def run_worker(
    stop_event: threading.Event,
    *,
    worker_id: str | None = None,
    once: bool = False,
    max_seconds: float | None = None,
    sleep: float = 1.0,
    batch: int = 10,
) -> WorkerStats:
    """Claim → run → sleep until ``stop_event`` is set, ``max_seconds`` pass, or (``once``) nothing is due.

    Safe to run in several processes and threads at once: claims never overlap. A job claimed
    but not started when the worker stops is handed back to the queue.
    """
    worker_id = worker_id or default_worker_id()
    registry.load_tasks()
    stats = WorkerStats()
    started = time.monotonic()
    next_periodic_check = started

    def should_stop() -> bool:
        return stop_event.is_set() or (max_seconds is not None and time.monotonic() - started >= max_seconds)

    logger.info("worker %s started", worker_id)
    while not should_stop():
        try:
            _drop_broken_connections()
            if time.monotonic() >= next_periodic_check:
                periodic_jobs_ensure()
                next_periodic_check = time.monotonic() + PERIODIC_CHECK_SECONDS
            jobs = job_claim(worker_id, batch)
            for index, job in enumerate(jobs):
                if should_stop():
                    job_release(jobs[index:], worker_id)
                    break
                stats.count(job_run(job, worker_id=worker_id))
        except Exception as exc:
            # The database went away, a deploy is migrating...: keep the worker alive.
            if once:
                raise
            logger.error("worker %s: iteration failed: %s", worker_id, describe_error(exc))
            stop_event.wait(max(sleep, ERROR_PAUSE_SECONDS))
            continue
        if not jobs:
            if once:
                break
            stop_event.wait(sleep)
    logger.info("worker %s stopped: %s", worker_id, stats.outcomes or "no jobs")
    return stats


def _drop_broken_connections() -> None:
    # Like Django does between requests. Never inside an atomic block (a test's transaction).
    if not connection.in_atomic_block:
        close_old_connections()


def start_worker_thread(stop_event: threading.Event, **options) -> threading.Thread:
    """Run ``run_worker`` in a daemon thread (e.g. beside the web server of ``haochaping serve``).

    Set ``stop_event`` and join the thread to stop it after its current job.
    """

    def target() -> None:
        try:
            run_worker(stop_event, **options)
        except Exception as exc:
            logger.error("worker thread crashed: %s", describe_error(exc))
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=target, name="haochaping-worker", daemon=True)
    thread.start()
    return thread
