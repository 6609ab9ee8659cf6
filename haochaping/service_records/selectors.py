"""Reads for service records, always through a Scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from haochaping.core.errors import NotFound
from haochaping.core.timeutil import local_day_lookups
from haochaping.organizations.selectors import Scope, lone_unit_id
from haochaping.service_records.models import ServiceItem, ServiceRecord, encrypted_identity


def service_record_list(
    *,
    scope: Scope,
    unit_code: str | None = None,
    project_no: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    system_id: int | None = None,
    paged: bool = False,
) -> QuerySet[ServiceRecord]:
    """Records in scope, newest first. ``paged``: read page by page (the console list), where a
    scope of one unit also filters on its id (one query more), so that a deep page reads the
    unit's newest records backwards through the (unit, created_at) index (see
    ``organizations.selectors.subtree_unit_ids``), a clerk's their own through the (staff, unit,
    created_at) index (``lone_unit_id``)."""
    # Pages show the applicant from the masked copies: the encrypted identity stays unread.
    qs = scope.filter(
        ServiceRecord.objects.select_related("unit", "item", "window", "staff", "evaluation").defer(
            *encrypted_identity()
        ),
        staff_field="staff_id",
    )
    if unit_code:
        qs = qs.filter(unit__path__contains=f"/{unit_code}/")
    if project_no:
        qs = qs.filter(project_no=project_no)
    if date_from or date_to:  # bounds on the column, which its indexes serve (not created_at__date)
        qs = qs.filter(**local_day_lookups("created_at", first=date_from, last=date_to))
    if system_id is not None:
        qs = qs.filter(system_id=system_id)
    if paged and (unit_id := lone_unit_id(scope)) is not None:
        qs = qs.filter(unit_id=unit_id)
    return qs


def service_record_get_for(*, scope: Scope, pk: int) -> ServiceRecord:
    record = service_record_list(scope=scope).filter(pk=pk).first()
    if record is None:
        raise NotFound("办件不存在或无权查看", code="record_not_found")
    return record


def item_list() -> QuerySet[ServiceItem]:
    """The whole catalogue: reference data that any system may push records against."""
    return ServiceItem.objects.filter(is_active=True).select_related("department")


def item_list_for(
    *,
    scope: Scope,
    department_code: str | None = None,
    item_type: str | None = None,
    mode: str | None = None,
    active: bool | None = None,
    query: str | None = None,
) -> QuerySet[ServiceItem]:
    """The 事项 whose department lies in the caller's subtree (the console's catalogue), filtered.

    ``mode``: "online" (可网办), "offline" (可窗口办理). A window clerk's scope sees none.
    """
    qs = scope.filter(ServiceItem.objects.select_related("department"), unit_field="department")
    if department_code:
        qs = qs.filter(department__path__contains=f"/{department_code}/")
    if item_type:
        qs = qs.filter(item_type=item_type)
    if mode == "online":
        qs = qs.filter(online=True)
    elif mode == "offline":
        qs = qs.filter(offline=True)
    if active is not None:
        qs = qs.filter(is_active=active)
    if query:
        qs = qs.filter(Q(code__icontains=query) | Q(name__icontains=query))
    return qs.order_by("department__path", "code", "pk")


def item_get_for(*, scope: Scope, pk: int) -> ServiceItem:
    item = item_list_for(scope=scope).filter(pk=pk).first()
    if item is None:
        raise NotFound("未找到该记录", code="item_not_found")
    return item


def item_record_count(*, item: ServiceItem) -> int:
    """Services recorded against a 事项 (kept when it is deactivated)."""
    return ServiceRecord.objects.filter(item=item).count()


def window_item_choices(*, scope: Scope) -> QuerySet[ServiceItem]:
    """The active items whose department lies in the scope: what its administrator may put on a
    window (受理事项), grouped by department."""
    return (
        ServiceItem.objects.filter(is_active=True, department__path__startswith=scope.unit_path)
        .select_related("department")
        .order_by("department__path", "code")
    )


def window_items(*, window_id: int) -> QuerySet[ServiceItem]:
    """The items a window takes in (active or not), by department."""
    return (
        ServiceItem.objects.filter(windows=window_id).select_related("department").order_by("department__path", "code")
    )


PlaceCounts = dict[int, tuple[int, int]]


def record_counts_by_place(
    *, scope: Scope, since: dt.datetime, window_ids: list[int] | None, unit_ids: list[int] | None
) -> tuple[PlaceCounts, PlaceCounts]:
    """(services, rated services) since ``since`` per window and per place unit, in one query.

    Only records the scope sees are counted. A place unit counts the records served at its
    windows and the records whose unit it is (each record once, even when both hold).
    ``window_ids`` and ``unit_ids`` None: every window and unit the scope's records name, not
    filtered by id (a list of every place of a city: thousands of ids to send and match).
    """
    rows = record_place_rows(scope=scope, received=Q(created_at__gte=since), window_ids=window_ids, unit_ids=unit_ids)
    return place_counts_fold(rows, window_ids=window_ids, unit_ids=unit_ids)


def place_filter(window_ids: list[int] | None, unit_ids: list[int] | None) -> Q:
    """Rows (service records, or rollup rows with the same columns) of these windows or places
    (both None: every row)."""
    if window_ids is None and unit_ids is None:
        return Q()
    window_ids, unit_ids = window_ids or [], unit_ids or []
    return Q(window_id__in=window_ids) | Q(window__unit_id__in=unit_ids) | Q(unit_id__in=unit_ids)


def record_place_rows(
    *, scope: Scope, received: Q, window_ids: list[int] | None, unit_ids: list[int] | None
) -> list[dict]:
    """The records of ``received`` (a filter on ``created_at``) the scope sees at these windows or
    places, counted (``n``, ``rated``) per window, the window's place and the record's unit."""
    # The records of ``received`` picked first (by the created_at index; grouped by window, SQLite
    # would rather walk the window index over every record), then counted.
    picked = ServiceRecord.objects.filter(received).values("pk")
    qs = scope.filter(ServiceRecord.objects.filter(pk__in=picked), staff_field="staff_id")
    rows = qs.filter(place_filter(window_ids, unit_ids)).values("window_id", "window__unit_id", "unit_id")
    return list(rows.annotate(n=Count("pk"), rated=Count("evaluation")).order_by())


def place_counts_fold(
    rows: Iterable[dict], *, window_ids: list[int] | None, unit_ids: list[int] | None
) -> tuple[PlaceCounts, PlaceCounts]:
    """Rows of (``window_id``, ``window__unit_id``, ``unit_id``, ``n``, ``rated``) as the counts
    per window and per place unit (a row counts once for a place, at its window or as its unit);
    ids None: per any window and unit of the rows."""
    windows = set(window_ids) if window_ids is not None else None
    units = set(unit_ids) if unit_ids is not None else None
    by_window: PlaceCounts = {}
    by_unit: PlaceCounts = {}
    for row in rows:
        n, rated = row["n"] or 0, row["rated"] or 0
        if row["window_id"] is not None and (windows is None or row["window_id"] in windows):
            total = by_window.get(row["window_id"], (0, 0))
            by_window[row["window_id"]] = (total[0] + n, total[1] + rated)
        named = {row["window__unit_id"], row["unit_id"]} - {None}
        for unit_id in named if units is None else named & units:
            total = by_unit.get(unit_id, (0, 0))
            by_unit[unit_id] = (total[0] + n, total[1] + rated)
    return by_window, by_unit


# The live states of evaluations.RatingRequest (this app sits below evaluations and cannot import
# its model; the reverse relation ``rating_requests`` is queried by name).
RATING_REQUEST_LIVE = ("pending", "shown")


def record_ids_awaiting_rating(*, record_ids: set[int]) -> set[int]:
    """Which of these (already scoped) records have a rating request pushed to a tablet in
    service and not yet answered, replaced or expired: the list shows 已推送，等待评价."""
    if not record_ids:
        return set()
    return set(
        ServiceRecord.objects.filter(
            pk__in=record_ids,
            evaluation__isnull=True,
            rating_requests__status__in=RATING_REQUEST_LIVE,
            rating_requests__expires_at__gt=timezone.now(),
            rating_requests__device__paused_at__isnull=True,
        ).values_list("pk", flat=True)
    )
