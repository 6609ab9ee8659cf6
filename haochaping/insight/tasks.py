"""Scheduled insight work: common-problem detection (制度第十一条) and its deadline watch."""

import datetime as dt

from haochaping.insight.problems.detection import problems_detect
from haochaping.insight.problems.services import problem_scan_deadlines
from haochaping.jobs.registry import periodic


@periodic("insight.problems_detect", every=dt.timedelta(hours=6))
def detect_problems() -> None:
    problems_detect()


@periodic("insight.problems_scan_deadlines", every=dt.timedelta(minutes=5))
def scan_problem_deadlines() -> None:
    problem_scan_deadlines()
