"""Scheduled insight work: the attribution of new bad ratings."""

import datetime as dt

from haochaping.insight.attribution.services import causes_refresh
from haochaping.jobs.registry import periodic


@periodic("insight.attribution_refresh", every=dt.timedelta(minutes=10))
def attribution_refresh() -> None:
    causes_refresh()
