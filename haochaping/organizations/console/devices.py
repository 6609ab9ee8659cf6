"""Rating devices (评价设备).

* **评价设备** (``/console/devices/``): the tablets and kiosks in the caller's scope — a
  department admin sees the tablets of windows located at or staffed by their subtree and the
  kiosks placed in it — with pairing state and online/offline from the heartbeat. Supervisors
  and department admins create devices, re-issue pairing codes and revoke them; auditors only
  look. Every write is an ``organizations.devices`` service (audited there).
* **The pairing code is shown once.** ``device_create`` / ``device_new_pairing_code`` return
  it; it is kept in the session only until the device page has rendered it once (the
  post/redirect/get step), so a reload or the browser's back button never shows it again.

The clerk's 请评价 button, which asks a window's tablet to show the rating screen, is a rating
page: ``evaluations/console/rating_request.py``.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.audit.services import Actor
from haochaping.core.errors import PermissionDenied, ValidationFailed
from haochaping.core.pages.paging import page_of
from haochaping.organizations.console.forms import DeviceForm
from haochaping.organizations.devices import (
    ONLINE_SECONDS,
    PAIRING_MINUTES,
    device_create,
    device_is_online,
    device_new_pairing_code,
    device_revoke,
    device_summary,
)
from haochaping.organizations.models import Device, Role
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import (
    Scope,
    device_get_for,
    device_list,
    device_place_list,
    screen_place_list,
    window_list,
)

MANAGE_ROLES = (Role.SUPERVISOR, Role.DEPT_ADMIN)
VIEW_ROLES = (*MANAGE_ROLES, Role.AUDITOR)
CODE_SESSION_KEY = "console.device_pairing_code"


def _require(scope: Scope, roles: tuple[str, ...], message: str) -> None:
    if scope.role not in roles:
        raise PermissionDenied(message, code="devices_forbidden")


def _can_view(scope: Scope) -> None:
    _require(scope, VIEW_ROLES, "只有区政务服务中心督查、单位管理员和审计员可以查看评价设备")


def _can_manage(scope: Scope) -> None:
    _require(scope, MANAGE_ROLES, "只有区政务服务中心督查和单位管理员可以管理评价设备")


# --- what the pages show about a device ----------------------------------------------------------


def device_status(device: Device, now) -> dict:
    """Pairing and connection state in words, for the list and the device page."""
    paired = bool(device.credential_hash)
    code_live = bool(device.pairing_expires_at and device.pairing_expires_at > now)
    if not device.is_active:
        pairing, tone = "已撤销", "revoked"
    elif paired:
        pairing, tone = "已配对", "done"
    elif code_live:
        pairing, tone = "待配对", "pending"
    else:
        pairing, tone = "未配对（配对码已过期）", "pending"
    online = device.is_active and paired and device_is_online(device)
    return {
        "pairing": pairing,
        "tone": tone,
        "paired": paired,
        "code_live": device.is_active and not paired and code_live,
        "online": online,
        "connection": ("在线" if online else "离线") if device.is_active and paired else "—",
    }


def _place_label(device: Device) -> str:
    return device.window.unit.name if device.window_id else device.unit.name


# --- the list ------------------------------------------------------------------------------------


@console_page
@require_GET
def device_list_view(request, scope: Scope):
    _can_view(scope)
    now = timezone.now()
    devices = device_list(scope=scope).order_by("-is_active", "unit__path", "name", "pk")
    page = page_of(request, devices)
    rows = [{"device": d, "place": _place_label(d), **device_status(d, now)} for d in page.object_list]
    context = {
        "nav": "devices",
        "page_obj": page,
        "rows": rows,
        "can_manage": scope.role in MANAGE_ROLES,
        "summary": device_summary(scope=scope),
        "online_seconds": ONLINE_SECONDS,
    }
    return render(request, "organizations/devices.html", context)


# --- create --------------------------------------------------------------------------------------


def _remember_code(request, device: Device, code: str) -> None:
    request.session[CODE_SESSION_KEY] = {"device": device.pk, "code": code}


def _take_code(request, device: Device) -> str | None:
    """The pairing code just issued for this device, once (then it is gone from the session)."""
    held = request.session.get(CODE_SESSION_KEY)
    if not isinstance(held, dict) or held.get("device") != device.pk:
        return None
    del request.session[CODE_SESSION_KEY]
    return str(held.get("code", ""))


@console_page
@require_http_methods(["GET", "POST"])
def device_new(request, scope: Scope):
    _can_manage(scope)
    windows = list(window_list(scope=scope).order_by("unit__path", "code"))
    places = list(device_place_list(scope=scope))
    screen_places = list(screen_place_list(scope=scope).order_by("path"))
    form = DeviceForm(request.POST if request.method == "POST" else None, windows=windows, places=places,
                      screen_places=screen_places)  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            device, code = device_create(actor=Actor.for_user(request.user), name=data["name"], kind=data["kind"],
                                         window=data["window_obj"], unit=data["place_obj"])  # fmt: skip
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            _remember_code(request, device, code)
            messages.success(request, f"已添加设备“{device.name}”，请在 {PAIRING_MINUTES} 分钟内完成配对。")
            return redirect("console:device_detail", pk=device.pk)
    context = {"nav": "devices", "form": form, "pairing_minutes": PAIRING_MINUTES, "has_windows": bool(windows)}
    return render(request, "organizations/devices_new.html", context, status=422 if form.is_bound else 200)


# --- one device: its code, re-issue, revoke ------------------------------------------------------


@console_page
@require_http_methods(["GET", "POST"])
def device_detail(request, scope: Scope, pk: int):
    _can_view(scope)
    device = device_get_for(scope=scope, pk=pk)  # another unit's device: 404 before anything else
    if request.method == "POST":
        _can_manage(scope)
        return _device_action(request, device)
    now = timezone.now()
    code = _take_code(request, device)
    context = {
        "nav": "devices",
        "device": device,
        "place": _place_label(device),
        "status": device_status(device, now),
        "code": code,
        "code_display": f"{code[:4]} {code[4:]}" if code else "",
        "can_manage": scope.role in MANAGE_ROLES,
        "tablet_url": request.build_absolute_uri(reverse("portal:tablet")),
        "screen_url": request.build_absolute_uri(reverse("portal:screen")),
        "pairing_minutes": PAIRING_MINUTES,
        "online_seconds": ONLINE_SECONDS,
    }
    return render(request, "organizations/devices_detail.html", context)


def _device_action(request, device: Device):
    action = request.POST.get("action", "")
    actor = Actor.for_user(request.user)
    if not device.is_active:
        messages.error(request, "该设备已撤销，不能再配对或操作；如需使用请重新添加设备。")
    elif action == "code":
        code = device_new_pairing_code(actor=actor, device=device)
        _remember_code(request, device, code)
        messages.success(request, "已重新生成配对码；该设备原有的配对已失效，需要用新配对码重新配对。")
    elif action == "revoke":
        device_revoke(actor=actor, device=device)
        messages.success(request, f"已撤销设备“{device.name}”，它将无法再接收评价请求或提交评价。")
    else:
        messages.error(request, "未知的操作，请刷新页面后重试。")
    return redirect("console:device_detail", pk=device.pk)
