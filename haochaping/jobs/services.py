"""Writes on the job table: enqueue (the outbox), claim, run, release, periodic upkeep, purge.

Delivery is at least once: a job whose worker dies is reclaimed when its lease expires and
runs again, so tasks must be idempotent. Tasks run outside any transaction (their services
open their own), so a slow task (an SMS gateway, the provincial platform) never holds the
SQLite write lock; the job's own bookkeeping is a short transaction before and after.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from haochaping.jobs import registry
from haochaping.jobs.models import CLAIMABLE, UNFINISHED, Job, JobStatus

logger = logging.getLogger("haochaping.jobs")

BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=1)
ERROR_MAX_CHARS = 2000


def backoff(attempts: int) -> dt.timedelta:
    """Delay before the next try after ``attempts`` failed tries: 30 s, 1 min, 2 min … capped at 1 h."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.JOBS_LEASE_SECONDS)


def job_enqueue(
    name: str,
    *,
    args: dict[str, Any] | None = None,
    run_at: dt.datetime | None = None,
    unique_key: str | None = None,
    max_attempts: int = 5,
) -> Job:
    """Queue a run of task ``name`` inside the caller's transaction (the outbox pattern).

    The job exists if and only if the caller's transaction commits. With ``unique_key``, while
    an unfinished job holds that key the existing job is returned and nothing is added (the
    first enqueue wins; its ``run_at`` and ``args`` stay).
    """
    registry.get_task(name)  # a typo fails here, in the caller's test, not in the worker later
    if args is not None and not isinstance(args, dict):
        raise TypeError("job args are the task's keyword arguments: pass a dict")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    job = Job(
        name=name,
        args=args or {},
        run_at=run_at or timezone.now(),
        unique_key=unique_key,
        max_attempts=max_attempts,
    )
    if unique_key is None:
        job.save()
        return job
    for _ in range(3):  # the holder may finish between our failed insert and the lookup
        try:
            with transaction.atomic():  # a savepoint: the caller's transaction survives a duplicate
                job.save(force_insert=True)
            return job
        except IntegrityError:
            job.pk = None
            existing = Job.objects.filter(unique_key=unique_key, status__in=UNFINISHED).first()
            if existing is not None:
                return existing
    raise IntegrityError(f"could not enqueue job with unique key {unique_key!r}")


def _due(now: dt.datetime) -> Q:
    """Due queued/failed jobs, and running jobs whose worker's lease expired (it died or hung)."""
    return Q(status__in=CLAIMABLE, run_at__lte=now) | Q(status=JobStatus.RUNNING, locked_until__lt=now)


def job_claim(worker_id: str, limit: int = 10) -> list[Job]:
    """Atomically take up to ``limit`` due jobs for ``worker_id`` (oldest ``run_at`` first).

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets concurrent workers take disjoint rows without
    waiting. SQLite: the transaction starts with ``BEGIN IMMEDIATE`` (the write lock), so
    claims are serialised. On both, the UPDATE re-checks that each row is still due, so a row
    can never be taken twice.
    """
    now = timezone.now()
    until = now + lease()
    # A plain read first: an idle poll must not take the SQLite write lock (WAL reads never wait).
    if not Job.objects.filter(_due(now)).exists():
        return []
    with transaction.atomic():
        due = Job.objects.filter(_due(now)).order_by("run_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        rows = list(due.values_list("id", "status", "name")[:limit])
        if not rows:
            return []
        ids = [pk for pk, _, _ in rows]
        Job.objects.filter(_due(now), id__in=ids).update(
            status=JobStatus.RUNNING, locked_by=worker_id, locked_until=until, attempts=F("attempts") + 1
        )
        claimed = list(
            Job.objects.filter(id__in=ids, status=JobStatus.RUNNING, locked_by=worker_id, locked_until=until).order_by(
                "run_at", "id"
            )
        )
    taken = {job.pk for job in claimed}
    for pk, status, name in rows:
        if status == JobStatus.RUNNING and pk in taken:
            logger.warning("job %s (%s): lease expired, reclaimed by %s", pk, name, worker_id)
    return claimed


def job_release(jobs: list[Job], worker_id: str) -> int:
    """Give claimed but not started jobs back (a stopping worker); their attempt is not counted."""
    if not jobs:
        return 0
    return Job.objects.filter(id__in=[j.pk for j in jobs], status=JobStatus.RUNNING, locked_by=worker_id).update(
        status=JobStatus.QUEUED, locked_by="", locked_until=None, attempts=F("attempts") - 1
    )


def job_run(job: Job, *, worker_id: str | None = None) -> str:
    """Run a claimed job and record the outcome; returns the new status, or "skipped"/"lost".

    On an exception the job is retried after ``backoff(attempts)`` until ``max_attempts``,
    then it is dead. A periodic task's next run is queued when a run is done or dead.
    """
    worker_id = worker_id or job.locked_by
    # Renew the lease as the task starts: the batch may have waited since the claim. If it
    # was reclaimed meanwhile (our lease expired), the other worker runs it, not us.
    renewed = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, locked_by=worker_id).update(
        locked_until=timezone.now() + lease()
    )
    if not renewed:
        logger.warning("job %s (%s): lease lost before start, skipped by %s", job.pk, job.name, worker_id)
        return "skipped"
    if job.attempts > job.max_attempts:  # reclaimed after its last attempt never reported back
        error = "lease expired on the final attempt (worker stopped, or the task outran the lease)"
        logger.error("job %s (%s): %s; dead", job.pk, job.name, error)
        return _finish(job, worker_id, JobStatus.DEAD, error=error)
    try:
        fn = registry.get_task(job.name)
    except registry.UnknownTask:
        logger.error("job %s: unknown task %r; dead", job.pk, job.name)
        return _finish(job, worker_id, JobStatus.DEAD, error=f"unknown task {job.name!r}")
    try:
        fn(**job.args)
    except Exception as exc:
        error = describe_error(exc)
        if job.attempts >= job.max_attempts:
            logger.error("job %s (%s) attempt %s/%s failed; dead: %s", *_ids(job), error)
            return _finish(job, worker_id, JobStatus.DEAD, error=error)
        retry_at = timezone.now() + backoff(job.attempts)
        logger.warning("job %s (%s) attempt %s/%s failed; retry at %s: %s", *_ids(job), retry_at.isoformat(), error)
        return _finish(job, worker_id, JobStatus.FAILED, error=error, retry_at=retry_at)
    return _finish(job, worker_id, JobStatus.DONE)


