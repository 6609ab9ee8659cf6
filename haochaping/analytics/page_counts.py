"""The counts of two pages of lower apps, at a city's scale: the 未评价积压 report of
``outreach.reports`` and the places' services of ``evaluations.coverage`` (二维码与覆盖).

Both apps count their figures straight from the service records (their definition), which means
scanning a month of records per request. They may not import analytics, so ``install`` (called
when this app is ready) hands them the counters below: the same figures, from

* the rollups (``BacklogDay``, ``ServiceDay``) for the services received before today, as of the
  last refresh (``analytics.refresh_rollups``, every minute);
* one indexed live query over the services received today (about a day's intake) and, where a
  figure's limit falls inside a day (the 30 days of the coverage, the invitation limit of
  超期未评价), over that day's services.

A period that does not start and end at local midnight, and a window clerk's scope (the rollups
hold no staff for the backlog), are counted the raw way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone

from haochaping.analytics.models import BacklogDay, ServiceDay
from haochaping.analytics.rollups import day_bounds
from haochaping.core.timeutil import local_date
from haochaping.evaluations.coverage import place_counter_install
from haochaping.organizations.models import Unit
from haochaping.organizations.selectors import Scope
from haochaping.outreach.choices import TaskKind
from haochaping.outreach.models import CallTask
from haochaping.outreach.reports import backlog_counter_install, backlog_counts
from haochaping.outreach.services.calls import invitation_cutoffs
from haochaping.service_records.choices import HandlingMode
from haochaping.service_records.models import ServiceRecord
from haochaping.service_records.selectors import (
    PlaceCounts,
    place_counts_fold,
    place_filter,
    record_counts_by_place,
    record_place_rows,
)


def _midnight(moment: dt.datetime) -> bool:
    return day_bounds(local_date(moment))[0] == moment


def backlog_counts_fast(
    *, scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> list[dict[str, Any]]:
    """``outreach.reports.backlog_counts``: the groups of the rollup rows of the services received
    before today, then those of the live query (a unit may have both)."""
    if scope.staff_id is not None or not (_midnight(start) and _midnight(end)):
        return backlog_counts(scope=scope, start=start, end=end, now=now)
    first, stop = local_date(start), local_date(end)  # the period's days: first <= day < stop
    today_start = day_bounds(local_date(now))[0]
    cutoffs = invitation_cutoffs(now)
    limit_day = {mode: local_date(cutoff) for mode, cutoff in cutoffs.items()}

    # Before today: whole days of the rollup. A day before the one the limit falls on is overdue
    # whole; that day's own services are counted live below.
    rolled = scope.filter(BacklogDay.objects.filter(day__gte=first, day__lt=stop, created__lt=local_date(now)))
    unrated = F("services") - F("rated")
    overdue_days = Q(mode=HandlingMode.ONLINE, day__lt=limit_day[HandlingMode.ONLINE]) | Q(
        mode=HandlingMode.OFFLINE, day__lt=limit_day[HandlingMode.OFFLINE]
    )
    sums = {
        "services": Sum("services"),
        "rated": Sum("rated"),
        "unrated": Sum(unrated),
        "online_unrated": Sum(unrated, filter=Q(mode=HandlingMode.ONLINE)),
        "overdue": Sum(unrated, filter=overdue_days),
        "no_phone": Sum("no_phone", filter=overdue_days),
        "invited": Sum("invited"),
    }
    # Aliased s_<key> (an annotation may not take the name of a column it sums).
    rows = rolled.values(path=F("unit__path")).annotate(**{f"s_{k}": v for k, v in sums.items()}).order_by()
    groups = [{key.removeprefix("s_"): value or 0 for key, value in row.items()} for row in rows]

    # Live: every figure of the services received today; the overdue ones received earlier on
    # the day the limit falls on.
    # Each term has its own index (received today: created_at; the limit's day: finished_at).
    live = Q(created_at__gte=today_start)
    for mode, cutoff in cutoffs.items():
        if first <= limit_day[mode] < stop:
            day_start = day_bounds(limit_day[mode])[0]
            live |= Q(mode=mode, finished_at__gte=day_start, finished_at__lte=cutoff, created_at__lt=today_start)
    today = Q(created_at__gte=today_start)
    is_unrated = Q(evaluation__isnull=True)
    overdue = is_unrated & (
        Q(mode=HandlingMode.ONLINE, finished_at__lte=cutoffs[HandlingMode.ONLINE])
        | Q(mode=HandlingMode.OFFLINE, finished_at__lte=cutoffs[HandlingMode.OFFLINE])
    )
    invited = Exists(CallTask.objects.filter(record=OuterRef("pk"), kind=TaskKind.INVITATION_UNRATED))
    # The live services picked first, then counted (SQLite: joined with their OR'ed terms in one
    # WHERE, it walked every service of the period's units).
    picked = ServiceRecord.objects.filter(live).values("pk")
    in_period = Q(pk__in=picked, finished_at__gte=start, finished_at__lt=end)
    # Scoped and grouped by the unit's id, its path looked up here: joined with the units, the
    # few thousand services were compared with every unit in turn (PostgreSQL misjudged their
    # number: a nested loop of 300 × 4,500 rows, 150 ms at a city's scale).
    paths = dict(Unit.objects.filter(path__startswith=scope.unit_path).values_list("pk", "path"))
    records = ServiceRecord.objects.filter(in_period, unit_id__in=list(paths))
    live_rows = (
        records.values("unit_id")
        .annotate(
            services=Count("id", filter=today),
            rated=Count("id", filter=today & ~is_unrated),
            unrated=Count("id", filter=today & is_unrated),
            online_unrated=Count("id", filter=today & is_unrated & Q(mode=HandlingMode.ONLINE)),
            overdue=Count("id", filter=overdue),
            no_phone=Count("id", filter=overdue & Q(phone_index="")),
            invited=Count("id", filter=today & is_unrated & invited),
        )
        .order_by()
    )
    for row in live_rows:
        row["path"] = paths[row.pop("unit_id")]
        groups.append(row)
    return groups


def place_counts_fast(
    *, scope: Scope, since: dt.datetime, window_ids: list[int] | None, unit_ids: list[int] | None
) -> tuple[PlaceCounts, PlaceCounts]:
    """``service_records.selectors.record_counts_by_place``: the rollup's whole days after the one
    ``since`` falls on and before today, and live the rest of ``since``'s day and today."""
    today = local_date(timezone.now())
    first = local_date(since) + dt.timedelta(days=1)
    if first >= today:
        return record_counts_by_place(scope=scope, since=since, window_ids=window_ids, unit_ids=unit_ids)
    first_start, today_start = day_bounds(first)[0], day_bounds(today)[0]
    rolled = scope.filter(ServiceDay.objects.filter(day__gte=first, day__lt=today), staff_field="staff_id")
    rows = list(
        rolled.filter(place_filter(window_ids, unit_ids))
        .values("window_id", "window__unit_id", "unit_id")
        .annotate(n=Sum("services"), rated=Sum("rated"))
        .order_by()
    )
    received = Q(created_at__gte=since, created_at__lt=first_start) | Q(created_at__gte=today_start)
    rows += record_place_rows(scope=scope, received=received, window_ids=window_ids, unit_ids=unit_ids)
    return place_counts_fold(rows, window_ids=window_ids, unit_ids=unit_ids)


def install() -> None:
    backlog_counter_install(backlog_counts_fast)
    place_counter_install(place_counts_fast)
