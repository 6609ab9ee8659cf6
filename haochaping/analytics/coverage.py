"""接入与覆盖 (SPEC R3, R4, R13): whether every business system is connected and used, and which
items, units and windows had services in a period but no rating; read from the rollups, with
the devices and QR codes of ``evaluations.coverage``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import F, Q, QuerySet, Sum

from haochaping.analytics.kpis import Slice
from haochaping.analytics.models import RatingDay, ServiceDay
from haochaping.analytics.periods import Period
from haochaping.analytics.rollups import day_bounds
from haochaping.organizations.models import BusinessSystem, SystemErrorDay, Unit, Window
from haochaping.organizations.qrcodes import qr_place_totals
from haochaping.organizations.selectors import Scope
from haochaping.service_records.models import ServiceItem, ServiceRecord

QUIET_DAYS = 7  # a connected system silent this long is flagged
GAP_LIMIT = 50  # rows of each "services but no rating" list


@dataclass
class SystemRow:
    system: BusinessSystem
    services: int = 0
    rated: int = 0
    ratings: int = 0  # ratings the system itself submitted

    @property
    def rating_rate(self) -> float | None:
        return self.rated / self.services if self.services else None

    def status(self, now: dt.datetime) -> str:
        if not self.system.is_active:
            return "已停用"
        if self.system.last_seen_at is None:
            return "未接入（从未调用）"
        if now - self.system.last_seen_at > dt.timedelta(days=QUIET_DAYS):
            return f"{QUIET_DAYS} 天以上无调用"
        return "正常"


@dataclass
class Gap:
    name: str
    detail: str
    services: int
    key: object = None


@dataclass
class Coverage:
    systems: list[SystemRow]
    items: tuple[int, int]  # (with services, of them with ratings)
    units: tuple[int, int]
    windows: tuple[int, int]
    item_gaps: list[Gap] = field(default_factory=list)
    unit_gaps: list[Gap] = field(default_factory=list)
    window_gaps: list[Gap] = field(default_factory=list)
    devices: dict = field(default_factory=dict)


def _ratio(pair: tuple[int, int]) -> float | None:
    return pair[1] / pair[0] if pair[0] else None


def coverage(scope: Scope, slice_: Slice, period: Period) -> Coverage:
    services = slice_.apply(ServiceDay.objects.filter(day__gte=period.first, day__lte=period.last), channel=False)
    by_system = {
        row["system_id"]: row
        for row in services.values("system_id").annotate(services=Sum("services"), rated=Sum("rated")).order_by()
    }
    ratings = slice_.apply(RatingDay.objects.filter(day__gte=period.first, day__lte=period.last))
    rated_by = dict(ratings.values_list("system_id").annotate(n=Sum("ratings")).order_by())
    # The systems of the scope's units, the district-wide ones, and any that pushed into the scope
    # (their volumes are the scope's share only).
    systems = (
        BusinessSystem.objects.select_related("unit")
        .order_by("name")
        .filter(Q(unit__isnull=True) | Q(unit__path__startswith=scope.unit_path) | Q(pk__in=list(by_system)))
    )
    rows = []
    for system in systems:
        row = by_system.get(system.pk, {})
        rows.append(SystemRow(system, row.get("services") or 0, row.get("rated") or 0, rated_by.get(system.pk) or 0))

    # One query per column gives both its pair (with services, of them rated) and its gaps
    # (services, no rating), each a pass over the period's rollup rows.
    def pair_and_gaps(column: str) -> tuple[tuple[int, int], list[tuple[object, int]]]:
        totals = services.values(column).annotate(s=Sum("services"), r=Sum("rated")).order_by()
        counted = [(t[column], t["s"], t["r"]) for t in totals if t[column] is not None and t["s"]]
        gaps = sorted(((key, s) for key, s, r in counted if not r), key=lambda gap: (-gap[1], gap[0]))
        return (len(counted), sum(1 for _, _, r in counted if r)), gaps[:GAP_LIMIT]

    item_pair, item_gaps = pair_and_gaps("item_id")
    items = {i.pk: i for i in ServiceItem.objects.filter(pk__in=[k for k, _ in item_gaps]).select_related("department")}
    unit_pair, unit_gaps = pair_and_gaps("unit_id")
    units = Unit.objects.in_bulk([k for k, _ in unit_gaps])
    window_pair, window_gaps = pair_and_gaps("window_id")
    windows = {w.pk: w for w in Window.objects.filter(pk__in=[k for k, _ in window_gaps]).select_related("unit")}
    result = Coverage(
        systems=rows,
        items=item_pair,
        units=unit_pair,
        windows=window_pair,
        item_gaps=[Gap(items[k].name, items[k].department.name, n, k) for k, n in item_gaps if k in items],
        unit_gaps=[Gap(units[k].name, "", n, units[k].code) for k, n in unit_gaps if k in units],
        window_gaps=[Gap(windows[k].name, windows[k].unit.name, n, k) for k, n in window_gaps if k in windows],
    )
    # The keys of ``evaluations.coverage.coverage_totals`` and ``windows_online``, counted by the
    # database (a city has thousands of windows and devices).
    result.devices = qr_place_totals(scope=scope)
    return result


# --- one system's use, day by day (业务系统 › 使用情况) -------------------------------------------

USAGE_DAYS = 30


@dataclass
class UsageDay:
    day: dt.date
    services: int = 0  # services the system pushed that reached the platform this day
    rated: int = 0  # of them, rated so far
    ratings: int = 0  # ratings given this day to services the system pushed
    errors: int = 0  # the system's API calls answered with an error this day

    @property
    def rating_rate(self) -> float | None:
        return self.rated / self.services if self.services else None


@dataclass
class SystemUsage:
    first: dt.date
    last: dt.date
    days: list[UsageDay]  # newest first, every day of the period (zeros included)
    last_push: dt.datetime | None
    errors_by_code: list[tuple[str, int, int]]  # (code, HTTP status, count), most frequent first

    def total(self, name: str) -> int:
        return sum(getattr(d, name) for d in self.days)

    @property
    def rating_rate(self) -> float | None:
        services = self.total("services")
        return self.total("rated") / services if services else None


def _in_scope(scope: Scope, rollup: QuerySet) -> QuerySet:
    """``scope.filter`` for a rollup: the subtree as ``unit_id IN (ids)`` (as ``Slice.apply``),
    so that PostgreSQL reads the system's rows by the (system, day) index and checks each unit
    in a hash of the subtree's ids instead of joining every row to its unit."""
    if scope.staff_id is not None:
        return rollup.none()  # the rollups of a system hold no staff-only view (as scope.filter)
    return rollup.filter(unit_id__in=Unit.objects.filter(path__startswith=scope.unit_path).values("pk"))


