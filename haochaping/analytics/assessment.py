"""考核得分 (制度第十二条, 通知 三(四)): a weighted score of the measures per unit or staff member
for a period (a month, usually), with its workings line by line.

Each measure's weight comes from ``ANALYTICS_ASSESSMENT_WEIGHTS`` (units) or
``ANALYTICS_ASSESSMENT_STAFF_WEIGHTS`` (staff members); both sum to 100 (``analytics.checks``).
A measure contributes ``weight × normalised value ÷ 100`` points, where the normalised value is

* a rate (0–1) × 100, or 100 × (1 − rate) for a measure where lower is better (差评率);
* 满意度得分 as it is (already 0–100).

A measure without data for an entity (no ratings, no cases due…) gives no points; its weight is
shared among the measures that have data, in proportion to their weights, so the total stays out
of 100 and is comparable. The workings say so on each line. An entity without any data has no
total and no rank.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from haochaping.analytics.kpis import Counts, Kpi, Slice, counts_by, kpi_get, roll_up
from haochaping.analytics.periods import Period
from haochaping.organizations.models import Staff

ENTITIES = {"unit": "单位", "staff": "工作人员"}
WEIGHABLE_KINDS = ("rate", "score")


def weights_for(entity: str) -> dict[str, int]:
    """The configured weights of ``entity`` ("unit" or "staff"), in their configured order."""
    raw = settings.ANALYTICS_ASSESSMENT_STAFF_WEIGHTS if entity == "staff" else settings.ANALYTICS_ASSESSMENT_WEIGHTS
    return {code: int(weight) for code, weight in raw.items()}


def weight_errors(weights: dict, *, entity: str) -> list[str]:
    """What is wrong with a weight table (empty when it is usable); messages for operators."""
    errors = []
    for code, weight in weights.items():
        try:
            kpi = kpi_get(code)
        except KeyError:
            errors.append(f"unknown measure {code!r}")
            continue
        if kpi.kind not in WEIGHABLE_KINDS:
            errors.append(f"{code!r} is a count, not a rate or score: it cannot be weighted")
        if entity == "staff" and kpi.people:
            errors.append(f"{code!r} exists for units only (callbacks, demands), not for staff members")
        if not isinstance(weight, int) or isinstance(weight, bool) or weight <= 0:
            errors.append(f"the weight of {code!r} must be a positive integer, not {weight!r}")
    if not errors and sum(weights.values()) != 100:
        errors.append(f"the weights sum to {sum(weights.values())}, not 100")
    if not weights:
        errors.append("no measure is weighted")
    return errors


@dataclass
class Line:
    """One measure's part of a total: the workings as the page and the workbook show them."""

    name: str
    value: str  # the measure as printed ("92.50%", "85.00", "—")
    weight: int  # the configured weight
    points: float | None  # None: no data, its weight went to the others
    note: str
    code: str = ""
    applied_weight: float = 0.0  # after redistribution
    normalised: float | None = None  # 0–100
    workings: str = ""  # numerator ÷ denominator


@dataclass
class Assessment:
    entity: str  # "unit" or "staff"
    key: int  # the unit's or staff member's id
    name: str
    total: float | None
    lines: list[Line]
    unit: str = ""  # a staff member's unit
    staff_no: str = ""
    code: str = ""  # a unit's code
    rank: int | None = None
    counts: Counts = field(default_factory=Counts)

    @property
    def ratings(self) -> int:
        return self.counts.ratings


def normalise(kpi: Kpi, value: float) -> float:
    """A measure on a 0–100 scale where more is better."""
    if kpi.kind == "score":
        return value
    return (value if kpi.higher_is_better else 1 - value) * 100


