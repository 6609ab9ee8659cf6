"""Writes for organisations: units, windows, staff, console users and business systems."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import Conflict, ValidationFailed
from haochaping.organizations.administration.checks import (
    STAFF_NAME_MAX,
    STAFF_NO_MAX,
    code_clean,
    credit_code_clean,
    division_code_clean,
    name_clean,
    window_check_for_staff,
)
from haochaping.organizations.models import (
    BusinessSystem,
    Membership,
    Role,
    Staff,
    SystemErrorDay,
    Unit,
    UnitKind,
    Window,
)


@transaction.atomic
def unit_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None = None,
    division_code: str = "",
    credit_code: str = "",
) -> Unit:
    """A unit of the tree, unscoped (the command line, the demo, the import; the console's page
    checks the caller's rights first: ``administration.units.unit_add``)."""
    code = code_clean(code, label="单位编码")
    name = name_clean(name, label="单位名称")
    if kind not in UnitKind.values:
        raise ValidationFailed(f"单位类型 {kind} 无效", fields={"kind": ["无效的单位类型"]})
    division_code = division_code_clean(division_code)
    credit_code = credit_code_clean(credit_code)
    if parent is not None and not parent.is_active:
        raise ValidationFailed(f"上级单位“{parent.name}”已停用", fields={"parent": ["上级单位已停用"]})
    if Unit.objects.filter(code=code).exists():
        raise Conflict(f"单位编码 {code} 已存在", code="unit_exists", fields={"code": [f"单位编码 {code} 已存在"]})
    path = f"{parent.path if parent else '/'}{code}/"
    if len(path) > Unit._meta.get_field("path").max_length:  # type: ignore[operator]
        raise ValidationFailed("单位层级过深，无法在此处添加", fields={"parent": ["层级过深"]})
    unit = Unit.objects.create(
        code=code, name=name, kind=kind, parent=parent, path=path, division_code=division_code, credit_code=credit_code
    )
    audit_record(
        actor=actor,
        action="organizations:unit:created",
        target=unit,
        data={"code": code, "name": name, "kind": kind, "parent": parent.code if parent else None},
    )
    return unit


@transaction.atomic
def window_create(*, actor: Actor, code: str, name: str, unit: Unit, department: Unit | None = None) -> Window:
    """A window at a place (``unit``), optionally staffed by a department; unscoped (see
    ``administration.windows.window_add`` for the console's checks)."""
    code = code_clean(code, label="窗口编码")
    name = name_clean(name, label="窗口名称")
    if not unit.is_active:
        raise ValidationFailed(f"所在场所“{unit.name}”已停用", fields={"unit": ["所在场所已停用"]})
    if department is not None and not department.is_active:
        raise ValidationFailed(f"进驻部门“{department.name}”已停用", fields={"department": ["进驻部门已停用"]})
    if Window.objects.filter(code=code).exists():
        raise Conflict(f"窗口编码 {code} 已存在", code="window_exists", fields={"code": [f"窗口编码 {code} 已存在"]})
    window = Window.objects.create(code=code, name=name, unit=unit, department=department)
    audit_record(
        actor=actor,
        action="organizations:window:created",
        target=window,
        data={"code": code, "name": name, "unit": unit.code, "department": department.code if department else None},
    )
    return window


@transaction.atomic
def staff_create(*, actor: Actor, staff_no: str, name: str, unit: Unit, window: Window | None = None) -> Staff:
    """A staff member (工号 unique for good), unscoped (see ``administration.staff.staff_add``)."""
    staff_no = code_clean(staff_no, field="staff_no", label="工号", max_length=STAFF_NO_MAX)
    name = name_clean(name, label="姓名", max_length=STAFF_NAME_MAX)
    if not unit.is_active:
        raise ValidationFailed(f"所属单位“{unit.name}”已停用", fields={"unit": ["所属单位已停用"]})
    if window is not None:
        window_check_for_staff(window, unit)
    if Staff.objects.filter(staff_no=staff_no).exists():
        raise Conflict(f"工号 {staff_no} 已存在", code="staff_exists", fields={"staff_no": [f"工号 {staff_no} 已存在"]})
    staff = Staff.objects.create(staff_no=staff_no, name=name, unit=unit, window=window)
    audit_record(
        actor=actor,
        action="organizations:staff:created",
        target=staff,
        data={"staff_no": staff_no, "unit": unit.code, "window": window.code if window else None},
    )
    return staff


@transaction.atomic
def console_user_create(
    *,
    actor: Actor,
    username: str,
    password: str,
    unit: Unit,
    role: str,
    staff: Staff | None = None,
    display_name: str = "",
    is_superuser: bool = False,
):
    if role not in Role.values:
        raise ValidationFailed(f"角色 {role} 无效", fields={"role": ["无效的角色"]})
    if role == Role.WINDOW_CLERK and staff is None:
        raise ValidationFailed("窗口工作人员账号必须关联工作人员", fields={"staff": ["必填"]})
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise Conflict(f"用户名 {username} 已存在", code="user_exists")
    if is_superuser:
        user = user_model.objects.create_superuser(username=username, password=password, first_name=display_name)
    else:
        user = user_model.objects.create_user(username=username, password=password, first_name=display_name)
    Membership.objects.create(user=user, unit=unit, role=role, staff=staff)
    audit_record(
        actor=actor,
        action="organizations:user:created",
        target=user,
        data={"username": username, "unit": unit.code, "role": role, "superuser": is_superuser},
    )
    return user


@transaction.atomic
def business_system_register(*, actor: Actor, name: str, unit: Unit | None = None) -> tuple[BusinessSystem, str]:
    """Register a business system; returns it and its secret, which is never shown again."""
    if not name.strip():
        raise ValidationFailed("系统名称不能为空", fields={"name": ["必填"]})
    secret = _new_secret()
    system = BusinessSystem.objects.create(
        name=name.strip(), app_id="hcp_" + secrets.token_hex(8), secret=secret, unit=unit
    )
    audit_record(
        actor=actor,
        action="organizations:system:registered",
        target=system,
        data={"name": system.name, "app_id": system.app_id, "unit": unit.code if unit else None},
    )
    return system, secret


def business_system_touch(*, system: BusinessSystem) -> None:
    """Record that the system called the API (at most once a minute: no write per request)."""
    now = timezone.now()
    if system.last_seen_at is None or (now - system.last_seen_at).total_seconds() > 60:
        BusinessSystem.objects.filter(pk=system.pk).update(last_seen_at=now)
        system.last_seen_at = now


def _new_secret() -> str:
    return secrets.token_hex(32)


def _forget_cached(system: BusinessSystem) -> None:
    """Drop this process's cached copy of the system (``api_auth`` keeps one for 5 s) once the
    change has committed; other processes see it within those 5 s."""
    from haochaping.organizations import api_auth  # api_auth imports this module

    transaction.on_commit(api_auth.forget_cached_systems)


MAX_OVERLAP_HOURS = 24 * 30  # a rotation's overlap: at most 30 days


@transaction.atomic
def business_system_rotate_secret(*, actor: Actor, system: BusinessSystem, overlap_hours: int = 24) -> str:
    """Issue a new secret; returns it (shown once). The replaced secret keeps verifying
    signatures for ``overlap_hours`` (0: refused at once), so the system can switch without a
    refused request. A secret replaced earlier, still in its overlap, stops at once: at most
    two secrets are valid at any time."""
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        raise ValidationFailed(
            f"过渡期须为 0–{MAX_OVERLAP_HOURS} 小时", fields={"overlap_hours": [f"须为 0–{MAX_OVERLAP_HOURS} 的整数"]}
        )
    system = BusinessSystem.objects.select_for_update().get(pk=system.pk)
    if not system.is_active:
        raise Conflict("该业务系统已停用，不能更换密钥；请先重新启用", code="system_inactive")
    now = timezone.now()
    secret = _new_secret()
    system.previous_secret = system.secret if overlap_hours else ""
    system.previous_secret_expires_at = now + timedelta(hours=overlap_hours) if overlap_hours else None
    system.secret = secret
    system.secret_rotated_at = now
    system.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "secret_rotated_at"])
    audit_record(
        actor=actor,
        action="organizations:system:secret_rotated",
        target=system,
        data={
            "app_id": system.app_id,
            "overlap_hours": overlap_hours,
            "previous_expires_at": system.previous_secret_expires_at.isoformat()
            if system.previous_secret_expires_at
            else None,
        },
    )
    _forget_cached(system)
    return secret


