"""Scheduled rectification work: the deadline watch (warn, overdue, escalate)."""

import datetime as dt

from haochaping.jobs.registry import periodic
from haochaping.rectification.services import case_scan_deadlines


@periodic("rectification.scan_deadlines", every=dt.timedelta(minutes=5))
def scan_deadlines() -> None:
    case_scan_deadlines()
