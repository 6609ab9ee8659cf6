"""The jobs app's own upkeep."""

import datetime as dt

from django.conf import settings

from haochaping.jobs.registry import periodic
from haochaping.jobs.services import job_purge_finished


@periodic("jobs.purge_finished", every=dt.timedelta(hours=24))
def purge_finished() -> None:
    """Done jobs are kept ``JOBS_KEEP_DONE_DAYS`` for inspection; dead ones stay until handled."""
    job_purge_finished(older_than=dt.timedelta(days=settings.JOBS_KEEP_DONE_DAYS))