def assess(counts: Counts, weights: dict[str, int]) -> tuple[float | None, list[Line]]:
    """The total and the workings of one entity's counts under ``weights``."""
    kpis = {code: kpi_get(code) for code in weights}
    values = {code: kpi.value(counts) for code, kpi in kpis.items()}
    present = sum(weights[code] for code, value in values.items() if value is not None)
    missing = [kpis[code].name for code, value in values.items() if value is None]
    lines: list[Line] = []
    total = 0.0
    for code, kpi in kpis.items():
        weight, value = weights[code], values[code]
        workings = ""
        if kpi.denominator is not None and value is not None:
            workings = f"{kpi.numerator(counts):,} ÷ {kpi.denominator(counts):,}"
        if value is None:
            lines.append(
                Line(kpi.name, "—", weight, None, f"无数据：权重 {weight} 按比例分给其他有数据的指标", code=code)
            )
            continue
        applied = weight * 100 / present
        normalised = normalise(kpi, value)
        points = applied * normalised / 100
        total += points
        if kpi.kind == "score":
            basis = f"得分 {normalised:.2f}"
        elif kpi.higher_is_better:
            basis = f"{kpi.show(value)} → {normalised:.2f}"
        else:
            basis = f"1 − {kpi.show(value)} → {normalised:.2f}"
        note = f"{basis} × {applied:.2f}% = {points:.2f} 分"
        if applied != weight:
            note += f"（权重 {weight} 因{'、'.join(missing)}无数据调整为 {applied:.2f}）"
        lines.append(Line(kpi.name, kpi.show(value), weight, points, note, code, applied, normalised, workings))
    return (total if present else None), lines


def _ranked(rows: list[Assessment]) -> list[Assessment]:
    """Best total first; equal totals (to two decimals, as shown) share a rank; no total, no rank."""
    scored = sorted((r for r in rows if r.total is not None), key=lambda r: (-(r.total or 0), r.name))
    last, last_rank = None, 0
    for position, row in enumerate(scored, start=1):
        value = round(row.total or 0, 2)
        if value != last:
            last, last_rank = value, position
        row.rank = last_rank
    return scored + sorted((r for r in rows if r.total is None), key=lambda r: r.name)


def assessment(slice_: Slice, period: Period, *, entity: str = "unit") -> list[Assessment]:
    """Units below ``slice_.unit_path`` (each with its subtree) or staff members of the subtree,
    assessed for ``period``, ranked by total (best first). Staff members in the subtree without
    any service in the period are listed last, without a total."""
    if entity not in ENTITIES:
        raise ValueError(entity)
    weights = weights_for(entity)
    rows: list[Assessment] = []
    if entity == "unit":
        for unit_row in roll_up(slice_.unit_path, counts_by(slice_, period, "unit")):
            total, lines = assess(unit_row.counts, weights)
            name = unit_row.unit.name + ("（本级）" if unit_row.depth == 0 else "")
            rows.append(
                Assessment(
                    "unit", unit_row.unit.pk, name, total, lines, code=unit_row.unit.code, counts=unit_row.counts
                )
            )
        return _ranked(rows)
    grouped = counts_by(slice_, period, "staff")
    people = Staff.objects.filter(unit__path__startswith=slice_.unit_path).select_related("unit")
    if slice_.staff_id is not None:
        people = people.filter(pk=slice_.staff_id)
    ids = {k for k in grouped if k is not None}
    staff = {s.pk: s for s in Staff.objects.filter(pk__in=ids).select_related("unit")}
    staff.update({s.pk: s for s in people if s.is_active or s.pk in ids})
    for pk, person in staff.items():
        c = grouped.get(pk, Counts(people_only=True))
        total, lines = assess(c, weights)
        rows.append(
            Assessment(
                "staff", pk, person.name, total, lines, unit=person.unit.name, staff_no=person.staff_no, counts=c
            )
        )
    return _ranked(rows)


def weight_table(entity: str) -> list[tuple[Kpi, int]]:
    """The weights as shown next to the table: each measure (name, definition) and its weight."""
    return [(kpi_get(code), weight) for code, weight in weights_for(entity).items()]
