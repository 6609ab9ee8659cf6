"""Reads for rectification cases, always through a Scope."""

from __future__ import annotations

from django.db.models import QuerySet

from haochaping.core.errors import NotFound
from haochaping.organizations.selectors import Scope
from haochaping.rectification.models import OPEN_STATES, RectificationCase


def case_list(
    *, scope: Scope, state: str | None = None, open_only: bool = False, unit_code: str | None = None
) -> QuerySet[RectificationCase]:
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
    return qs.order_by("due_at", "id")


def case_get_for(*, scope: Scope, pk: int) -> RectificationCase:
    case = case_list(scope=scope).filter(pk=pk).first()
    if case is None:
        raise NotFound("工单不存在或无权查看", code="case_not_found")
    return case