def system_usage(scope: Scope, system: BusinessSystem, today: dt.date, days: int = USAGE_DAYS) -> SystemUsage:
    """The last ``days`` days of one system (today included), from the same rollups as
    ``coverage`` (services, rated, ratings, within the caller's scope) and the API's error
    count (``organizations.SystemErrorDay``). Six queries, whatever the volume."""
    first = today - dt.timedelta(days=days - 1)
    rows = {first + dt.timedelta(days=n): UsageDay(first + dt.timedelta(days=n)) for n in range(days)}
    services = _in_scope(scope, ServiceDay.objects.filter(system=system, day__gte=first, day__lte=today))
    for row in services.values("day").annotate(s=Sum("services"), r=Sum("rated")).order_by():
        rows[row["day"]].services, rows[row["day"]].rated = row["s"] or 0, row["r"] or 0
    ratings = _in_scope(scope, RatingDay.objects.filter(system=system, day__gte=first, day__lte=today))
    for day, n in ratings.values_list("day").annotate(n=Sum("ratings")).order_by():
        rows[day].ratings = n or 0
    errors = SystemErrorDay.objects.filter(system=system, day__gte=first, day__lte=today)
    for day, n in errors.values_list("day").annotate(n=Sum("errors")).order_by():
        rows[day].errors = n or 0
    by_code = errors.values_list("code", "status").annotate(n=Sum("errors")).order_by("-n", "code")
    return SystemUsage(
        first=first,
        last=today,
        days=[rows[day] for day in sorted(rows, reverse=True)],
        last_push=_last_push(scope, system, today),
        errors_by_code=[(code, status, n) for code, status, n in by_code],
    )


def _last_push(scope: Scope, system: BusinessSystem, today: dt.date) -> dt.datetime | None:
    """When the system last pushed a service in the caller's scope: the rollups give the newest
    day with one (today when they have none: a first push not yet rolled up), the raw services
    from that day on give the time. The services are walked by time ("system_id + 0", not the
    system's index: SQLite would read every service the system ever pushed, then sort them)."""
    # The newest day as ORDER BY day DESC LIMIT 1, not MAX(day): PostgreSQL then walks the
    # (system, day) index backwards to the first row in the scope (MAX over a semi-join reads
    # every row of the system).
    newest = (
        _in_scope(scope, ServiceDay.objects.filter(system=system))
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )
    start, _ = day_bounds(min(newest or today, today))
    records = ServiceRecord.objects.filter(created_at__gte=start).alias(pushed_by=F("system_id") + 0)
    return (
        scope.filter(records.filter(pushed_by=system.pk))
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
