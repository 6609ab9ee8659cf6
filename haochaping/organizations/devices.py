"""Rating devices (窗口评价器, kiosks): create, pair, authenticate, heartbeat, revoke.

Codes and credentials are random, shown once, and stored only as keyed SM3 hashes.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.core.crypto import hmac_sm3_hex
from haochaping.core.errors import AuthenticationFailed, ValidationFailed
from haochaping.organizations.models import Device, DeviceKind, Unit, Window
from haochaping.organizations.selectors import Scope, device_list, tablet_window_ids, window_list

PAIRING_MINUTES = 30
ONLINE_SECONDS = 90  # a device that sent no heartbeat for this long shows as offline


def _digest(kind: str, value: str) -> str:
    return hmac_sm3_hex(settings.SECRET_KEY.encode(), f"device-{kind}:{value}".encode())


@transaction.atomic
def device_create(*, actor: Actor, name: str, window: Window | None = None, unit: Unit | None = None,
                  kind: str = DeviceKind.TABLET) -> tuple[Device, str]:  # fmt: skip
    """Register a device; returns it and its one-time pairing code (8 digits, 30 minutes)."""
    if kind == DeviceKind.TABLET and window is None:
        raise ValidationFailed("窗口评价器必须指定窗口", fields={"window": ["必填"]})
    place = window.unit if window is not None else unit
    if place is None:
        raise ValidationFailed("自助终端必须指定所在场所", fields={"unit": ["必填"]})
    if not name.strip():
        raise ValidationFailed("设备名称不能为空", fields={"name": ["必填"]})
    device = Device.objects.create(name=name.strip(), kind=kind, window=window, unit=place)
    code = device_new_pairing_code(actor=actor, device=device)
    audit_record(actor=actor, action="organizations:device:created", target=device,
                 data={"name": device.name, "kind": kind, "window": window.code if window else None,
                       "unit": place.code})  # fmt: skip
    return device, code


@transaction.atomic
def device_new_pairing_code(*, actor: Actor, device: Device) -> str:
    """A fresh one-time pairing code; the device must pair again (its credential is revoked)."""
    code = f"{secrets.randbelow(10**8):08d}"
    Device.objects.filter(pk=device.pk).update(
        pairing_code_hash=_digest("pairing", code),
        pairing_expires_at=timezone.now() + dt.timedelta(minutes=PAIRING_MINUTES),
        credential_hash="",
    )
    device.refresh_from_db()
    audit_record(actor=actor, action="organizations:device:pairing_code_issued", target=device, data={})
    return code


@transaction.atomic
def device_pair(*, code: str) -> tuple[Device, str]:
    """The tablet enters the code once; it receives its credential (kept in the browser)."""
    code = "".join(code.split())
    device = (
        Device.objects.select_for_update()
        .filter(pairing_code_hash=_digest("pairing", code), is_active=True, pairing_expires_at__gt=timezone.now())
        .first()
    )
    if device is None or not code.isdigit():
        raise AuthenticationFailed("配对码无效或已过期，请让管理员重新生成", code="bad_pairing_code")
    credential = secrets.token_urlsafe(32)
    Device.objects.filter(pk=device.pk).update(
        pairing_code_hash="", pairing_expires_at=None, credential_hash=_digest("credential", credential),
        paired_at=timezone.now(), last_seen_at=timezone.now(),
    )  # fmt: skip
    device.refresh_from_db()
    audit_record(actor=Actor("system", str(device.pk), device.name), action="organizations:device:paired",
                 target=device, data={})  # fmt: skip
    return device, credential


def device_authenticate(credential: str) -> Device:
    """The device of a credential, or an authentication error (revoked, unknown, disabled)."""
    if not credential:
        raise AuthenticationFailed("设备未配对", code="device_not_paired")
    device = (
        Device.objects.select_related("window", "unit", "window__department")
        .filter(credential_hash=_digest("credential", credential), is_active=True)
        .first()
    )
    if device is None:
        raise AuthenticationFailed("设备凭据无效，请重新配对", code="bad_device_credential")
    return device


def device_heartbeat(*, device: Device) -> None:
    """Telemetry, not a state change: not audited, at most one write every 15 s."""
    now = timezone.now()
    # A stored time ahead of now (the clock was corrected) is replaced too.
    if device.last_seen_at is None or not (0 <= (now - device.last_seen_at).total_seconds() <= 15):
        with transaction.atomic():
            Device.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now


def device_is_online(device: Device) -> bool:
    return device.last_seen_at is not None and (timezone.now() - device.last_seen_at).total_seconds() <= ONLINE_SECONDS


@transaction.atomic
def device_set_paused(*, actor: Actor, device: Device, paused: bool) -> Device:
    """暂停服务 / 恢复服务 of a window tablet (the clerk steps away, the window closes).

    A paused tablet shows 暂停服务 on its idle screen and takes no rating request; a rating
    already queued on it is still received. Setting the state it already has changes nothing."""
    if device.kind != DeviceKind.TABLET:
        raise ValidationFailed("只有窗口评价器可以暂停服务", code="not_a_tablet")
    device = Device.objects.select_for_update().get(pk=device.pk)
    if (device.paused_at is not None) == paused:
        return device
    device.paused_at = timezone.now() if paused else None
    device.save(update_fields=["paused_at"])
    audit_record(actor=actor, action=f"organizations:device:{'paused' if paused else 'resumed'}", target=device,
                 data={"window": device.window_id})  # fmt: skip
    return device


@transaction.atomic
def device_revoke(*, actor: Actor, device: Device) -> None:
    Device.objects.filter(pk=device.pk).update(is_active=False, credential_hash="", pairing_code_hash="")
    audit_record(actor=actor, action="organizations:device:revoked", target=device, data={})


def device_summary(*, scope: Scope) -> dict:
    """The figures above the device list: active devices, how many are online, and how many of
    the scope's windows have a paired tablet."""
    active = list(device_list(scope=scope).filter(is_active=True))
    windows = set(window_list(scope=scope).values_list("pk", flat=True))
    return {
        "active": len(active),
        "online": sum(1 for d in active if d.credential_hash and device_is_online(d)),
        "windows": len(windows),
        "equipped": len(tablet_window_ids(window_ids=windows)),
    }
