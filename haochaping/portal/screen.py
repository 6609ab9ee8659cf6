"""大厅大屏 paired as a display device: the hall screen without anybody's login.

The console's 大屏 (``/console/analytics/screen/``) runs on a supervisor's session, which expires
(``SESSION_COOKIE_AGE``; its polls deliberately do not renew it), so it cannot be left running for
days. A hall display is therefore registered on the 评价设备 page as a device of kind 大厅大屏 for a
place (the hall, a street centre, a community point) and paired once with the same one-time code
as a window tablet:

* ``GET /screen/``: without a valid display credential, the pairing form; with one, the same
  dark full-screen page as the console's 大屏, for the device's place and its subtree, read-only.
* ``POST /screen/pair``: the 8-digit code (CSRF-protected form). The credential goes into an
  HttpOnly, SameSite=Strict cookie limited to ``/screen/`` (Secure like the session cookie):
  the page itself is server-rendered from it, so the screen shows its figures at once and
  without JavaScript. Only the credential's keyed SM3 hash is stored. Wrong codes count against
  the client address like the tablet's pairing (``PAIR_MAX_FAILURES`` in ``PAIR_LOCK_MINUTES``).
* ``GET /screen/data``: the figures as JSON for ``analytics/screen.js`` (``401`` with a JSON
  error when the credential is revoked, which the page shows as 大屏凭据已失效).

The credential grants nothing but these two reads: it is not a session, the console and the
tablet endpoints ignore it. Revoking the device on the 评价设备 page ends it at the next poll.
Each request is the device's heartbeat (online state on the 评价设备 page).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.analytics.screen import FEED_SIZE, OVERDUE_SIZE, TILES, screen_data
from haochaping.core.contact import hall_phone, tel_of
from haochaping.core.errors import AuthenticationFailed
from haochaping.core.http import client_ip
from haochaping.organizations.devices import device_authenticate, device_heartbeat, device_pair
from haochaping.organizations.models import Device, DeviceKind
from haochaping.portal.tablet import PAIR_LOCK_MINUTES, _pairing_failed, _pairing_locked

COOKIE = "haochaping_screen"
COOKIE_PATH = "/screen/"
COOKIE_DAYS = 365
DEFAULT_REFRESH = 30  # seconds
MIN_REFRESH, MAX_REFRESH = 1, 3600


class _NotAScreen(Exception):
    pass


def _screen_device(request: HttpRequest) -> Device | None:
    """The paired display of this browser, or None (no cookie, revoked, or not a 大屏)."""
    credential = request.COOKIES.get(COOKIE, "").strip()
    if not credential:
        return None
    try:
        device = device_authenticate(credential)
    except AuthenticationFailed:
        return None
    if device.kind != DeviceKind.SCREEN:
        return None
    device_heartbeat(device=device)
    return device


def _refresh_seconds(value: str | None) -> int:
    try:
        seconds = int(value or DEFAULT_REFRESH)
    except ValueError:
        return DEFAULT_REFRESH
    return min(max(seconds, MIN_REFRESH), MAX_REFRESH)


def _pair_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    context = {"error": error, "hall_phone": hall_phone(), "hall_phone_tel": tel_of(hall_phone()), "big": False,
               "big_toggle_url": "?big=1", "kiosk": True}  # fmt: skip
    response = render(request, "portal/screen_pair.html", context, status=status)
    if request.COOKIES.get(COOKIE):
        response.delete_cookie(COOKIE, path=COOKIE_PATH, samesite="Strict")
    return response


@never_cache
@require_GET
def screen_page(request: HttpRequest) -> HttpResponse:
    device = _screen_device(request)
    if device is None:
        error = (
            "本大屏的凭据已失效（设备已停用或已重新生成配对码），请重新配对。" if request.COOKIES.get(COOKIE) else ""
        )
        return _pair_page(request, error=error)
    data = screen_data(device.unit.path)
    context = {
        "data": data,
        "tiles": [(key, label, data["tiles"][key]) for key, label in TILES],
        "feed": data["feed"] + [None] * (FEED_SIZE - len(data["feed"])),
        "overdue": data["overdue"]["rows"] + [None] * (OVERDUE_SIZE - len(data["overdue"]["rows"])),
        "refresh": _refresh_seconds(request.GET.get("refresh")),
        "data_url": reverse("portal:screen_data"),
        "display": device,
    }
    return render(request, "analytics/screen.html", context)


@require_http_methods(["POST"])
def screen_pair(request: HttpRequest) -> HttpResponse:
    ip = client_ip(request)
    if _pairing_locked(ip):
        return _pair_page(request, error=f"配对码输入错误次数过多，请 {PAIR_LOCK_MINUTES} 分钟后再试", status=429)
    code = re.sub(r"[\s-]+", "", request.POST.get("code", ""))
    if not re.fullmatch(r"\d{8}", code):
        return _pair_page(request, error="请输入 8 位数字配对码", status=422)
    try:
        with transaction.atomic():
            device, credential = device_pair(code=code)
            if device.kind != DeviceKind.SCREEN:
                raise _NotAScreen  # rolls the pairing back: the code stays valid for its own device
    except AuthenticationFailed as exc:
        _pairing_failed(ip, "bad_code")
        return _pair_page(request, error=exc.message, status=422)
    except _NotAScreen:
        return _pair_page(request, error="这不是大厅大屏的配对码：窗口评价器和自助终端请在各自设备上配对", status=422)
    response = redirect("portal:screen")
    response.set_cookie(
        COOKIE, credential, max_age=COOKIE_DAYS * 86400, path=COOKIE_PATH, secure=settings.SESSION_COOKIE_SECURE,
        httponly=True, samesite="Strict",
    )  # fmt: skip
    return response


@never_cache
@require_GET
def screen_data_view(request: HttpRequest) -> HttpResponse:
    device = _screen_device(request)
    if device is None:
        error = {"code": "bad_device_credential", "message": "大屏凭据无效或已停用，请重新配对", "fields": {}}
        return JsonResponse({"error": error}, status=401, json_dumps_params={"ensure_ascii": False})
    return JsonResponse(screen_data(device.unit.path), json_dumps_params={"ensure_ascii": False})
