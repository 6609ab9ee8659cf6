"""Reads of supervision records (制度第十条), scoped like every other app's.

Who sees them (docs/subsystems/access.md): the centre's supervisors and department admins see the
records of their own subtree, auditors read them; window clerks and 回访员 get the 403 page.
Only supervisors record them (``insight.services``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet

from haochaping.core.errors import NotFound, PermissionDenied
from haochaping.insight.models import SpotCheckItem, SpotCheckResult, SupervisionKind, SupervisionRecord
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Scope

VIEW_ROLES = (Role.SUPERVISOR, Role.DEPT_ADMIN, Role.AUDITOR)
RECORD_ROLES = (Role.SUPERVISOR,)


def may_view(scope: Scope) -> bool:
    return scope.role in VIEW_ROLES and scope.staff_id is None


def may_record(scope: Scope) -> bool:
    return scope.role in RECORD_ROLES and scope.staff_id is None


def require_view(scope: Scope) -> None:
    if not may_view(scope):
        raise PermissionDenied("只有督查、单位管理员和审计员可以查看督查记录", code="supervision_forbidden")


def require_record(scope: Scope) -> None:
    if not may_record(scope):
        raise PermissionDenied("只有区政务服务中心督查可以登记督查记录", code="supervision_forbidden")


def supervision_record_list(
    *,
    scope: Scope,
    kind: str = "",
    unit_path: str = "",
    first: dt.date | None = None,
    last: dt.date | None = None,
    open_followups: bool = False,
) -> QuerySet[SupervisionRecord]:
    """The records in the caller's subtree, filtered; ``unit_path`` narrows to a unit's subtree
    (a path outside the scope yields nothing)."""
    require_view(scope)
    qs = scope.filter(SupervisionRecord.objects.select_related("unit"))
    if kind:
        qs = qs.filter(kind=kind)
    if unit_path:
        qs = qs.filter(unit__path__startswith=unit_path)
    if first:
        qs = qs.filter(held_on__gte=first)
    if last:
        qs = qs.filter(held_on__lte=last)
    if open_followups:
        qs = qs.exclude(followup_required="").filter(followup_done_at__isnull=True)
    return qs.annotate(
        failed=Count("items", filter=Q(items__result="failed")),
        pending=Count("items", filter=Q(items__result="")),
        sampled=Count("items"),
    ).order_by("-held_on", "-id")


def supervision_record_get_for(*, scope: Scope, pk: int) -> SupervisionRecord:
    require_view(scope)
    record = scope.filter(SupervisionRecord.objects.select_related("unit", "created_by")).filter(pk=pk).first()
    if record is None:
        raise NotFound("督查记录不存在或无权查看", code="supervision_not_found")
    return record


def supervision_record_counts(unit_path: str, first: dt.date, last: dt.date) -> dict[str, Any]:
    """How many supervision records of each kind were held in ``unit_path``'s subtree between
    ``first`` and ``last`` (inclusive), the follow-ups asked and still open, and how many cases
    spot checks sampled and found failing. For analytics (the 通报): one grouped query, and one
    more only when there were spot checks; no scope check (the caller's)."""
    records = SupervisionRecord.objects.filter(unit__path__startswith=unit_path, held_on__gte=first, held_on__lte=last)
    asked = ~Q(followup_required="")
    rows = list(
        records.order_by()
        .values("kind")
        .annotate(
            n=Count("id"),
            followups=Count("id", filter=asked),
            followups_open=Count("id", filter=asked & Q(followup_done_at__isnull=True)),
        )
    )
    by_kind = {row["kind"]: row["n"] for row in rows}
    counts: dict[str, Any] = {kind.value: by_kind.get(kind.value, 0) for kind in SupervisionKind}
    counts["total"] = sum(by_kind.values())
    counts["followups"] = sum(row["followups"] for row in rows)
    counts["followups_open"] = sum(row["followups_open"] for row in rows)
    counts["sampled"] = counts["failed"] = 0
    if counts[SupervisionKind.SPOT_CHECK.value]:
        items = SpotCheckItem.objects.filter(record__in=records.filter(kind=SupervisionKind.SPOT_CHECK)).aggregate(
            sampled=Count("id"), failed=Count("id", filter=Q(result=SpotCheckResult.FAILED))
        )
        counts["sampled"], counts["failed"] = items["sampled"], items["failed"]
    return counts
