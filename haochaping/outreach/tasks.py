"""Scheduled outreach work: the call lists, the demand deadline watch, the supervisors' daily
digest of overdue cases and demands, rate-limit upkeep."""

import datetime as dt

from haochaping.audit.services import Actor
from haochaping.jobs.registry import periodic
from haochaping.outreach.services.calls import call_lists_generate
from haochaping.outreach.services.demands import demand_scan_deadlines, portal_attempts_purge
from haochaping.outreach.services.digest import supervision_digest_daily


@periodic("outreach.generate_call_lists", every=dt.timedelta(minutes=15))
def generate_call_lists() -> None:
    call_lists_generate(actor=Actor.job("回访清单生成"))


@periodic("outreach.scan_demand_deadlines", every=dt.timedelta(minutes=5))
def scan_demand_deadlines() -> None:
    demand_scan_deadlines()


@periodic("outreach.supervision_digest", every=dt.timedelta(minutes=30))
def supervision_digest() -> None:
    supervision_digest_daily()


@periodic("outreach.purge_portal_attempts", every=dt.timedelta(days=1))
def purge_portal_attempts() -> None:
    portal_attempts_purge()
