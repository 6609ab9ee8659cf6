"""Reads of the attribution of bad ratings, org-scoped (``Scope``).

Who sees them: the centre's supervisors and department admins (their own subtree); both may
correct an attribution the citizen did not choose. Everyone else gets the 403 page.

A *slice* is the bad ratings (valid, ``BadRatingCause`` rows) of one unit's subtree rated within
``first``..``last``, optionally of one item, window or staff member. Counting rule: a rating counts
once in each of its dimensions; a share is that count over the ratings of the slice that have a
cause (``attributed``), see ``attribution.services``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Cast

from haochaping.core.errors import NotFound, PermissionDenied
from haochaping.evaluations.choices import DIMENSION_FIELDS, Dimension
from haochaping.evaluations.models import Evaluation, Indicator
from haochaping.insight.models import BadRatingCause, CauseSource
from haochaping.organizations.models import Role, Unit
from haochaping.organizations.selectors import Scope

VIEW_ROLES = (Role.SUPERVISOR, Role.DEPT_ADMIN)
PERIOD_KINDS = {"month": "月", "quarter": "季度", "year": "年"}
TREND_MONTHS = 6


def may_view(scope: Scope) -> bool:
    return scope.role in VIEW_ROLES and scope.staff_id is None


may_correct = may_view


def require_view(scope: Scope) -> None:
    if not may_view(scope):
        raise PermissionDenied("只有督查和单位管理员可以查看差评归因分析", code="attribution_forbidden")


def require_correct(scope: Scope) -> None:
    if not may_correct(scope):
        raise PermissionDenied("只有督查和单位管理员可以更正差评归因", code="attribution_forbidden")


# --- periods (a small local helper: insight sits below analytics and cannot use its Period) ----
def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def period_bounds(kind: str, on: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the month, quarter or year that contains ``on``."""
    if kind == "year":
        return on.replace(month=1, day=1), on.replace(month=12, day=31)
    months = 3 if kind == "quarter" else 1
    first = on.replace(month=(on.month - 1) // months * months + 1, day=1)
    last = _add_months(first, months) - dt.timedelta(days=1)
    return first, last


def period_label(kind: str, first: dt.date) -> str:
    if kind == "year":
        return f"{first.year}年"
    if kind == "quarter":
        return f"{first.year}年第{(first.month - 1) // 3 + 1}季度"
    return f"{first.year}年{first.month}月"


@dataclass(frozen=True)
class Slice:
    unit: Unit
    first: dt.date
    last: dt.date
    item_id: int | None = None
    window_id: int | None = None
    staff_id: int | None = None


def scoped_unit(scope: Scope, code: str | None) -> Unit:
    """The unit a caller asks for (their own unit when no code): another subtree's is a 404."""
    require_view(scope)
    if not code:
        unit = Unit.objects.filter(path=scope.unit_path).first()
    else:
        unit = Unit.objects.filter(code=code, path__startswith=scope.unit_path).first()
    if unit is None:
        raise NotFound("单位不存在或不在管理范围内", code="attribution_unit_not_found")
    return unit


def causes_of(
    slice_: Slice, *, days: tuple[dt.date, dt.date] | None = None, newest_first: bool = False
) -> QuerySet[BadRatingCause]:
    """The slice's causes. The subtree is "unit_id IN (its ids)", not a join on the unit's path
    per row: SQLite reads each unit's rows of the period by the (unit, day) index (the sums).
    ``newest_first`` (a list or the newest texts): "unit_id + 0" instead, so that the day index
    is walked newest first and the walk stops at the page's or the limit's rows, instead of
    every row of the period being read and sorted."""
    first, last = days or (slice_.first, slice_.last)
    subtree = Unit.objects.filter(path__startswith=slice_.unit.path).values("pk")
    qs = BadRatingCause.objects.filter(day__gte=first, day__lte=last, invalid=False)
    if newest_first:
        qs = qs.alias(cause_unit=F("unit_id") + 0).filter(cause_unit__in=subtree).order_by("-day", "-id")
    else:
        qs = qs.filter(unit_id__in=subtree)
    if slice_.item_id:
        qs = qs.filter(item_id=slice_.item_id)
    if slice_.window_id:
        qs = qs.filter(window_id=slice_.window_id)
    if slice_.staff_id:
        qs = qs.filter(staff_id=slice_.staff_id)
    return qs


def rating_text() -> Subquery:
    """A cause's rating's text, read per cause row (a scalar subquery by the rating's primary
    key) instead of a join: joined, PostgreSQL merge-joins the slice's causes with the ratings'
    primary key index and reads every rating of the city (the planner cannot tell that a
    period's causes are among the newest ratings)."""
    text = Evaluation.objects.filter(pk=OuterRef("evaluation_id")).order_by().values("text")[:1]
    return Subquery(text, output_field=TextField())


def _share(count: int, total: int) -> float | None:
    return round(count / total * 100, 1) if total else None


def dimension_shares(slice_: Slice) -> dict[str, Any]:
    """How many bad ratings, how many with a cause, by source, and each dimension's count and
    share (of the attributed ones), largest first."""
    # One pass over the slice's rows: the counts by dimension and by source together.
    by_source = {f"source_{s.value}": Count("id", filter=Q(source=s.value)) for s in CauseSource}
    attributed = ~Q(source=CauseSource.NONE)
    sums = {name: Count("id", filter=Q(**{name: True})) for name in DIMENSION_FIELDS}
    counts = causes_of(slice_).aggregate(
        bad=Count("id"), attributed=Count("id", filter=attributed), **sums, **by_source
    )
    sources = {s.value: counts[f"source_{s.value}"] for s in CauseSource}
    rows: list[dict[str, Any]] = [
        {"dimension": name, "label": Dimension(name).label, "count": counts[name],
         "share": _share(counts[name], counts["attributed"])}
        for name in DIMENSION_FIELDS
    ]  # fmt: skip
    rows.sort(key=lambda r: (-r["count"], DIMENSION_FIELDS.index(r["dimension"])))
    return {
        "bad": counts["bad"],
        "attributed": counts["attributed"],
        "sources": sources,
        "rows": rows,
    }


def trend_months(slice_: Slice, months: int = TREND_MONTHS) -> list[dt.date]:
    """The first days of the ``months`` months that end with the slice's last month (at least
    every month of the slice)."""
    end = slice_.last.replace(day=1)
    start = slice_.first.replace(day=1)
    span = (end.year - start.year) * 12 + end.month - start.month + 1
    count = max(months, span)
    return [_add_months(end, -n) for n in range(count - 1, -1, -1)]


def _month_index(firsts: list[dt.date]) -> Case:
    """Which of the months starting on ``firsts`` a cause's day falls in (its index), as plain
    date comparisons: ``TruncMonth`` is a Python function called per row on SQLite (thousands of
    calls per trend at a district's volume)."""
    ends = [*firsts[1:], _add_months(firsts[-1], 1)]
    whens = [
        When(day__gte=first, day__lt=end, then=Value(i))
        for i, (first, end) in enumerate(zip(firsts, ends, strict=True))
    ]
    return Case(*whens, output_field=IntegerField())


def dimension_trend(slice_: Slice, months: int = TREND_MONTHS) -> dict[str, Any]:
    """Per month (``trend_months``): bad ratings with a cause and each dimension's count and share."""
    firsts = trend_months(slice_, months)
    last = _add_months(firsts[-1], 1) - dt.timedelta(days=1)
    qs = causes_of(slice_, days=(firsts[0], last)).exclude(source=CauseSource.NONE)
    sums = {name: Count("id", filter=Q(**{name: True})) for name in DIMENSION_FIELDS}
    grouped = {
        firsts[row["month"]]: row
        for row in qs.order_by().annotate(month=_month_index(firsts)).values("month").annotate(n=Count("id"), **sums)
    }
    rows = []
    for first in firsts:
        row = grouped.get(first) or {}
        total = row.get("n", 0)
        rows.append(
            {
                "month": f"{first:%Y-%m}",
                "attributed": total,
                "dimensions": {name: row.get(name, 0) for name in DIMENSION_FIELDS},
                "shares": {name: _share(row.get(name, 0), total) for name in DIMENSION_FIELDS},
            }
        )
    return {"labels": {name: Dimension(name).label for name in DIMENSION_FIELDS}, "months": rows}


def heat_level(share: float | None) -> int:
    """0–5 for the heat table's colour scale (CSS classes heat-0 … heat-5)."""
    if not share:
        return 0
    return min(5, int(share // 10) + 1) if share < 50 else 5


def heat_table(slice_: Slice) -> list[dict[str, Any]]:
    """Rows = the direct child units of the slice's unit (and the unit itself when ratings are
    booked on it directly), columns = the seven dimensions; each cell its count and share of the
    row's attributed bad ratings. Rows with bad ratings first, most first."""
    unit = slice_.unit
    children = list(Unit.objects.filter(parent=unit).order_by("path"))
    grouped = list(
        causes_of(slice_)
        .order_by()
        .values("unit_id")
        .annotate(
            bad=Count("id"),
            attributed=Count("id", filter=~Q(source=CauseSource.NONE)),
            **{name: Count("id", filter=Q(**{name: True})) for name in DIMENSION_FIELDS},
        )
    )
    paths = dict(Unit.objects.filter(pk__in=[row["unit_id"] for row in grouped]).values_list("pk", "path"))
    totals: dict[int | None, Counter] = {}
    for row in grouped:
        owner = next((c.pk for c in children if paths[row["unit_id"]].startswith(c.path)), None)
        acc = totals.setdefault(owner, Counter())
        for key in ("bad", "attributed", *DIMENSION_FIELDS):
            acc[key] += row[key]
    labelled: list[tuple[int | None, str, str]] = [(c.pk, c.name, c.code) for c in children]
    if None in totals:
        labelled.insert(0, (None, f"{unit.name}（本级）", unit.code))
    rows: list[dict[str, Any]] = []
    for pk, name, code in labelled:
        acc = totals.get(pk, Counter())
        cells: list[dict[str, Any]] = []
        for dim in DIMENSION_FIELDS:
            share = _share(acc[dim], acc["attributed"])
            cells.append({"dimension": dim, "count": acc[dim], "share": share, "level": heat_level(share)})
        top = max(cells, key=lambda c: c["count"]) if acc["attributed"] else None
        rows.append({"unit_id": pk, "name": name, "code": code, "bad": acc["bad"],
                     "attributed": acc["attributed"], "cells": cells,
                     "top": Dimension(top["dimension"]).label if top and top["count"] else ""})  # fmt: skip
    rows.sort(key=lambda r: -r["bad"])
    return rows


def indicator_texts() -> dict[str, str]:
    """Reason code → text, over every indicator set (the active set's text wins)."""
    rows = Indicator.objects.order_by("indicator_set__is_active", "id").values_list("code", "text")
    return dict(rows)


def reason_ranking(slice_: Slice, limit: int = 10) -> list[dict[str, Any]]:
    """The reasons of the slice's bad ratings (chosen, corrected or attributed), most frequent
    first: code, indicator text, count, share of the attributed ratings."""
    qs = causes_of(slice_).exclude(source=CauseSource.NONE)
    attributed = 0
    counter: Counter = Counter()
    # Grouped by the whole list first (few distinct lists), then split: no row-by-row decoding;
    # the attributed ratings are the groups' sum (one pass over the slice's rows).
    for reasons, n in qs.order_by().values_list("reasons").annotate(n=Count("id")):
        attributed += n
        for code in set(reasons or []):
            counter[code] += n
    texts = indicator_texts() if counter else {}
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [
        {"code": code, "text": texts.get(code, ""), "count": n, "share": _share(n, attributed)} for code, n in ranked
    ]


def reason_trend(slice_: Slice, codes: list[str], months: int = TREND_MONTHS) -> list[dict[str, Any]]:
    """Per month (``trend_months``): how many attributed bad ratings carry each of ``codes``
    (the reason ranking's top codes), and their share of the month's attributed ones."""
    firsts = trend_months(slice_, months)
    last = _add_months(firsts[-1], 1) - dt.timedelta(days=1)
    qs = causes_of(slice_, days=(firsts[0], last)).exclude(source=CauseSource.NONE)
    totals: Counter = Counter()
    counts: dict[str, Counter] = {code: Counter() for code in codes}
    grouped = qs.order_by().annotate(m=_month_index(firsts)).values_list("m", "reasons").annotate(n=Count("id"))
    for index, reasons, n in grouped:
        month = firsts[index]
        totals[month] += n
        for code in set(reasons or []) & counts.keys():
            counts[code][month] += n
    return [
        {"month": f"{first:%Y-%m}", "attributed": totals[first],
         "reasons": [{"code": code, "count": counts[code][first], "share": _share(counts[code][first], totals[first])}
                     for code in codes]}
        for first in firsts
    ]  # fmt: skip


def drill_down(
    slice_: Slice, *, dimension: str = "", reason: str = "", term: str = "", unit_id: int | None = None,
    source: str = "",
) -> QuerySet[BadRatingCause]:  # fmt: skip
    """The bad ratings behind a heat cell, a dimension, a reason or a term, newest first."""
    qs = causes_of(slice_, newest_first=True)
    if unit_id:
        unit = Unit.objects.filter(pk=unit_id, path__startswith=slice_.unit.path).first()
        if unit is None:
            return qs.none()
        qs = qs.filter(unit__path__startswith=unit.path) if unit.pk != slice_.unit.pk else qs.filter(unit=unit)
    if dimension in DIMENSION_FIELDS:
        qs = qs.filter(**{dimension: True})
    if reason:
        # SQLite has no JSON containment: the list's text holds the quoted code (both databases).
        qs = qs.alias(reasons_text=Cast("reasons", TextField())).filter(reasons_text__contains=f'"{reason}"')
    if term:
        qs = qs.alias(text=rating_text()).filter(text__contains=term)
    if source in CauseSource.values:
        qs = qs.filter(source=source)
    return qs.order_by("-day", "-id")


def with_details(causes: list[BadRatingCause]) -> list[BadRatingCause]:
    """A page of ``drill_down``'s causes with their rating, its service record, the unit and the
    item, each table read by primary key on its own (four small queries). Not joined: PostgreSQL
    merge-joins the causes with the ratings' primary key index, reading every rating of the city
    (seconds at 5 million records), before the list's LIMIT/OFFSET and even for a page's ids."""
    prefetch_related_objects(causes, "evaluation__record", "unit", "item")
    return causes


def cause_for(scope: Scope, pk: int) -> BadRatingCause:
    require_view(scope)
    cause = (
        BadRatingCause.objects.select_related("unit", "evaluation")
        .filter(pk=pk, unit__path__startswith=scope.unit_path)
        .first()
    )
    if cause is None:
        raise NotFound("差评记录不存在或无权查看", code="attribution_not_found")
    return cause
