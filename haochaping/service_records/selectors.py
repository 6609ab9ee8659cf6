"""Reads for service records, always through a Scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from haochaping.core.errors import NotFound
from haochaping.organizations.selectors import Scope
from haochaping.service_records.models import ServiceItem, ServiceRecord


def service_record_list(
    *,
    scope: Scope,
    unit_code: str | None = None,
    project_no: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    system_id: int | None = None,
) -> QuerySet[ServiceRecord]:
    qs = scope.filter(
        ServiceRecord.objects.select_related("unit", "item", "window", "staff", "evaluation"),
        staff_field="staff_id",
    )
    if unit_code:
        qs = qs.filter(unit__path__contains=f"/{unit_code}/")
    if project_no:
        qs = qs.filter(project_no=project_no)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    if system_id is not None:
        qs = qs.filter(system_id=system_id)
    return qs


def service_record_get_for(*, scope: Scope, pk: int) -> ServiceRecord:
    record = service_record_list(scope=scope).filter(pk=pk).first()
    if record is None:
        raise NotFound("办件不存在或无权查看", code="record_not_found")
    return record


def item_list() -> QuerySet[ServiceItem]:
    """The whole catalogue: reference data that any system may push records against."""
    return ServiceItem.objects.filter(is_active=True).select_related("department")