@transaction.atomic
def business_system_update(*, actor: Actor, system: BusinessSystem, name: str, unit: Unit | None) -> BusinessSystem:
    """Rename a system or change the unit it may push into (its scope)."""
    name = name.strip()
    if not name:
        raise ValidationFailed("系统名称不能为空", fields={"name": ["必填"]})
    system = BusinessSystem.objects.select_for_update(of=("self",)).select_related("unit").get(pk=system.pk)
    before = {"name": system.name, "unit": system.unit.code if system.unit else None}
    after = {"name": name, "unit": unit.code if unit else None}
    if before == after:
        return system
    system.name, system.unit = name, unit
    system.save(update_fields=["name", "unit"])
    audit_record(
        actor=actor,
        action="organizations:system:updated",
        target=system,
        data={"app_id": system.app_id, "before": before, "after": after},
    )
    _forget_cached(system)
    return system


@transaction.atomic
def business_system_set_active(*, actor: Actor, system: BusinessSystem, active: bool) -> BusinessSystem:
    """Deactivate (its requests are refused with 401 ``unknown_app_id``; its records, ratings and
    statistics stay) or re-enable a system. Deactivating also ends a running secret overlap."""
    system = BusinessSystem.objects.select_for_update().get(pk=system.pk)
    if system.is_active == active:
        return system
    system.is_active = active
    fields = ["is_active", "deactivated_at"]
    if active:
        system.deactivated_at = None
    else:
        system.deactivated_at = timezone.now()
        system.previous_secret, system.previous_secret_expires_at = "", None
        fields += ["previous_secret", "previous_secret_expires_at"]
    system.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="organizations:system:activated" if active else "organizations:system:deactivated",
        target=system,
        data={"app_id": system.app_id, "name": system.name},
    )
    _forget_cached(system)
    return system


def system_error_count(*, system_id: int, code: str, status: int) -> None:
    """Count one error answer of a system's API call (``SystemErrorDay``): one UPDATE, and an
    INSERT the first time a (day, code) occurs. Called outside any request transaction."""
    day = timezone.localdate()
    code = code[:40]
    rows = SystemErrorDay.objects.filter(system_id=system_id, day=day, code=code)
    if rows.update(errors=F("errors") + 1):
        return
    try:
        with transaction.atomic():
            SystemErrorDay.objects.create(system_id=system_id, day=day, code=code, status=status, errors=1)
    except IntegrityError:  # created concurrently: count on it
        rows.update(errors=F("errors") + 1)
