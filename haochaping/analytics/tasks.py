"""Scheduled analytics work: keep the rollups up to date; the previous month's 通报 on the 1st."""

import datetime as dt

from haochaping.analytics.rollups import rollup_refresh
from haochaping.analytics.services import report_generate_due, supervision_monthly
from haochaping.jobs.registry import periodic


@periodic("analytics.refresh_rollups", every=dt.timedelta(minutes=1))
def refresh_rollups() -> None:
    rollup_refresh()


@periodic("analytics.supervision_monthly", every=dt.timedelta(hours=6))
def supervision_monthly_run() -> None:
    """重点督办: evaluate last month's rules once, as soon as the rollups have passed its end."""
    supervision_monthly()


@periodic("analytics.monthly_report", every=dt.timedelta(hours=1))
def monthly_report() -> None:
    """Hourly and idempotent: generates what is missing (once per month and root unit)."""
    report_generate_due()
