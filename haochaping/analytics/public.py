"""评价结果全公开 (通知 二(七)): what the public page shows, built from rollups and from the
structured fields of rectified cases only — never free text, never a person.

A rectified problem is told in the indicator set's own words (the reasons the citizen ticked,
else the rating's lowest dimensions), with the unit, the item and the month: no citizen, no staff
member, no number that leads back to either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from haochaping.analytics.kpis import Counts, Slice, counts_by, kpi_get, roll_up
from haochaping.analytics.periods import Period
from haochaping.evaluations.choices import Dimension
from haochaping.evaluations.selectors import reason_texts_bulk
from haochaping.organizations.models import Unit
from haochaping.rectification.models import CaseState, RectificationCase

PUBLIC_KPIS = ("good_rate", "rectify_rate", "on_time_rate")
RECTIFIED_SHOWN = 20


@dataclass
class PublicUnit:
    name: str
    month: Counts
    year: Counts

    def value(self, which: str, code: str) -> float | None:
        return kpi_get(code).value(self.month if which == "month" else self.year)

    @property
    def cells(self) -> list[str]:
        """The public measures of last month, then of the year, as printed."""
        return [percent(self.value(which, code)) for which in ("month", "year") for code in PUBLIC_KPIS]


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@dataclass
class RectifiedProblem:
    unit: str
    item: str
    problem: str
    month: str


@dataclass
class PublicResults:
    root: Unit | None
    month: Period
    year: Period
    units: list[PublicUnit]
    total_month: Counts
    total_year: Counts
    rectified: list[RectifiedProblem]


def _problem(case: RectificationCase, reasons: list[str]) -> str:
    if reasons:
        return "；".join(reasons)
    evaluation = case.evaluation
    low = [d.label for d in Dimension if (getattr(evaluation, d.value, None) or 5) <= 2]
    return f"对“{'、'.join(low)}”不满意" if low else "对服务总体不满意"


def public_results(*, today: dt.date | None = None) -> PublicResults:
    today = today or timezone.localdate()
    root = Unit.objects.filter(parent__isnull=True, is_active=True).order_by("path").first()
    path = root.path if root else "/"
    month = Period.of("month", today).previous()
    year = Period("range", today.replace(month=1, day=1), month.last if month.last.year == today.year else today)
    if year.last < year.first:  # January: the year so far has no complete month yet
        year = Period.of("year", month.first)
    slice_ = Slice(unit_path=path)
    by_month = {r.unit.pk: r.counts for r in roll_up(path, counts_by(slice_, month, "unit"))}
    rows = roll_up(path, counts_by(slice_, year, "unit"))
    units = [PublicUnit(r.unit.name, by_month.get(r.unit.pk, Counts()), r.counts) for r in rows if r.depth == 1]
    total_month, total_year = Counts(), Counts()
    for unit in units:
        total_month.add(unit.month)
        total_year.add(unit.year)
    cases = list(
        RectificationCase.objects.filter(
            state__in=[CaseState.RECTIFIED, CaseState.FED_BACK, CaseState.CLOSED], rectified_at__isnull=False
        )
        .select_related("unit", "evaluation__record__item")
        .order_by("-rectified_at")[:RECTIFIED_SHOWN]
    )
    reasons = reason_texts_bulk([c.evaluation for c in cases if c.evaluation_id])
    rectified = [
        RectifiedProblem(
            unit=case.unit.name,
            item=case.evaluation.record.item.name,
            problem=_problem(case, reasons.get(case.evaluation_id, [])),
            month=f"{timezone.localtime(case.rectified_at):%Y年%-m月}",
        )
        for case in cases
        if case.evaluation_id
    ]
    return PublicResults(root, month, year, units, total_month, total_year, rectified)
