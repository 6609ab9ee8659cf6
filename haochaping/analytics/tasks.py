"""Scheduled analytics work: keep the rollups up to date."""

import datetime as dt

from haochaping.analytics.rollups import rollup_refresh
from haochaping.jobs.registry import periodic


@periodic("analytics.refresh_rollups", every=dt.timedelta(minutes=1))
def refresh_rollups() -> None:
    rollup_refresh()
