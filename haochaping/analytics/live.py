"""Figures up to now: the rollups for the days before today, the raw tables for today.

The rollups (``analytics.rollups``) are brought up to date by the minute job; a page that shows
figures "as of now" (the console's home page, the 大屏) reads every earlier day from them and
only today's services and ratings from the raw tables: one indexed query each, on
``ServiceRecord.created_at`` and ``Evaluation.evaluated_at`` over one day, so the cost does not
grow with the history. A service of an earlier day rated today counts as rated once the minute
job has recomputed that day (the rollups' own delay).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Value, When
from django.utils import timezone

from haochaping.analytics.kpis import Counts, Slice, counts, counts_by
from haochaping.analytics.periods import Period
from haochaping.analytics.rollups import day_bounds
from haochaping.evaluations.models import Evaluation
from haochaping.organizations.models import Unit
from haochaping.rectification.models import CaseState
from haochaping.service_records.models import ServiceRecord

# The rollup tables these figures take (cases, callbacks and demands are not read live).
TABLES = ("service", "rating")


def _subtree(slice_: Slice) -> QuerySet:
    return Unit.objects.filter(path__startswith=slice_.unit_path).values("pk")


def services_today(slice_: Slice, day: dt.date) -> QuerySet[ServiceRecord]:
    """The slice's services that reached the platform on ``day`` (raw rows)."""
    start, end = day_bounds(day)
    qs = ServiceRecord.objects.filter(created_at__gte=start, created_at__lt=end, unit_id__in=_subtree(slice_))
    return _narrowed(qs, slice_, "")  # no rating channel: a channel slice counts every service, as the rollups do


def _narrowed(qs: QuerySet, slice_: Slice, prefix: str) -> QuerySet:
    """The slice's staff, window, item and system, each as "column + 0": never through the
    column's index (a clerk's every service since the start), the day's rows are found by time."""
    for name in ("staff_id", "window_id", "item_id", "system_id"):
        value = getattr(slice_, name)
        if value is not None:
            qs = qs.alias(**{f"n_{name}": F(f"{prefix}{name}") + 0}).filter(**{f"n_{name}": value})
    return qs


def ratings_today(slice_: Slice, day: dt.date) -> QuerySet[Evaluation]:
    """The slice's ratings given on ``day`` (raw rows), by the service's unit, window, staff,
    item and system as the rollups book them."""
    start, end = day_bounds(day)
    # "unit_id + 0": not an indexed column, on purpose (as ``rollups._ratings``): the day's ratings
    # are found by their time; SQLite would otherwise walk every record of the subtree's units
    # through their index (3 s instead of milliseconds for a district at a million ratings).
    qs = (
        Evaluation.objects.filter(evaluated_at__gte=start, evaluated_at__lt=end)
        .alias(record_unit=F("record__unit_id") + 0)
        .filter(record_unit__in=_subtree(slice_))
    )
    qs = _narrowed(qs, slice_, "record__")
    if slice_.channel is not None:
        qs = qs.filter(channel=slice_.channel)
    return qs


def _invalid() -> Case:
    return Case(When(case__state=CaseState.INVALIDATED, then=Value(True)), default=Value(False),
                output_field=BooleanField())  # fmt: skip


def _add_rating(target: Counts, level: int, invalid: bool, default: bool, n: int) -> None:
    target.ratings += n
    if default:
        target.default += n
    if invalid:
        target.invalid += n
    else:
        setattr(target, f"level_{level}", target.level(level) + n)


def today_counts(slice_: Slice, day: dt.date, *, by_unit: bool = False, services: bool = True) -> dict[object, Counts]:
    """``day``'s services and ratings of the slice from the raw tables, as the rollups would count
    them: one ``Counts`` under the key None, or (``by_unit``) one per unit id. Two queries (one,
    the ratings, without ``services``)."""
    result: dict[object, Counts] = defaultdict(lambda: Counts(people_only=slice_.narrowed))
    sums = {"n": Count("id"), "rated": Count("evaluation"),
            "rated_active": Count("evaluation", filter=Q(evaluation__is_default=False))}  # fmt: skip
    records = services_today(slice_, day)
    rows: Iterable[dict] = []
    if services:
        rows = records.values("unit_id").annotate(**sums).order_by() if by_unit else [records.aggregate(**sums)]
    for row in rows:
        if row["n"]:
            target = result[row.get("unit_id")]
            target.services += row["n"]
            target.rated += row["rated"]
            target.rated_active += row["rated_active"]
    keys = {"u": F("record__unit_id")} if by_unit else {}
    ratings = ratings_today(slice_, day).values("level", "is_default", bad=_invalid(), **keys).annotate(n=Count("id"))
    for row in ratings.order_by():
        _add_rating(result[row.get("u")], row["level"], row["bad"], row["is_default"], row["n"])
    return dict(result)


@dataclass
class ToNow:
    """A period's services and ratings to now, and its last days one by one (the trend)."""

    total: Counts
    days: list[tuple[dt.date, Counts]]  # oldest first, every day present (no rating: zeros)


def counts_to_now(slice_: Slice, first: dt.date, *, days: int = 0, now: dt.datetime | None = None) -> ToNow:
    """Services and ratings of the slice from ``first`` to now, and the ratings of each of the
    last ``days`` days to today: the rollups up to yesterday, today from the raw tables
    (``today_counts``, read once for both). Four queries, five with ``days``."""
    today = timezone.localdate(now or timezone.now())
    total = Counts(people_only=slice_.narrowed)
    yesterday = today - dt.timedelta(days=1)
    if first <= yesterday:
        total.add(counts(slice_, [Period.between(first, yesterday)], tables=TABLES)[0])
    live = today_counts(slice_, today).get(None) or Counts(people_only=slice_.narrowed)
    if first <= today:
        total.add(live)
    by_day: dict[object, Counts] = {today: live}
    start = today - dt.timedelta(days=days - 1)
    if days > 1:
        by_day.update(counts_by(slice_, Period.between(start, yesterday), "day", tables=("rating",)))
    trend = [(day, by_day.get(day) or Counts(people_only=slice_.narrowed))
             for day in (start + dt.timedelta(days=n) for n in range(days))]  # fmt: skip
    return ToNow(total, trend)
