"""Scheduled insight work: rating-integrity detection over the recent window."""

import datetime as dt

from haochaping.audit.services import Actor
from haochaping.insight.integrity import integrity_detect
from haochaping.jobs.registry import periodic


@periodic("insight.detect_integrity", every=dt.timedelta(hours=6))
def detect_integrity() -> None:
    integrity_detect(actor=Actor.job("评价质量线索检测"))
