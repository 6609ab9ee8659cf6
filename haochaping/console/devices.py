"""Rating devices (评价设备) and the clerk's "请评价" button.

* **评价设备** (``/console/devices/``): the tablets and kiosks in the caller's scope — a
  department admin sees the tablets of windows located at or staffed by their subtree and the
  kiosks placed in it — with pairing state and online/offline from the heartbeat. Supervisors
  and department admins create devices, re-issue pairing codes and revoke them; auditors only
  look. Every write is an ``organizations.devices`` service (audited there).
* **The pairing code is shown once.** ``device_create`` / ``device_new_pairing_code`` return
  it; it is kept in the session only until the device page has rendered it once (the
  post/redirect/get step), so a reload or the browser's back button never shows it again.
* **请评价** (``/console/records/<pk>/rating-request/``): a window clerk (for their own
  services) or an admin asks the window's tablet to show the rating screen for one service
  (``evaluations.tablet.rating_request_create``). Nobody can rate from the console: the tablet
  rates with its own device credential only (``portal/tablet.py``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.audit.services import Actor
from haochaping.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from haochaping.core.pages.paging import page_of
from haochaping.evaluations.tablet import rating_request_create
from haochaping.organizations.devices import (
    ONLINE_SECONDS,
    PAIRING_MINUTES,
    device_create,
    device_is_online,
    device_new_pairing_code,
    device_revoke,
)
from haochaping.organizations.models import Device, DeviceKind, Role, Unit, Window
from haochaping.organizations.pages import RATING_REQUEST_ROLES, console_page
from haochaping.organizations.selectors import (
    Scope,
    device_get_for,
    device_list,
    device_place_list,
    tablet_window_ids,
    window_list,
)
from haochaping.service_records.selectors import service_record_get_for

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
    active = list(device_list(scope=scope).filter(is_active=True))
    windows = list(window_list(scope=scope).values_list("pk", flat=True))
    equipped = tablet_window_ids(window_ids=set(windows))
    context = {
        "nav": "devices",
        "page_obj": page,
        "rows": rows,
        "can_manage": scope.role in MANAGE_ROLES,
        "summary": {
            "active": len(active),
            "online": sum(1 for d in active if d.credential_hash and device_is_online(d)),
            "windows": len(windows),
            "equipped": len(equipped),
        },
        "online_seconds": ONLINE_SECONDS,
    }
    return render(request, "console/devices.html", context)


# --- create --------------------------------------------------------------------------------------


class DeviceForm(forms.Form):
    """A tablet for a window or a kiosk for a place; both lists come from the caller's scope."""

    kind = forms.ChoiceField(label="设备类型", choices=DeviceKind.choices, initial=DeviceKind.TABLET,
                             widget=forms.RadioSelect)  # fmt: skip
    window = forms.ChoiceField(label="窗口", required=False, help_text="窗口评价器放在哪个窗口")
    place = forms.ChoiceField(label="所在场所", required=False, help_text="自助评价终端放在哪个大厅或便民服务中心/点")
    name = forms.CharField(label="设备名称", required=False, max_length=100,
                           help_text="可留空：按窗口或场所名称自动命名，如“市场监管综合窗口评价器”")  # fmt: skip

    def __init__(self, data=None, *, windows: list[Window], places: list[Unit]):
        super().__init__(data)
        self.windows = {str(w.pk): w for w in windows}
        self.places = {str(u.pk): u for u in places}
        self.fields["window"].choices = [("", "请选择窗口")] + [
            (str(w.pk), f"{w.name}（{w.code}，{w.unit.name}）") for w in windows
        ]
        self.fields["place"].choices = [("", "请选择场所")] + [(str(u.pk), u.name) for u in places]
        if not places:  # nowhere in scope to put a kiosk
            self.fields["kind"].choices = [(DeviceKind.TABLET.value, DeviceKind.TABLET.label)]
            del self.fields["place"]
        self.fields["name"].widget.attrs["placeholder"] = "留空自动命名"

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind is None:  # not offered (a kiosk where no place is in scope): the field says so
            return data
        if kind == DeviceKind.TABLET:
            window = self.windows.get(data.get("window") or "")
            if window is None:
                self.add_error("window", "请选择窗口评价器所在的窗口")
            data["window_obj"], data["place_obj"] = window, None
            default_name = f"{window.name}评价器" if window else ""
        else:
            place = self.places.get(data.get("place") or "")
            if place is None:
                self.add_error("place", "请选择自助评价终端所在的场所")
            data["window_obj"], data["place_obj"] = None, place
            default_name = f"{place.name}自助评价终端" if place else ""
        data["name"] = (data.get("name") or "").strip() or default_name
        return data


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
    form = DeviceForm(request.POST if request.method == "POST" else None, windows=windows, places=places)
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
    return render(request, "console/devices_new.html", context, status=422 if form.is_bound else 200)


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
        "pairing_minutes": PAIRING_MINUTES,
        "online_seconds": ONLINE_SECONDS,
    }
    return render(request, "console/devices_detail.html", context)


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


# --- 请评价: the clerk's button --------------------------------------------------------------------


def _back(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):  # fmt: skip
        return target
    return reverse("console:record_list")


@console_page
@require_http_methods(["GET", "POST"])
def record_rating_request(request, scope: Scope, pk: int):
    """GET: what pressing 请评价 will do for this service; POST: push it to the window's tablet."""
    record = service_record_get_for(scope=scope, pk=pk)  # a clerk: only services they served
    _require(scope, RATING_REQUEST_ROLES, "只有窗口工作人员和管理员可以请群众在评价器上评价")
    window = record.window
    if request.method == "POST":
        try:
            rating_request_create(actor=Actor.for_user(request.user), record=record)
        except ApplicationError as exc:  # no paired tablet, already rated, wrong window
            messages.error(request, f"未能推送到评价器：{exc.message}")
        else:
            messages.success(request, f"已推送到“{window.name}”窗口评价器，请办事群众在评价器上评价。")
        return redirect(_back(request))
    has_tablet = bool(window) and record.window_id in tablet_window_ids(window_ids={record.window_id})
    context = {
        "nav": "records",
        "record": record,
        "rated": hasattr(record, "evaluation"),
        "has_tablet": has_tablet,
        "next": _back(request),
    }
    return render(request, "console/devices_rating_request.html", context)
