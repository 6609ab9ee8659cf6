"""The unit tree (单位): add, edit (rename, kind, codes), move, deactivate and re-enable.

Only the centre's supervisors, within their subtree (``rules.require_unit_manager``). A unit's
code never changes (business systems push it; it is the last segment of ``Unit.path``). Moving a
unit rewrites the materialised path of the unit and of every unit below it in one transaction,
so every subtree query sees the new tree at once; a unit cannot go below itself or one of its
own sub-units. A unit is never deleted: deactivating it is refused while anything still active
hangs on it (sub-units, windows, staff on duty, accounts, business systems, kiosks), which the
message lists; what referenced it before (services, ratings, cases) keeps pointing at it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import Conflict, ValidationFailed
from haochaping.organizations.administration.checks import credit_code_clean, division_code_clean, name_clean
from haochaping.organizations.administration.rules import require_unit_in_scope, require_unit_manager
from haochaping.organizations.api_auth import forget_cached_systems
from haochaping.organizations.models import BusinessSystem, Device, Staff, Unit, UnitKind, Window
from haochaping.organizations.selectors import Scope
from haochaping.organizations.services import unit_create


def _locked(unit: Unit) -> Unit:
    return Unit.objects.select_for_update(of=("self",)).select_related("parent").get(pk=unit.pk)


def _require_below_own(scope: Scope, unit: Unit) -> None:
    """The caller's own unit (their scope's root) is not theirs to move or deactivate."""
    if unit.path == scope.unit_path:
        raise ValidationFailed(f"不能移动或停用您自己所在的单位“{unit.name}”", code="unit_is_own_scope")


@transaction.atomic
def unit_add(
    *,
    actor: Actor,
    scope: Scope,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None,
    division_code: str = "",
    credit_code: str = "",
) -> Unit:
    """A new unit below ``parent`` (in the caller's subtree); only the command line adds a root."""
    require_unit_manager(scope)
    if parent is None:
        if scope.unit_path != "/":
            raise ValidationFailed("请选择上级单位", fields={"parent": ["请选择上级单位"]})
    else:
        require_unit_in_scope(scope, parent, label="上级单位")
    return unit_create(
        actor=actor,
        code=code,
        name=name,
        kind=kind,
        parent=parent,
        division_code=division_code,
        credit_code=credit_code,
    )


@transaction.atomic
def unit_update(
    *, actor: Actor, scope: Scope, unit: Unit, name: str, kind: str, division_code: str, credit_code: str
) -> Unit:
    """Rename a unit, change its kind or codes; nothing changed: nothing written."""
    require_unit_manager(scope)
    require_unit_in_scope(scope, unit)
    if kind not in UnitKind.values:
        raise ValidationFailed(f"单位类型 {kind} 无效", fields={"kind": ["无效的单位类型"]})
    wanted = {
        "name": name_clean(name, label="单位名称"),
        "kind": kind,
        "division_code": division_code_clean(division_code),
        "credit_code": credit_code_clean(credit_code),
    }
    unit = _locked(unit)
    changes = {field: [getattr(unit, field), value] for field, value in wanted.items() if getattr(unit, field) != value}
    if not changes:
        return unit
    for field, (_, value) in changes.items():
        setattr(unit, field, value)
    unit.save(update_fields=list(changes))
    audit_record(actor=actor, action="organizations:unit:updated", target=unit,
                 data={"code": unit.code, "changes": changes})  # fmt: skip
    return unit


@transaction.atomic
def unit_move(*, actor: Actor, scope: Scope, unit: Unit, parent: Unit) -> Unit:
    """Re-parent a unit: its path and every descendant's path follow (one transaction)."""
    require_unit_manager(scope)
    require_unit_in_scope(scope, unit)
    require_unit_in_scope(scope, parent, label="新的上级单位")
    _require_below_own(scope, unit)
    unit = _locked(unit)
    parent = _locked(parent)
    if parent.pk == unit.parent_id:
        return unit
    if parent.path.startswith(unit.path):
        raise ValidationFailed(
            f"不能把“{unit.name}”移到它自己或它的下级单位“{parent.name}”之下",
            code="unit_move_into_itself",
            fields={"parent": ["不能移到自身或其下级单位之下"]},
        )
    if not parent.is_active:
        raise ValidationFailed(f"新的上级单位“{parent.name}”已停用", fields={"parent": ["新的上级单位已停用"]})
    old_path, new_path = unit.path, f"{parent.path}{unit.code}/"
    subtree = list(Unit.objects.select_for_update().filter(path__startswith=old_path).order_by("path"))
    limit: Any = Unit._meta.get_field("path").max_length
    for node in subtree:
        node.path = new_path + node.path[len(old_path) :]
        if len(node.path) > limit:
            raise ValidationFailed("移动后单位层级过深", fields={"parent": ["层级过深"]})
    # New paths collide with no old one: each ends in its own (unique) code under a new prefix.
    Unit.objects.bulk_update(subtree, ["path"], batch_size=500)
    old_parent = unit.parent
    Unit.objects.filter(pk=unit.pk).update(parent=parent)
    unit.parent, unit.path = parent, new_path
    audit_record(
        actor=actor,
        action="organizations:unit:moved",
        target=unit,
        data={
            "code": unit.code,
            "from": old_parent.code if old_parent else None,
            "to": parent.code,
            "old_path": old_path,
            "new_path": new_path,
            "units": len(subtree),
        },
    )
    # Business systems bound to the moved units carry their unit (and path) in a per-process cache.
    transaction.on_commit(forget_cached_systems)
    return unit


def unit_blockers(unit: Unit) -> list[str]:
    """What still active hangs on a unit (each as "N 个…"), in the order the message lists them."""
    counts = [
        (Unit.objects.filter(parent=unit, is_active=True).count(), "个启用的下级单位"),
        (Window.objects.filter(Q(unit=unit) | Q(department=unit), is_active=True).count(), "个启用的窗口"),
        (Staff.objects.filter(unit=unit, is_active=True).count(), "名在岗工作人员"),
        (get_user_model().objects.filter(membership__unit=unit, is_active=True).count(), "个启用的账号"),
        (BusinessSystem.objects.filter(unit=unit, is_active=True).count(), "个启用的业务系统"),
        (Device.objects.filter(unit=unit, window__isnull=True, is_active=True).count(), "台启用的自助评价终端"),
    ]
    return [f"{n} {what}" for n, what in counts if n]


@transaction.atomic
def unit_deactivate(*, actor: Actor, scope: Scope, unit: Unit) -> Unit:
    """Deactivate a unit that nothing active depends on any more (refused with the list otherwise)."""
    require_unit_manager(scope)
    require_unit_in_scope(scope, unit)
    _require_below_own(scope, unit)
    unit = _locked(unit)
    if not unit.is_active:
        return unit
    blockers = unit_blockers(unit)
    if blockers:
        raise Conflict(f"“{unit.name}”还有{'、'.join(blockers)}，请先停用或调整后再停用该单位", code="unit_in_use")
    unit.is_active = False
    unit.save(update_fields=["is_active"])
    audit_record(actor=actor, action="organizations:unit:deactivated", target=unit, data={"code": unit.code})
    transaction.on_commit(forget_cached_systems)
    return unit


@transaction.atomic
def unit_reactivate(*, actor: Actor, scope: Scope, unit: Unit) -> Unit:
    require_unit_manager(scope)
    require_unit_in_scope(scope, unit)
    unit = _locked(unit)
    if unit.is_active:
        return unit
    if unit.parent is not None and not unit.parent.is_active:
        raise ValidationFailed(f"上级单位“{unit.parent.name}”已停用，请先启用上级单位", code="unit_parent_inactive")
    unit.is_active = True
    unit.save(update_fields=["is_active"])
    audit_record(actor=actor, action="organizations:unit:reactivated", target=unit, data={"code": unit.code})
    return unit
