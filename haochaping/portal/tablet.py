"""The window tablet (窗口评价器): one full-screen page and the JSON endpoints it calls.

How a tablet authenticates (documented for installers in the page's script too):

* **Pairing.** ``POST /tablet/pair`` with ``{"code": "12345678"}`` (the one-time code an
  administrator created on the console's 评价设备 page) answers ``201`` with the device
  credential. The page keeps it in ``localStorage`` (``haochaping.tablet.credential``) and
  sends it on every call in the ``X-Device-Credential`` header. The server stores only its
  keyed SM3 hash (``organizations.devices``).
* **A header, never a cookie.** Browsers never attach a header by themselves, so no other site
  can make a tablet (or anybody's browser) call these endpoints: that is why they are exempt
  from Django's CSRF check. The credential never appears in a URL or in a server log.
* **Never a staff session.** The endpoints authenticate the device credential and nothing else:
  a console session without a credential gets the same ``401`` as any visitor, and a rating
  posted from a browser that also carries a console session is refused (``403``, audited) — a
  clerk cannot rate for a citizen even on the window's own tablet.

The endpoints:

* ``GET /tablet/next`` — the poll (every second): the device, and the newest live rating request
  for it with what the rating screen shows (service, clerk's name, 工号 and photo, the reasons
  of the active indicator set for the record's mode), and the idle screen's state (暂停服务, the
  window's staff on duty). Each poll is also the heartbeat. With
  ``?known=<request id>`` an unchanged request is answered in a few bytes.
* ``POST /tablet/rate`` — one rating: ``{record_id, level, reasons, text, dimensions,
  client_key, evaluated_at?}``. ``client_key`` is made on the tablet for each rating and sent
  again, unchanged, by its offline queue: a replay of a stored rating answers ``200`` with the
  same rating (``201`` when new); the channel is always 4 (窗口评价器).
* ``GET /tablet/photo/<request id>`` — the clerk's photo for a request of this tablet.
* ``GET /tablet/staff-photo/<staff id>`` — the photo of a staff member on duty at this tablet's
  window (the idle screen lists them: the poll's ``state.staff``).

The poll's ``state.paused`` is the 暂停服务 set by the window's clerk on the console
(``organizations.devices.device_set_paused``): the idle screen says 暂停服务 and no rating
request is handed out until the clerk resumes.
"""

from __future__ import annotations

import datetime as dt
import json
import mimetypes
import re
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haochaping.audit.models import ActorType, AuditEvent
from haochaping.audit.services import Actor, audit_record
from haochaping.core.env import env_int
from haochaping.core.errors import (
    ApplicationError,
    AuthenticationFailed,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from haochaping.core.http import client_ip
from haochaping.evaluations.choices import DIMENSION_FIELDS, Channel, Dimension, Level
from haochaping.evaluations.models import RatingRequest
from haochaping.evaluations.services import MAX_TEXT, RatingInput
from haochaping.evaluations.tablet import rating_request_next
from haochaping.intake.services import tablet_rate
from haochaping.organizations.devices import device_authenticate, device_heartbeat, device_pair
from haochaping.organizations.models import Device, DeviceKind, Staff
from haochaping.organizations.selectors import window_staff_on_duty
from haochaping.portal.forms import LEVEL_TONES, LEVELS, reasons_for
from haochaping.service_records.models import ServiceRecord

CREDENTIAL_HEADER = "X-Device-Credential"
POLL_MS = 1000  # "within 2 seconds" of the clerk's button: a poll every second
THANKS_SECONDS = 5
RETRY_SECONDS = 5  # the offline queue's retry period
DEFAULT_IDLE_SECONDS = 120

# Pairing codes are 8 digits: failed attempts are counted per client address (in the audit
# log, like failed console logins, so every server process sees the same count).
PAIR_MAX_FAILURES = 10
PAIR_LOCK_MINUTES = 15
PAIR_TARGET = "portal.tablet_pair"
PAIR_FAILED = "portal:tablet:pairing_failed"

CLIENT_KEY = re.compile(r"[A-Za-z0-9._:-]{8,64}")
MAX_REASONS = 20
MAX_ID = 2**63 - 1
# A tablet's own clock is trusted for when the citizen rated (a queued rating may reach the
# server much later), but only within a sane window; otherwise the server's time is used.
MAX_QUEUE_AGE = timedelta(days=7)
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}


