"""The measures of SPEC §5, computed from the rollups for any period, subtree and slice.

``counts`` sums the rollup tables for one slice over several periods at once (one query per
table, a conditional sum per period, reading only the periods' days); ``KPIS`` turns those counts
into the measures, each with its definition as the pages show it. ``counts_by`` groups the same
sums by a dimension (unit subtree, window, staff member, item, channel, system, day) for
rankings, drill-downs and trends. A slice of a unit subtree alone, counted whole or by unit or
day, reads the unit totals (``ServiceUnitDay``, ``RatingUnitDay``, ``CaseUnitDay``: one row per
unit and day), and for the whole calendar months inside a period their month totals
(``ServiceUnitMonth``…: one row per unit and month; a year to date reads at most 11 month rows
and 30 day rows per unit, not up to 365): the months and the period's remaining days are summed
in one ``UNION ALL`` query per table. A narrower slice, or a grouping by another dimension, reads
the detailed tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from functools import reduce
from itertools import pairwise
from operator import or_

from django.conf import settings
from django.db.models import Case, IntegerField, Q, QuerySet, Sum, Value, When

from haochaping.analytics.models import (
    CallbackDay,
    CaseDay,
    CaseUnitDay,
    CaseUnitMonth,
    DemandDay,
    RatingDay,
    RatingUnitDay,
    RatingUnitMonth,
    ServiceDay,
    ServiceUnitDay,
    ServiceUnitMonth,
)
from haochaping.analytics.periods import Period
from haochaping.evaluations.choices import Level
from haochaping.organizations.models import Unit
from haochaping.outreach.choices import TaskKind

# 满意度得分: each level's points (a linear map of the five levels onto 0–100).
LEVEL_POINTS = {5: 100, 4: 75, 3: 50, 2: 25, 1: 0}


@dataclass(frozen=True)
class Slice:
    """Which facts a figure counts: a unit subtree (the caller's scope or a unit below it), and
    optionally one window, staff member, item, rating channel or source system. Callbacks and
    demands belong to a unit only: a slice narrowed further leaves them out (``people_only``)."""

    unit_path: str
    staff_id: int | None = None
    window_id: int | None = None
    item_id: int | None = None
    channel: int | None = None
    system_id: int | None = None

    @property
    def narrowed(self) -> bool:
        return any(v is not None for v in (self.staff_id, self.window_id, self.item_id, self.channel, self.system_id))

    def apply(self, qs: QuerySet, *, channel: bool = True, dims: bool = True) -> QuerySet:
        # The subtree as ``unit_id IN (ids of the subtree)`` rather than a join on the unit's
        # path per rollup row: SQLite then reads the rollup rows by the (unit, day) key instead of
        # looking the unit up for every row (3-4× faster on a month of a large district);
        # PostgreSQL plans both as a hash semi-join.
        qs = qs.filter(unit_id__in=Unit.objects.filter(path__startswith=self.unit_path).values("pk"))
        if dims:
            for name in ("staff_id", "window_id", "item_id", "system_id"):
                value = getattr(self, name)
                if value is not None:
                    qs = qs.filter(**{name: value})
        if channel and self.channel is not None:
            qs = qs.filter(channel=self.channel)
        return qs


@dataclass
class Counts:
    """The sums behind every measure, for one slice and period."""

    services: int = 0
    rated: int = 0
    rated_active: int = 0
    ratings: int = 0  # every rating given, valid or not
    invalid: int = 0  # made invalid by an approved appeal
    default: int = 0  # given by the system by default (not by the person)
    level_5: int = 0  # valid ratings per level
    level_4: int = 0
    level_3: int = 0
    level_2: int = 0
    level_1: int = 0
    cases: int = 0
    invalidated: int = 0
    rectified: int = 0
    due: int = 0
    on_time: int = 0
    overdue_open: int = 0
    escalated: int = 0
    extended: int = 0
    reopened: int = 0
    closed: int = 0
    callbacks_required: int = 0
    callbacks_done: int = 0
    rectify_satisfied: int = 0  # bad-rating callbacks: citizen satisfied with the rectification
    rectify_unsatisfied: int = 0
    demands: int = 0
    demands_invalid: int = 0
    demands_replied: int = 0
    demands_on_time: int = 0
    demands_late: int = 0
    demands_satisfied: int = 0
    demands_unsatisfied: int = 0
    # True when callbacks and demands are not counted (a slice narrower than a unit).
    people_only: bool = False

    def add(self, other: Counts) -> None:
        for f in fields(self):
            if f.type == "int":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def valid(self) -> int:
        return self.ratings - self.invalid

    @property
    def good(self) -> int:
        return self.level_5 + self.level_4 + (self.level_3 if settings.ANALYTICS_BASIC_IS_GOOD else 0)

    @property
    def bad(self) -> int:
        return self.level_2 + self.level_1

    @property
    def points(self) -> int:
        return sum(LEVEL_POINTS[level] * getattr(self, f"level_{level}") for level in LEVEL_POINTS)

    def level(self, level: int) -> int:
        return getattr(self, f"level_{level}")


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Kpi:
    """A measure: a count (the numerator alone) or numerator ÷ denominator (a rate, or the score:
    points ÷ valid ratings)."""

    code: str
    name: str
    definition: str
    numerator: Callable[[Counts], int]
    denominator: Callable[[Counts], int] | None = None
    kind: str = "rate"  # rate (shown as %), score (0–100), count
    higher_is_better: bool = True
    people: bool = False  # needs callbacks/demands (not available on a narrowed slice)

    def value(self, counts: Counts) -> float | None:
        if self.people and counts.people_only:
            return None
        if self.denominator is None:
            return self.numerator(counts)
        return _ratio(self.numerator(counts), self.denominator(counts))

    def shown(self, counts: Counts) -> str:
        """This measure of ``counts`` as printed."""
        return self.show(self.value(counts))

    def show(self, value: float | None) -> str:
        """A value of this measure as pages and workbooks print it."""
        if value is None:
            return "—"
        if self.kind == "rate":
            return f"{value * 100:.2f}%"
        if self.kind == "score":
            return f"{value:.2f}"
        return f"{int(value):,}"


def _good_definition() -> str:
    basic = "（非常满意+满意+基本满意）" if settings.ANALYTICS_BASIC_IS_GOOD else "（非常满意+满意；基本满意不计入）"
    return f"{basic} ÷ 有效评价数；有效评价不含经审核认定的无效评价。"


def _kpis() -> list[Kpi]:
    return [
        Kpi(
            "services",
            "办件服务数",
            "统计期内推送或登记的服务次数（每次服务一次评价机会）。",
            lambda c: c.services,
            kind="count",
        ),
        Kpi(
            "ratings",
            "评价数",
            "统计期内收到的评价，含系统默认评价和已认定无效的评价。",
            lambda c: c.ratings,
            kind="count",
        ),
        Kpi(
            "rating_rate",
            "评价率",
            "统计期内的服务中已评价的 ÷ 服务数（评价可在服务之后到达）。",
            lambda c: c.rated,
            lambda c: c.services,
        ),
        Kpi(
            "active_rate",
            "主动评价率",
            "统计期内的服务中由办事人本人评价的（不含系统默认评价）÷ 服务数。",
            lambda c: c.rated_active,
            lambda c: c.services,
        ),
        Kpi(
            "good_rate",
            "好评率",
            _good_definition(),
            lambda c: c.good,
            lambda c: c.valid,
        ),
        Kpi(
            "bad_rate",
            "差评率",
            "（不满意+非常不满意）÷ 有效评价数；无效评价不计入，但在评价列表中列出。",
            lambda c: c.bad,
            lambda c: c.valid,
            higher_is_better=False,
        ),
        Kpi(
            "score",
            "满意度得分",
            "有效评价的平均得分：非常满意 100、满意 75、基本满意 50、不满意 25、非常不满意 0。",
            lambda c: c.points,
            lambda c: c.valid,
            kind="score",
        ),
        Kpi(
            "invalid",
            "无效评价",
            "经申请、督查审核同意认定为恶意差评的评价数（制度第八条）。",
            lambda c: c.invalid,
            kind="count",
            higher_is_better=False,
        ),
        Kpi(
            "rectify_rate",
            "差评整改率",
            "统计期内产生的差评工单中已整改的 ÷（差评工单 − 无效评价）。",
            lambda c: c.rectified,
            lambda c: c.cases - c.invalidated,
        ),
        Kpi(
            "on_time_rate",
            "按期整改率",
            "统计期内产生的差评工单中按期（含经批准延期后的期限）整改的 ÷ 已到期的（已整改或已过期限的）工单。",
            lambda c: c.on_time,
            lambda c: c.due,
        ),
        Kpi(
            "overdue_open",
            "逾期未整改",
            "已过整改期限仍未整改的差评工单数（截至最近一次统计刷新）。",
            lambda c: c.overdue_open,
            kind="count",
            higher_is_better=False,
        ),
        Kpi(
            "rectify_satisfaction",
            "整改满意率",
            "差评整改回访中群众对整改结果表示满意、基本满意的 ÷ 表态的（满意、基本满意、不满意）。",
            lambda c: c.rectify_satisfied,
            lambda c: c.rectify_satisfied + c.rectify_unsatisfied,
            people=True,
        ),
        Kpi(
            "callback_rate",
            "回访率",
            "统计期内生成的回访任务（差评整改回访、投诉回访）中已回访的 ÷ 应回访。",
            lambda c: c.callbacks_done,
            lambda c: c.callbacks_required,
            people=True,
        ),
        Kpi(
            "demands",
            "诉求数",
            "统计期内受理的诉求、咨询、投诉和意见建议（含不予受理的）。",
            lambda c: c.demands,
            kind="count",
            people=True,
        ),
        Kpi(
            "demand_on_time_rate",
            "诉求按期答复率",
            "按期答复的诉求 ÷（按期答复 + 超期答复 + 已超期仍未答复的）诉求。",
            lambda c: c.demands_on_time,
            lambda c: c.demands_on_time + c.demands_late,
            people=True,
        ),
    ]


def kpi_list() -> list[Kpi]:
    """The measures (built on each call: the 好评 definition follows the setting)."""
    return _kpis()


def kpi_get(code: str) -> Kpi:
    for kpi in _kpis():
        if kpi.code == code:
            return kpi
    raise KeyError(code)


# -- sums --------------------------------------------------------------------------------------

SUMS: dict[str, dict[str, str]] = {
    "service": {"services": "services", "rated": "rated", "rated_active": "rated_active"},
    "case": {
        name: name
        for name in (
            "cases",
            "invalidated",
            "rectified",
            "due",
            "on_time",
            "overdue_open",
            "escalated",
            "extended",
            "reopened",
            "closed",
        )
    },
    "demand": {
        "demands": "received",
        "demands_invalid": "invalid",
        "demands_replied": "replied",
        "demands_on_time": "on_time",
        "demands_late": "late",
        "demands_satisfied": "satisfied",
        "demands_unsatisfied": "unsatisfied",
    },
}


def _rating_sums() -> dict[str, Sum]:
    sums = {
        "ratings": Sum("ratings"),
        "invalid": Sum("ratings", filter=Q(invalid=True)),
        "default": Sum("ratings", filter=Q(is_default=True)),
    }
    for level in Level.values:
        sums[f"level_{level}"] = Sum("ratings", filter=Q(level=level, invalid=False))
    return sums


def _callback_sums() -> dict[str, Sum]:
    bad = Q(kind=TaskKind.CALLBACK_BAD_RATING)
    return {
        "callbacks_required": Sum("required"),
        "callbacks_done": Sum("done"),
        "rectify_satisfied": Sum("satisfied", filter=bad),
        "rectify_unsatisfied": Sum("unsatisfied", filter=bad),
    }


def _unit_rating_sums() -> dict[str, Sum]:
    sums = {"ratings": Sum("ratings"), "invalid": Sum("invalid"), "default": Sum("by_default")}
    for level in Level.values:
        sums[f"level_{level}"] = Sum(f"level_{level}")
    return sums


ALL_TABLES = ("service", "rating", "case", "callback", "demand")


def _in(period: Period) -> Q:
    return Q(day__gte=period.first, day__lte=period.last)


ONE_DAY = dt.timedelta(days=1)


def month_split(period: Period) -> tuple[tuple[dt.date, dt.date] | None, list[tuple[dt.date, dt.date]]]:
    """The whole calendar months inside ``period`` (the first days of the first and the last of
    them; None: none) and the period's other days, as at most two ranges (first, last)."""
    first = period.first if period.first.day == 1 else Period.of("month", period.first).next().first
    end = period.last if Period.of("month", period.last).last == period.last else period.last.replace(day=1) - ONE_DAY
    if first > end:
        return None, [(period.first, period.last)]
    days = [(period.first, first - ONE_DAY), (end + ONE_DAY, period.last)]
    return (first, end.replace(day=1)), [(a, b) for a, b in days if a <= b]


def _days_q(period: Period) -> Q | None:
    """The day-table rows of ``period`` that its month totals do not hold (None: none)."""
    _months, days = month_split(period)
    if not days:
        return None
    return reduce(or_, (Q(day__gte=a, day__lte=b) for a, b in days))


def _months_q(period: Period) -> Q | None:
    months, _days = month_split(period)
    return None if months is None else Q(month__gte=months[0], month__lte=months[1])


@dataclass(frozen=True)
class Source:
    """A rollup table narrowed to a slice, and which of its rows hold a period's facts."""

    qs: QuerySet
    rows_of: Callable[[Period], Q | None] = _in  # None: no row of this table holds the period's


def _tables(
    slice_: Slice, *, totals: bool = True, months: bool = True, tables: Iterable[str] = ALL_TABLES
) -> list[tuple[list[Source], dict[str, Sum]]]:
    """Each rollup table of ``tables`` narrowed to the slice, with the sums it gives: the unit
    totals for a slice that is a unit subtree only (unless ``totals`` is False; with ``months``,
    the month totals for a period's whole months and the day totals for its other days), else
    the detailed tables. Callbacks and demands only for a slice that is a unit subtree."""
    wanted = set(tables)
    found: list[tuple[str, list[Source], dict[str, Sum]]] = []

    def unit_totals(day_model, month_model) -> list[Source]:
        days = slice_.apply(day_model.objects.all(), channel=False, dims=False)
        if not months:
            return [Source(days)]
        return [Source(days, _days_q), Source(slice_.apply(month_model.objects.all(), channel=False, dims=False),
                                              _months_q)]  # fmt: skip

    if totals and not slice_.narrowed:
        found += [
            ("service", unit_totals(ServiceUnitDay, ServiceUnitMonth), {k: Sum(v) for k, v in SUMS["service"].items()}),
            ("rating", unit_totals(RatingUnitDay, RatingUnitMonth), _unit_rating_sums()),
            ("case", unit_totals(CaseUnitDay, CaseUnitMonth), {k: Sum(v) for k, v in SUMS["case"].items()}),
        ]
    else:
        found += [
            ("service", [Source(slice_.apply(ServiceDay.objects.all(), channel=False))],
             {k: Sum(v) for k, v in SUMS["service"].items()}),
            ("rating", [Source(slice_.apply(RatingDay.objects.all()))], _rating_sums()),
            ("case", [Source(slice_.apply(CaseDay.objects.all()))], {k: Sum(v) for k, v in SUMS["case"].items()}),
        ]  # fmt: skip
    if not slice_.narrowed:
        found += [
            ("callback", [Source(slice_.apply(CallbackDay.objects.all(), channel=False, dims=False))],
             _callback_sums()),
            ("demand", [Source(slice_.apply(DemandDay.objects.all(), channel=False, dims=False))],
             {k: Sum(v) for k, v in SUMS["demand"].items()}),
        ]  # fmt: skip
    return [(sources, sums) for name, sources, sums in found if name in wanted]


def _fill(target: Counts, row: dict) -> None:
    """Add a grouped row's sums (aliased ``s_<name>``) to ``target``."""
    for name, value in row.items():
        name = name.removeprefix("s_")
        setattr(target, name, getattr(target, name) + (value or 0))


def _disjoint(periods: list[Period]) -> bool:
    ordered = sorted(periods, key=lambda p: p.first)
    return all(a.last < b.first for a, b in pairwise(ordered))


def _union(parts: list[QuerySet]) -> Iterable[dict]:
    """The rows of the grouped queries (one per table a slice's periods read), in one query."""
    if not parts:
        return []
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


def counts(
    slice_: Slice, periods: Iterable[Period], *, tables: Iterable[str] = ALL_TABLES, months: bool = True
) -> list[Counts]:
    """The counts of each period for the slice: one query per rollup table (of ``tables``) for all
    periods, over the periods' days only (the day and month totals of a table in one query).
    Periods that do not overlap (a month, the month before, a year earlier) are told apart by a
    group key; overlapping ones by a conditional sum per period. ``months`` False: the day totals
    only (tests compare both)."""
    periods = list(periods)
    results = [Counts(people_only=slice_.narrowed) for _ in periods]
    disjoint = _disjoint(periods)
    for sources, sums in _tables(slice_, tables=tables, months=months):
        parts = []
        for source in sources:
            held = [(i, q) for i, q in ((i, source.rows_of(p)) for i, p in enumerate(periods)) if q is not None]
            if not held:
                continue
            within = reduce(or_, (q for _i, q in held))  # the periods' rows only, not those between
            qs = source.qs.filter(within)
            if disjoint:
                which = Case(*(When(q, then=Value(i)) for i, q in held), output_field=IntegerField())
                parts.append(qs.annotate(k_period=which).values("k_period")
                             .annotate(**{f"s_{k}": v for k, v in sums.items()}).order_by())  # fmt: skip
                continue
            aggregates = {}
            for i, period in enumerate(periods):
                q = source.rows_of(period)
                for name, total in sums.items():
                    if q is None:
                        aggregates[f"s_{i}__{name}"] = Value(0, output_field=IntegerField())
                        continue
                    condition = q & total.filter if total.filter is not None else q
                    aggregates[f"s_{i}__{name}"] = Sum(total.source_expressions[0], filter=condition)
            parts.append(qs.annotate(k_period=Value(-1, output_field=IntegerField())).values("k_period")
                         .annotate(**aggregates).order_by())  # fmt: skip
        for row in _union(parts):
            index = row.pop("k_period")
            if index >= 0:
                _fill(results[index], row)
                continue
            for key, value in row.items():
                position, name = key.removeprefix("s_").split("__", 1)
                _fill(results[int(position)], {name: value})
    return results


# -- grouped sums (rankings, drill-downs, trends) ------------------------------------------------


def counts_by(slice_: Slice, period: Period, by: str, *, tables: Iterable[str] = ALL_TABLES) -> dict[object, Counts]:
    """The period's counts grouped by ``by``: a unit id (its own facts, not its subtree's; roll up
    with ``roll_up``), window, staff or item id, channel, system id, or day. Facts without the
    dimension (a rating with no staff) group under None."""
    column = {
        "unit": "unit_id",
        "window": "window_id",
        "staff": "staff_id",
        "item": "item_id",
        "channel": "channel",
        "system": "system_id",
        "day": "day",
    }[by]
    results: dict[object, Counts] = {}
    people = by in ("unit", "day")
    wanted = [t for t in tables if people or t in ("service", "rating", "case")]
    if column == "channel":
        wanted = [t for t in wanted if t != "service"]  # services have no rating channel
    for sources, sums in _tables(slice_, totals=people, months=by == "unit", tables=wanted):
        parts = []
        for source in sources:
            q = source.rows_of(period)
            if q is not None:
                parts.append(source.qs.filter(q).values(column)
                             .annotate(**{f"s_{k}": v for k, v in sums.items()}).order_by())  # fmt: skip
        for row in _union(parts):
            key = row.pop(column)
            _fill(results.setdefault(key, Counts(people_only=slice_.narrowed or not people)), row)
    return results


@dataclass
class UnitRow:
    unit: Unit
    depth: int
    counts: Counts = field(default_factory=Counts)


def roll_up(unit_path: str, by_unit: dict[object, Counts], *, depth: int = 1) -> list[UnitRow]:
    """Units ``depth`` levels below ``unit_path`` (default: its children), each with the counts of
    its whole subtree; a unit at ``unit_path`` itself gets a "本级" row only when it has facts."""
    units = list(Unit.objects.filter(path__startswith=unit_path, is_active=True).order_by("path"))
    root = next((u for u in units if u.path == unit_path), None)
    base = root.depth if root else min((u.depth for u in units), default=0) - 1
    rows = {u.path: UnitRow(u, u.depth - base) for u in units if 0 < u.depth - base <= depth}
    own = UnitRow(root, 0) if root else None
    path_of = {u.pk: u.path for u in Unit.objects.filter(pk__in=[k for k in by_unit if k is not None])}
    for unit_id, c in by_unit.items():
        path = path_of.get(unit_id)  # type: ignore[arg-type]
        if path is None:
            continue
        target = own if root is not None and path == unit_path else None
        if target is None:
            parts = path.rstrip("/").split("/")
            for cut in range(len(parts), 0, -1):
                candidate = "/".join(parts[:cut]) + "/"
                if candidate in rows:
                    target = rows[candidate]
                    break
        if target is not None:
            target.counts.add(c)
    result = list(rows.values())
    if own is not None and (own.counts.ratings or own.counts.services or own.counts.cases):
        result.insert(0, own)
    return result


def change(current: float | None, before: float | None) -> float | None:
    """current − before (percentage points for rates), None when either is unknown."""
    if current is None or before is None:
        return None
    return current - before
