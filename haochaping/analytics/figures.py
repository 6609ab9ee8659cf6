"""The figures of a period for a slice: each measure now, the period before (环比) and the same
period a year earlier (同比), and the same per unit below the slice's unit.

The 综合分析 page, its Excel export and the 通报 snapshot all read them from here, so the page
and the report cannot disagree on which measures are shown or how a change is computed.
"""

from __future__ import annotations

from dataclasses import dataclass

from haochaping.analytics.kpis import Counts, Kpi, Slice, UnitRow, change, counts, counts_by, kpi_list, roll_up
from haochaping.analytics.periods import Period

# The tiles, in the order a director reads them (综合分析 and 表1 of the 通报).
TILES = ("services", "ratings", "rating_rate", "active_rate", "good_rate", "bad_rate", "score", "invalid",
         "rectify_rate", "on_time_rate", "overdue_open", "rectify_satisfaction", "callback_rate", "demands",
         "demand_on_time_rate")  # fmt: skip
# The per-unit table's measures.
UNIT_COLUMNS = ("ratings", "rating_rate", "good_rate", "bad_rate", "score", "rectify_rate", "on_time_rate",
                "overdue_open")  # fmt: skip


def kpis_by_code() -> dict[str, Kpi]:
    return {k.code: k for k in kpi_list()}


@dataclass
class Figure:
    kpi: Kpi
    value: float | None
    previous: float | None
    year_earlier: float | None
    counts: Counts

    @property
    def vs_previous(self) -> float | None:
        return change(self.value, self.previous)

    @property
    def vs_year(self) -> float | None:
        return change(self.value, self.year_earlier)

    def trend(self, delta: float | None) -> str:
        """better / worse / same, for the arrow's colour."""
        if delta is None or abs(delta) < 1e-9:
            return "same"
        return "better" if (delta > 0) == self.kpi.higher_is_better else "worse"

    @property
    def trend_previous(self) -> str:
        return self.trend(self.vs_previous)

    @property
    def trend_year(self) -> str:
        return self.trend(self.vs_year)

    @property
    def workings(self) -> str:
        """The numerator and denominator, e.g. "35 ÷ 1,024"."""
        if self.kpi.denominator is None or self.value is None:
            return ""
        return f"{self.kpi.numerator(self.counts):,} ÷ {self.kpi.denominator(self.counts):,}"


@dataclass
class UnitLine:
    row: UnitRow
    figures: dict[str, float | None]
    previous: dict[str, float | None]

    @property
    def name(self) -> str:
        return self.row.unit.name + ("（本级）" if self.row.depth == 0 else "")


def figures_of(now: Counts, before: Counts, year: Counts) -> list[Figure]:
    by_code = kpis_by_code()
    return [Figure(by_code[c], by_code[c].value(now), by_code[c].value(before), by_code[c].value(year), now)
            for c in TILES]  # fmt: skip


def figures(slice_: Slice, period: Period) -> tuple[list[Figure], Counts, Counts, Counts]:
    """The tiles of ``period`` with 环比 and 同比, and the three periods' counts."""
    now, before, year = counts(slice_, [period, period.previous(), period.year_earlier()])
    return figures_of(now, before, year), now, before, year


def unit_lines(slice_: Slice, period: Period) -> list[UnitLine]:
    by_code = kpis_by_code()
    current = roll_up(slice_.unit_path, counts_by(slice_, period, "unit"))
    before = {r.unit.pk: r.counts for r in roll_up(slice_.unit_path, counts_by(slice_, period.previous(), "unit"))}
    lines = []
    for row in current:
        prev = before.get(row.unit.pk, Counts())
        lines.append(UnitLine(row, {c: by_code[c].value(row.counts) for c in UNIT_COLUMNS},
                              {c: by_code[c].value(prev) for c in UNIT_COLUMNS}))  # fmt: skip
    return lines