def idle_seconds() -> int:
    """Seconds without a touch before the rating screen returns to idle (``TABLET_IDLE_SECONDS``).

    Until settings.py declares it, the environment variable is read here."""
    configured = getattr(settings, "TABLET_IDLE_SECONDS", None)
    if configured is None:
        configured = env_int("HAOCHAPING_TABLET_IDLE_SECONDS", DEFAULT_IDLE_SECONDS)
    return max(5, int(configured))


# --- plumbing ------------------------------------------------------------------------------------


def _json(data: dict, *, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def tablet_endpoint(view):
    """JSON in, JSON out; application errors in the API's error shape; never cached.

    CSRF-exempt because the only credential is a header a browser never adds on its own (see
    the module docstring); a request without it is refused before anything is read."""

    @csrf_exempt
    @never_cache
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as exc:
            return _json(exc.as_dict(), status=exc.status)

    return wrapper


def _device(request: HttpRequest) -> Device:
    """The tablet calling (by its credential header only); kiosks use their own pages."""
    device = device_authenticate(request.headers.get(CREDENTIAL_HEADER, "").strip())
    if device.kind != DeviceKind.TABLET or device.window_id is None:
        raise PermissionDenied("该设备不是窗口评价器", code="not_a_tablet")
    return device


def _body(request: HttpRequest) -> dict:
    if request.content_type != "application/json":
        raise ValidationFailed("请求须为 JSON（Content-Type: application/json）", code="bad_content_type")
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("请求内容不是有效的 JSON", code="bad_json") from exc
    if not isinstance(data, dict):
        raise ValidationFailed("请求内容须为 JSON 对象", code="bad_json")
    return data


def _device_out(device: Device) -> dict:
    window = device.window
    return {
        "id": device.pk,
        "name": device.name,
        "window": window.name if window else "",
        "window_code": window.code if window else "",
        "place": device.unit.name,
    }


def _state_out(device: Device) -> dict:
    """What the idle screen shows besides the window: 暂停服务, and the window's staff on duty
    (name, 工号, photo) so that citizens know who serves them before anybody asks to rate."""
    staff = window_staff_on_duty(window_id=device.window_id) if device.window_id else []
    return {
        "paused": device.paused_at is not None,
        "staff": [
            {
                "name": person.name,
                "staff_no": person.staff_no,
                "photo": reverse("portal:tablet_staff_photo", args=[person.pk]) if person.photo else None,
            }
            for person in staff
        ],
    }


# --- the page ------------------------------------------------------------------------------------


@never_cache
@require_GET
def tablet_page(request: HttpRequest) -> HttpResponse:
    """The shell: pairing, idle, rating and thank-you screens, all driven by tablet.js."""
    config = {
        "urls": {
            "pair": reverse("portal:tablet_pair"),
            "next": reverse("portal:tablet_next"),
            "rate": reverse("portal:tablet_rate"),
        },
        "header": CREDENTIAL_HEADER,
        "pollMs": POLL_MS,
        "idleSeconds": idle_seconds(),
        "thanksSeconds": THANKS_SECONDS,
        "retrySeconds": RETRY_SECONDS,
        "maxText": MAX_TEXT,
        "levels": [{"value": v, "label": label, "tone": LEVEL_TONES[v]} for v, label in LEVELS],
        "badLevels": [Level.DISSATISFIED.value, Level.VERY_DISSATISFIED.value],
        "dimensions": [{"name": d.value, "label": d.label} for d in Dimension],
    }
    return render(request, "portal/tablet.html", {"config": config})


# --- pairing -------------------------------------------------------------------------------------


class _NotATablet(Exception):
    """Raised inside the pairing transaction to undo the pairing of a kiosk's code."""


def _pairing_locked(ip: str) -> bool:
    since = timezone.now() - timedelta(minutes=PAIR_LOCK_MINUTES)
    failures = AuditEvent.objects.filter(
        action=PAIR_FAILED, target_type=PAIR_TARGET, target_id=ip[:64], occurred_at__gte=since
    ).count()
    return failures >= PAIR_MAX_FAILURES


def _pairing_failed(ip: str, reason: str) -> None:
    with transaction.atomic():
        audit_record(actor=Actor(ActorType.SYSTEM, "", "未配对的评价器"), action=PAIR_FAILED,
                     target_type=PAIR_TARGET, target_id=ip[:64], data={"ip": ip, "reason": reason})  # fmt: skip


@tablet_endpoint
@require_POST
def tablet_pair(request: HttpRequest) -> HttpResponse:
    ip = client_ip(request)
    if _pairing_locked(ip):
        return _json(
            {"error": {"code": "pairing_locked", "fields": {},
                       "message": f"配对码输入错误次数过多，请 {PAIR_LOCK_MINUTES} 分钟后再试"}},
            status=429,
        )  # fmt: skip
    code = str(_body(request).get("code", ""))
    code = re.sub(r"[\s-]+", "", code)  # as displayed: "9946 5374", "9946-5374"
    if not re.fullmatch(r"\d{8}", code):
        raise ValidationFailed("请输入 8 位数字配对码", code="bad_pairing_code", fields={"code": ["须为 8 位数字"]})
    try:
        with transaction.atomic():
            device, credential = device_pair(code=code)
            if device.kind != DeviceKind.TABLET or device.window_id is None:
                raise _NotATablet  # rolls the pairing back: the code stays valid for the kiosk
    except AuthenticationFailed:
        _pairing_failed(ip, "bad_code")
        raise
    except _NotATablet as exc:
        raise ValidationFailed(
            "这是自助评价终端的配对码，请在自助终端上输入；窗口评价器请使用为窗口生成的配对码", code="not_a_tablet"
        ) from exc
    device = Device.objects.select_related("window", "unit").get(pk=device.pk)
    return _json({"credential": credential, "header": CREDENTIAL_HEADER, "device": _device_out(device)}, status=201)


# --- the poll ------------------------------------------------------------------------------------


def _photo_url(request_id: int) -> str:
    return reverse("portal:tablet_photo", args=[request_id])


def _request_out(rating_request: RatingRequest) -> dict:
    record = rating_request.record
    staff = record.staff
    served = record.finished_at or record.accepted_at or record.created_at
    reasons = reasons_for(record)
    return {
        "id": rating_request.pk,
        "record_id": record.pk,
        "expires_at": rating_request.expires_at.isoformat(),
        "service": {
            "item": record.item.name,
            "unit": record.unit.name,
            "stage": record.get_stage_display(),
            "served_on": timezone.localtime(served).date().isoformat(),
        },
        "staff": (
            {
                "name": staff.name,
                "staff_no": staff.staff_no,
                "photo": _photo_url(rating_request.pk) if staff.photo else None,
            }
            if staff is not None
            else None
        ),
        "reasons": [{"code": r.code, "text": r.text, "group": r.group, "levels": r.levels} for r in reasons],
    }


@tablet_endpoint
@require_GET
def tablet_next(request: HttpRequest) -> HttpResponse:
    device = _device(request)
    device_heartbeat(device=device)
    rating_request = rating_request_next(device=device)
    payload: dict = {
        "now": timezone.now().isoformat(),
        "device": _device_out(device),
        "state": _state_out(device),
        "request": None,
    }
    if rating_request is not None:
        if request.GET.get("known") == str(rating_request.pk):
            payload["request"] = {"id": rating_request.pk, "unchanged": True}
        else:
            payload["request"] = _request_out(rating_request)
    return _json(payload)


@tablet_endpoint
@require_GET
def tablet_photo(request: HttpRequest, request_id: int) -> HttpResponse:
    device = _device(request)
    rating_request = RatingRequest.objects.select_related("record__staff").filter(pk=request_id, device=device).first()
    return _photo_response(rating_request.record.staff if rating_request is not None else None)


@tablet_endpoint
@require_GET
def tablet_staff_photo(request: HttpRequest, staff_id: int) -> HttpResponse:
    """The photo of one of the staff on duty at this tablet's window (the idle screen)."""
    device = _device(request)
    return _photo_response(window_staff_on_duty(window_id=device.window_id).filter(pk=staff_id).first())


def _photo_response(staff: Staff | None) -> HttpResponse:
    if staff is None or not staff.photo:
        raise NotFound("没有工作人员照片", code="no_photo")
    content_type = mimetypes.guess_type(staff.photo.name)[0]
    if content_type not in PHOTO_TYPES:
        raise NotFound("没有工作人员照片", code="no_photo")
    try:
        handle = staff.photo.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise NotFound("照片文件已丢失", code="no_photo") from exc
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the rating ----------------------------------------------------------------------------------


def _int(value, name: str, errors: dict) -> int | None:
    if type(value) is int and 0 < value <= MAX_ID:  # not bool, not "5", not past a database id
        return value
    errors[name] = ["须为正整数"]
    return None


def _rated_at(value) -> dt.datetime | None:
    """The tablet's time of rating, if plausible (not in the future, not older than a week); None
    lets the service use the server's time. A wrong tablet clock must never get a rating refused."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None or timezone.is_naive(moment):
        return None
    now = timezone.now()
    if moment > now or moment < now - MAX_QUEUE_AGE:
        return None
    return moment


def _rating_input(data: dict) -> tuple[int, RatingInput, dt.datetime | None]:
    errors: dict[str, list[str]] = {}
    record_id = _int(data.get("record_id"), "record_id", errors)
    level = _int(data.get("level"), "level", errors)
    reasons = data.get("reasons") or []
    if not isinstance(reasons, list) or len(reasons) > MAX_REASONS or not all(isinstance(r, str) for r in reasons):
        errors["reasons"] = [f"须为不超过 {MAX_REASONS} 项的理由编码列表"]
    text = data.get("text") or ""
    if not isinstance(text, str):
        errors["text"] = ["须为文字"]
    dimensions = data.get("dimensions") or {}
    if not isinstance(dimensions, dict) or not all(
        name in DIMENSION_FIELDS and (value is None or type(value) is int) for name, value in dimensions.items()
    ):
        errors["dimensions"] = ["分项评价格式不正确"]
    client_key = data.get("client_key")
    if not isinstance(client_key, str) or not CLIENT_KEY.fullmatch(client_key):
        errors["client_key"] = ["须为 8–64 位的字母、数字或 . _ : -"]
    if errors:
        raise ValidationFailed("评价数据格式不正确", fields=errors)
    rating = RatingInput(
        level=level,
        channel=Channel.TABLET,  # tablet_rate forces it anyway
        dimensions=dimensions,
        reasons=reasons,
        text=text,
        client_key=client_key,
    )
    return record_id, rating, _rated_at(data.get("evaluated_at"))


@tablet_endpoint
@require_http_methods(["POST"])
def tablet_rate_view(request: HttpRequest) -> HttpResponse:
    device = _device(request)
    if request.user.is_authenticated:
        # The tablet's browser also carries a console login: a clerk must never rate.
        audit_record(actor=Actor.for_user(request.user), action="portal:tablet:staff_refused", target=device,
                     data={"device": device.pk})  # fmt: skip
        raise PermissionDenied(
            "此浏览器已登录管理后台，工作人员不能代替群众评价。请退出管理后台后再使用评价器。", code="staff_session"
        )
    record_id, rating, rated_at = _rating_input(_body(request))
    if rated_at is not None:
        accepted_at = ServiceRecord.objects.filter(pk=record_id).values_list("accepted_at", flat=True).first()
        rating.evaluated_at = rated_at if accepted_at is None or rated_at >= accepted_at else None
    device_heartbeat(device=device)
    # A resend of a queued rating (also two sends at once: a second tab, a retry racing the first
    # attempt) gets the stored rating, created False.
    received = tablet_rate(device=device, record_id=record_id, data=rating)
    evaluation, case = received.evaluation, received.case
    body = {
        "id": evaluation.pk,
        "created": received.created,
        "record_id": record_id,
        "level": evaluation.level,
        "channel": evaluation.channel,
        "client_key": evaluation.client_key,
        "case": case.number if case is not None else None,
    }
    return _json(body, status=201 if received.created else 200)
