"""Windows (窗口): add, edit, deactivate and re-enable, within the caller's subtree.

A window belongs to a subtree when it is located in it (``unit``, the hall, street centre or
community point) or staffed by it (``department``, 进驻部门). A department admin adds and edits
the windows their department staffs: located in their subtree or at any hall, street centre or
community point, and a department, if named, of their own subtree. The code never changes
(business systems push it). Staff on duty are ``Staff.window`` (the staff pages set it); the
items a window takes in are kept by ``service_records`` (``ServiceItem.windows``), which sits above
this app and has its own page and service for them.
"""

from __future__ import annotations

from django.db import transaction

from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.organizations.administration.checks import name_clean
from haochaping.organizations.administration.rules import require_administrator
from haochaping.organizations.models import QR_PLACE_KINDS, Device, Staff, Unit, Window
from haochaping.organizations.selectors import Scope
from haochaping.organizations.services import window_create


def window_in_scope(scope: Scope, window: Window) -> bool:
    return scope.allows_unit(window.unit) or (window.department is not None and scope.allows_unit(window.department))


def _check_place(
    scope: Scope, unit: Unit, department: Unit | None, *, unit_changed: bool = True, department_changed: bool = True
) -> None:
    """Where the caller may put a window: located in their subtree or at a public place (hall,
    street centre, community point), staffed by nobody or by a unit of their subtree; and it must
    end up theirs (located in or staffed by their subtree)."""
    if department_changed and department is not None and not scope.allows_unit(department):
        raise PermissionDenied(f"进驻部门“{department.name}”不在您的管理范围内", code="unit_out_of_scope")
    if scope.allows_unit(unit):
        return
    if unit_changed and unit.kind not in QR_PLACE_KINDS:
        raise PermissionDenied(f"所在场所“{unit.name}”不在您的管理范围内", code="unit_out_of_scope")
    if department is None or not scope.allows_unit(department):
        problem = "窗口设在本单位以外的大厅或便民服务中心/点时，须选择本单位作为进驻部门"
        raise ValidationFailed(problem, fields={"department": [problem]})


@transaction.atomic
def window_add(
    *, actor: Actor, scope: Scope, code: str, name: str, unit: Unit, department: Unit | None = None
) -> Window:
    require_administrator(scope)
    _check_place(scope, unit, department)
    return window_create(actor=actor, code=code, name=name, unit=unit, department=department)


def _locked(window: Window) -> Window:
    return Window.objects.select_for_update(of=("self",)).select_related("unit", "department").get(pk=window.pk)


def _require_mine(scope: Scope, window: Window) -> None:
    require_administrator(scope)
    if not window_in_scope(scope, window):
        raise PermissionDenied(f"窗口“{window.name}”不在您的管理范围内", code="window_out_of_scope")


@transaction.atomic
def window_update(
    *, actor: Actor, scope: Scope, window: Window, name: str, unit: Unit, department: Unit | None
) -> Window:
    """Rename a window or move it (place, department); nothing changed: nothing written."""
    _require_mine(scope, window)
    name = name_clean(name, label="窗口名称")
    window = _locked(window)
    changes: dict[str, list] = {}
    if window.name != name:
        changes["name"] = [window.name, name]
    if window.unit_id != unit.pk:
        if not unit.is_active:
            raise ValidationFailed(f"所在场所“{unit.name}”已停用", fields={"unit": ["所在场所已停用"]})
        changes["unit"] = [window.unit.code, unit.code]
    if window.department_id != (department.pk if department else None):
        if department is not None and not department.is_active:
            raise ValidationFailed(f"进驻部门“{department.name}”已停用", fields={"department": ["进驻部门已停用"]})
        changes["department"] = [window.department.code if window.department else None,
                                 department.code if department else None]  # fmt: skip
    if not changes:
        return window
    _check_place(scope, unit, department, unit_changed="unit" in changes, department_changed="department" in changes)
    window.name, window.unit, window.department = name, unit, department
    window.save(update_fields=["name", "unit", "department"])
    audit_record(actor=actor, action="organizations:window:updated", target=window,
                 data={"code": window.code, "changes": changes})  # fmt: skip
    return window


def window_blockers(window: Window) -> list[str]:
    counts = [
        (Staff.objects.filter(window=window, is_active=True).count(), "名在岗工作人员（请先为其调整常驻窗口）"),
        (Device.objects.filter(window=window, is_active=True).count(), "台启用的评价器（请先撤销）"),
    ]
    return [f"{n} {what}" for n, what in counts if n]


@transaction.atomic
def window_deactivate(*, actor: Actor, scope: Scope, window: Window) -> Window:
    """Deactivate a window without staff on duty or active tablets; its services keep it."""
    _require_mine(scope, window)
    window = _locked(window)
    if not window.is_active:
        return window
    blockers = window_blockers(window)
    if blockers:
        raise Conflict(f"窗口“{window.name}”还有{'、'.join(blockers)}，暂不能停用", code="window_in_use")
    window.is_active = False
    window.save(update_fields=["is_active"])
    audit_record(actor=actor, action="organizations:window:deactivated", target=window, data={"code": window.code})
    return window


@transaction.atomic
def window_reactivate(*, actor: Actor, scope: Scope, window: Window) -> Window:
    _require_mine(scope, window)
    window = _locked(window)
    if window.is_active:
        return window
    for place, label in ((window.unit, "所在场所"), (window.department, "进驻部门")):
        if place is not None and not place.is_active:
            raise ValidationFailed(f"{label}“{place.name}”已停用，请先调整窗口", code="window_place_inactive")
    window.is_active = True
    window.save(update_fields=["is_active"])
    audit_record(actor=actor, action="organizations:window:reactivated", target=window, data={"code": window.code})
    return window
