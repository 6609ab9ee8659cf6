"""Scheduled insight work: the attribution of new bad ratings; rating-integrity detection over
the recent window."""

import datetime as dt

from haochaping.audit.services import Actor
from haochaping.insight.attribution.services import causes_refresh
from haochaping.insight.integrity import integrity_detect
from haochaping.jobs.registry import periodic


@periodic("insight.attribution_refresh", every=dt.timedelta(minutes=10))
def attribution_refresh() -> None:
    causes_refresh()


@periodic("insight.detect_integrity", every=dt.timedelta(hours=6))
def detect_integrity() -> None:
    integrity_detect(actor=Actor.job("评价质量线索检测"))