def _ids(job: Job) -> tuple[Any, ...]:
    return job.pk, job.name, job.attempts, job.max_attempts


def _finish(job: Job, worker_id: str, status: str, *, error: str = "", retry_at: dt.datetime | None = None) -> str:
    now = timezone.now()
    fields: dict[str, Any] = {"status": status, "locked_by": "", "locked_until": None}
    if error:
        fields["last_error"] = error
    if status == JobStatus.FAILED:
        fields["run_at"] = retry_at
    else:
        fields["finished_at"] = now
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, locked_by=worker_id).update(**fields)
        if not updated:
            logger.warning("job %s (%s): lease lost while running; outcome %s not recorded", job.pk, job.name, status)
            return "lost"
        spec = registry.get_periodic(job.name)
        if spec is not None and status in (JobStatus.DONE, JobStatus.DEAD):
            job_enqueue(spec.name, run_at=now + spec.every, unique_key=spec.unique_key, max_attempts=spec.max_attempts)
    for field, value in fields.items():
        setattr(job, field, value)
    return status


def describe_error(exc: BaseException) -> str:
    """Exception type and where it was raised; the message only for ``JobError``.

    Other messages may quote personal data (a phone number in a ValueError, a row in a
    database error), and ``last_error`` and the log must never hold identity.
    """
    kind = type(exc).__qualname__
    if type(exc).__module__ not in ("builtins", "__main__"):
        kind = f"{type(exc).__module__}.{kind}"
    if isinstance(exc, registry.JobError):
        kind = f"{kind}: {exc}"
    frames = traceback.extract_tb(exc.__traceback__)[-5:]
    where = " < ".join(f"{PurePath(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    return f"{kind} at {where}"[:ERROR_MAX_CHARS] if where else kind[:ERROR_MAX_CHARS]


def periodic_jobs_ensure() -> int:
    """Queue a first run (due now) of every periodic task that has no unfinished job; returns how many."""
    specs = registry.periodic_tasks()
    if not specs:
        return 0
    held = set(
        Job.objects.filter(unique_key__in=[s.unique_key for s in specs], status__in=UNFINISHED).values_list(
            "unique_key", flat=True
        )
    )
    created = 0
    for spec in specs:
        if spec.unique_key not in held:
            job_enqueue(spec.name, unique_key=spec.unique_key, max_attempts=spec.max_attempts)
            created += 1
    return created


def job_purge_finished(*, older_than: dt.timedelta, chunk: int = 1000) -> int:
    """Delete done jobs finished more than ``older_than`` ago, in short transactions. Dead jobs stay."""
    cutoff = timezone.now() - older_than
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                Job.objects.filter(status=JobStatus.DONE, finished_at__lt=cutoff).values_list("id", flat=True)[:chunk]
            )
            if not ids:
                return deleted
            deleted += Job.objects.filter(id__in=ids).delete()[0]
