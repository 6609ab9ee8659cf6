"""Who may administer what (SPEC §1, issue 15).

* **Units** (the tree): the centre's supervisors only, within their subtree.
* **Windows, staff, accounts**: supervisors and department/street/community admins, each within
  their own subtree (a window belongs to a subtree when it is located in it or staffed by it);
  everyone else gets 403, and another subtree's row is "not found" (404), as everywhere.
* **Roles**: nobody grants a role above their own. A supervisor grants every role; a department
  admin only department admin and window clerk, and only at units of their subtree.
* **The command line** (and an import run there) acts with ``PLATFORM``: the whole tree, as a
  supervisor at the root.
"""

from __future__ import annotations

from haochaping.core.errors import PermissionDenied
from haochaping.organizations.models import Role, Unit
from haochaping.organizations.selectors import Scope

ADMIN_ROLES = (Role.SUPERVISOR, Role.DEPT_ADMIN)
UNIT_ROLES = (Role.SUPERVISOR,)
GRANTABLE: dict[str, tuple[str, ...]] = {
    Role.SUPERVISOR: tuple(Role.values),
    Role.DEPT_ADMIN: (Role.DEPT_ADMIN, Role.WINDOW_CLERK),
}
PLATFORM = Scope(unit_path="/", role=Role.SUPERVISOR)


def may_administer(scope: Scope) -> bool:
    """Windows, staff and accounts of the scope's subtree."""
    return scope.role in ADMIN_ROLES and scope.staff_id is None


def may_manage_units(scope: Scope) -> bool:
    return scope.role in UNIT_ROLES and scope.staff_id is None


def require_administrator(scope: Scope) -> None:
    if not may_administer(scope):
        raise PermissionDenied(
            "只有区政务服务中心督查和单位管理员可以管理窗口、工作人员和账号", code="administration_forbidden"
        )


def require_unit_manager(scope: Scope) -> None:
    if not may_manage_units(scope):
        raise PermissionDenied("只有区政务服务中心督查可以新建、调整或停用单位", code="units_forbidden")


def grantable_roles(scope: Scope) -> tuple[str, ...]:
    return GRANTABLE.get(scope.role, ()) if scope.staff_id is None else ()


def require_grantable(scope: Scope, role: str) -> None:
    if role not in grantable_roles(scope):
        label = Role(role).label if role in Role.values else role
        raise PermissionDenied(f"您不能授予“{label}”角色：不能授予高于自己的角色", code="role_not_grantable")


def require_unit_in_scope(scope: Scope, unit: Unit, *, label: str = "单位") -> None:
    if not scope.allows_unit(unit):
        raise PermissionDenied(f"{label}“{unit.name}”不在您的管理范围内", code="unit_out_of_scope")
