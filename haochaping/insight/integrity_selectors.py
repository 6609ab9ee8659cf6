"""Reads of rating-integrity flags, scoped like every other app's.

Who sees them (decided, docs/subsystems/insight.md): supervisors (their subtree: the centre's,
everything), department admins (their own subtree: flags about their tablets, clerks and unit;
a cross-unit flag belongs to the common parent unit and so stays with the centre) and auditors
read; only supervisors review (dismiss, 转督查) and run detection. Window clerks and 回访员 get
403: a flag may be about them.
"""

from __future__ import annotations

from django.db.models import QuerySet

from haochaping.core.errors import NotFound, PermissionDenied
from haochaping.insight.integrity_models import IntegrityFlag
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Scope

VIEW_ROLES = (Role.SUPERVISOR, Role.DEPT_ADMIN, Role.AUDITOR)
REVIEW_ROLES = (Role.SUPERVISOR,)


def may_view(scope: Scope) -> bool:
    return scope.role in VIEW_ROLES and scope.staff_id is None


def may_review(scope: Scope) -> bool:
    return scope.role in REVIEW_ROLES and scope.staff_id is None


def require_view(scope: Scope) -> None:
    if not may_view(scope):
        raise PermissionDenied("只有督查、单位管理员和审计员可以查看评价质量线索", code="integrity_forbidden")


def require_review(scope: Scope) -> None:
    if not may_review(scope):
        raise PermissionDenied("只有区政务服务中心督查可以处理评价质量线索", code="integrity_forbidden")


def integrity_flag_list(
    *, scope: Scope, kind: str = "", unit_path: str = "", state: str = ""
) -> QuerySet[IntegrityFlag]:
    """The flags of the caller's subtree, filtered; ``unit_path`` narrows to a unit's subtree."""
    require_view(scope)
    qs = scope.filter(IntegrityFlag.objects.select_related("unit", "reviewer", "supervision"))
    if kind:
        qs = qs.filter(kind=kind)
    if unit_path:
        qs = qs.filter(unit__path__startswith=unit_path)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-last_at", "-id")


def integrity_flag_get_for(*, scope: Scope, pk: int) -> IntegrityFlag:
    require_view(scope)
    flag = integrity_flag_list(scope=scope).filter(pk=pk).first()
    if flag is None:
        raise NotFound("评价质量线索不存在或无权查看", code="integrity_not_found")
    return flag
