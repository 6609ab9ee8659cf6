"""Scheduled insight work: the attribution of new bad ratings; rating-integrity detection over
the recent window; common-problem detection (制度第十一条) and its deadline watch."""

import datetime as dt

from haochaping.audit.services import Actor
from haochaping.insight.attribution.services import causes_refresh
from haochaping.insight.integrity import integrity_detect
from haochaping.insight.problems.detection import problems_detect
from haochaping.insight.problems.services import problem_scan_deadlines
from haochaping.jobs.registry import periodic


@periodic("insight.attribution_refresh", every=dt.timedelta(minutes=10))
def attribution_refresh() -> None:
    causes_refresh()


@periodic("insight.detect_integrity", every=dt.timedelta(hours=6))
def detect_integrity() -> None:
    integrity_detect(actor=Actor.job("评价质量线索检测"))


@periodic("insight.problems_detect", every=dt.timedelta(hours=6))
def detect_problems() -> None:
    problems_detect()


@periodic("insight.problems_scan_deadlines", every=dt.timedelta(minutes=5))
def scan_problem_deadlines() -> None:
    problem_scan_deadlines()
