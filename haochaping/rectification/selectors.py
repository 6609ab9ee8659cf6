"""Reads for rectification cases, always through a Scope."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet

from haochaping.audit.models import AuditEvent
from haochaping.core.errors import NotFound
from haochaping.organizations.selectors import Scope
from haochaping.rectification.models import OPEN_STATES, RectificationCase


def case_list(
    *,
    scope: Scope,
    state: str | None = None,
    open_only: bool = False,
    unit_code: str | None = None,
    overdue_at: dt.datetime | None = None,
) -> QuerySet[RectificationCase]:
    """Cases in scope; ``overdue_at`` keeps open cases whose deadline passed before that moment."""
    qs = scope.filter(
        RectificationCase.objects.select_related(
            "unit", "evaluation", "evaluation__record", "evaluation__record__item", "evaluation__record__staff"
        ),
        staff_field="evaluation__record__staff_id",
    )
    if open_only:
        qs = qs.filter(state__in=OPEN_STATES)
    if state:
        qs = qs.filter(state=state)
    if unit_code:
        qs = qs.filter(unit__path__contains=f"/{unit_code}/")
    if overdue_at is not None:
        qs = qs.filter(state__in=OPEN_STATES, due_at__lt=overdue_at)
    return qs.order_by("due_at", "id")


def case_get_for(*, scope: Scope, pk: int) -> RectificationCase:
    case = case_list(scope=scope).filter(pk=pk).first()
    if case is None:
        raise NotFound("工单不存在或无权查看", code="case_not_found")
    return case


def case_counts(*, scope: Scope, now: dt.datetime) -> dict[str, int]:
    """Open and overdue-open case counts of a scope, in one query."""
    qs = scope.filter(RectificationCase.objects.all(), staff_field="evaluation__record__staff_id")
    is_open = Q(state__in=OPEN_STATES)
    return qs.aggregate(open=Count("id", filter=is_open), overdue=Count("id", filter=is_open & Q(due_at__lt=now)))


def case_timeline(*, scope: Scope, case: RectificationCase) -> QuerySet[AuditEvent]:
    """Audit events of a case, its rating and the rated service, oldest first.

    ``case`` must come from ``case_get_for``; the scope is checked again so that a case fetched
    some other way cannot leak its timeline.
    """
    record_staff_id = case.evaluation.record.staff_id if case.evaluation_id is not None else None
    if not scope.allows_unit(case.unit) or (scope.staff_id is not None and record_staff_id != scope.staff_id):
        raise NotFound("工单不存在或无权查看", code="case_not_found")
    targets = Q(target_type=RectificationCase._meta.label_lower, target_id=str(case.pk))
    if case.evaluation_id is not None:
        evaluation = case.evaluation
        targets |= Q(target_type=evaluation._meta.label_lower, target_id=str(evaluation.pk))
        targets |= Q(target_type=evaluation.record._meta.label_lower, target_id=str(evaluation.record_id))
    return AuditEvent.objects.filter(targets).order_by("occurred_at", "id")
