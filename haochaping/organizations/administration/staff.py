"""Staff (工作人员): add, edit, photo, take off duty and back, within the caller's subtree.

A staff member belongs to the subtree of their unit. The 工号 never changes (business systems push
it, ratings and rankings are kept by it). ``is_active`` is 在岗: a staff member taken off duty is
no longer shown on their window's tablet, offered for an account or a window, and is not deleted:
their services, ratings and cases keep them. The photo (for the tablet's idle screen) is checked
by its content (JPG, PNG, GIF or WebP, at most ``PHOTO_MAX_BYTES``) and stored under a new random
name; the replaced file is removed once the change has committed.
"""

from __future__ import annotations

import secrets

from django.core.files.base import ContentFile
from django.db import transaction

from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import PermissionDenied, ValidationFailed
from haochaping.organizations.administration.checks import (
    STAFF_NAME_MAX,
    name_clean,
    photo_kind,
    window_check_for_staff,
)
from haochaping.organizations.administration.rules import require_administrator, require_unit_in_scope
from haochaping.organizations.administration.windows import window_in_scope
from haochaping.organizations.models import Staff, Unit, Window
from haochaping.organizations.selectors import Scope
from haochaping.organizations.services import staff_create


def _check_window(scope: Scope, window: Window | None, unit: Unit) -> None:
    if window is None:
        return
    if not window_in_scope(scope, window):
        raise PermissionDenied(f"窗口“{window.name}”不在您的管理范围内", code="window_out_of_scope")
    window_check_for_staff(window, unit)


@transaction.atomic
def staff_add(
    *, actor: Actor, scope: Scope, staff_no: str, name: str, unit: Unit, window: Window | None = None
) -> Staff:
    require_administrator(scope)
    require_unit_in_scope(scope, unit, label="所属单位")
    _check_window(scope, window, unit)
    return staff_create(actor=actor, staff_no=staff_no, name=name, unit=unit, window=window)


def _locked(staff: Staff) -> Staff:
    return Staff.objects.select_for_update(of=("self",)).select_related("unit", "window").get(pk=staff.pk)


def _require_mine(scope: Scope, staff: Staff) -> None:
    require_administrator(scope)
    require_unit_in_scope(scope, staff.unit, label="工作人员所属单位")


@transaction.atomic
def staff_update(*, actor: Actor, scope: Scope, staff: Staff, name: str, unit: Unit, window: Window | None) -> Staff:
    """Change a staff member's name, unit or window (常驻窗口); nothing changed: nothing written."""
    _require_mine(scope, staff)
    name = name_clean(name, label="姓名", max_length=STAFF_NAME_MAX)
    staff = _locked(staff)
    changes: dict[str, object] = {}
    if staff.name != name:
        changes["name"] = True  # a person's name: whether, not what (audit data hold no identity)
    if staff.unit_id != unit.pk:
        require_unit_in_scope(scope, unit, label="所属单位")
        if not unit.is_active:
            raise ValidationFailed(f"所属单位“{unit.name}”已停用", fields={"unit": ["所属单位已停用"]})
        changes["unit"] = [staff.unit.code, unit.code]
    if staff.window_id != (window.pk if window else None):
        _check_window(scope, window, unit)
        changes["window"] = [staff.window.code if staff.window else None, window.code if window else None]
    elif window is not None and "unit" in changes:
        window_check_for_staff(window, unit)  # the same window must still fit the new unit
    if not changes:
        return staff
    staff.name, staff.unit, staff.window = name, unit, window
    staff.save(update_fields=["name", "unit", "window"])
    audit_record(actor=actor, action="organizations:staff:updated", target=staff,
                 data={"staff_no": staff.staff_no, "changes": changes})  # fmt: skip
    return staff


def _remove_file(storage, name: str) -> None:
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def staff_photo_set(*, actor: Actor, scope: Scope, staff: Staff, content: bytes) -> Staff:
    """A new photo for the tablet (checked by content); the old file goes after the commit."""
    _require_mine(scope, staff)
    ext = photo_kind(content)
    staff = _locked(staff)
    old = staff.photo.name
    staff.photo.save(f"staff-{staff.pk}-{secrets.token_hex(6)}.{ext}", ContentFile(content), save=False)
    new = staff.photo.name
    staff.save(update_fields=["photo"])
    audit_record(actor=actor, action="organizations:staff:photo_set", target=staff,
                 data={"staff_no": staff.staff_no, "type": ext, "bytes": len(content)})  # fmt: skip
    _remove_file(staff.photo.storage, old if old != new else "")
    return staff


@transaction.atomic
def staff_photo_remove(*, actor: Actor, scope: Scope, staff: Staff) -> Staff:
    _require_mine(scope, staff)
    staff = _locked(staff)
    old = staff.photo.name
    if not old:
        return staff
    staff.photo = ""
    staff.save(update_fields=["photo"])
    audit_record(actor=actor, action="organizations:staff:photo_removed", target=staff,
                 data={"staff_no": staff.staff_no})  # fmt: skip
    _remove_file(staff.photo.storage, old)
    return staff


@transaction.atomic
def staff_set_on_duty(*, actor: Actor, scope: Scope, staff: Staff, on_duty: bool) -> Staff:
    """在岗 / 离岗: off duty, a staff member leaves the tablet and every picker; nothing is deleted."""
    _require_mine(scope, staff)
    staff = _locked(staff)
    if staff.is_active == on_duty:
        return staff
    if on_duty and not staff.unit.is_active:
        raise ValidationFailed(f"所属单位“{staff.unit.name}”已停用，请先调整所属单位", code="staff_unit_inactive")
    if on_duty and staff.window is not None and not staff.window.is_active:
        raise ValidationFailed(f"常驻窗口“{staff.window.name}”已停用，请先调整常驻窗口", code="staff_window_inactive")
    staff.is_active = on_duty
    staff.save(update_fields=["is_active"])
    action = "organizations:staff:reactivated" if on_duty else "organizations:staff:deactivated"
    audit_record(actor=actor, action=action, target=staff, data={"staff_no": staff.staff_no})
    return staff
