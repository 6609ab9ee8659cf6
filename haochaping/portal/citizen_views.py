"""Citizen pages behind an SMS code: the static QR code of a place (``/q/<slug>``) and the mobile
user centre "我的评价" (``/my/``). The kiosk is in ``citizen_kiosk.py``.

Flow (both): phone number → SMS code (``verification.py``: limits, lockout, audit) → the list.
The session then holds the phone's blind indexes and its masked form for 30 minutes, never the
number. Rating itself is the signed-link page (``views.rate``): a "去评价" button passes
through a view here that checks the record again (this phone's, this place's, still unrated)
and redirects to the record's link, with ``c=3`` (QR code) from a QR page; from "我的评价"
the browser decides the channel (mobile/PC). That page refuses a console session's POST, so
staff cannot rate through these pages either.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from haochaping.core.http import client_ip
from haochaping.evaluations.choices import Channel
from haochaping.organizations.models import PlaceQrCode
from haochaping.organizations.qrcodes import qr_code_resolve
from haochaping.outreach.selectors import demands_for_phone
from haochaping.portal.citizen_data import (
    my_pending_get,
    my_services,
    place_pending_get,
    place_pending_services,
)
from haochaping.portal.citizen_forms import CodeForm, PhoneForm
from haochaping.portal.verification import (
    CodeRefused,
    Purpose,
    limit,
    phone_indexes,
    resend_wait_seconds,
    session_forget_citizen,
    session_mark_verified,
    session_pending,
    session_set_pending,
    session_verified_phone,
    sms_code_issue,
    sms_code_verify,
)
from haochaping.portal.views import SESSION_QR_SLUG
from haochaping.portal.views import _page as render_page  # the portal's shared page frame (大字, hall phone)
from haochaping.service_records.services import my_link_read, rating_link_for

SESSION_MY_FOCUS = "citizen_my_focus"  # {"record": id} or {"expired": True}: what an SMS link asked for


def _link_path(record, *, channel: int | None = None) -> str:
    """The record's signed rating link as a path on this site (whatever PUBLIC_BASE_URL says)."""
    parts = urlsplit(rating_link_for(record, channel=channel))
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _place(qr: PlaceQrCode) -> dict:
    if qr.window_id is not None:
        window = qr.window
        return {"name": window.name, "where": window.unit.name, "kind": "窗口"}
    return {"name": qr.unit.name, "where": "", "kind": qr.unit.get_kind_display()}


def _qr_invalid(request: HttpRequest) -> HttpResponse:
    return render_page(request, "portal/qr_invalid.html", {}, status=404)


def _phone_page(
    request, *, context: dict, form: PhoneForm | None = None, error: str = "", status: int = 200, pending=None
):
    """The phone form; with a code already sent in this session (``pending``), the code field
    too, usable at once, while the button to get another code waits out its interval."""
    extra: dict = {"form": form or PhoneForm(), "error": error}
    if pending is not None:
        extra.update(
            {
                "code_form": CodeForm(),
                "pending_masked": pending["masked"],
                "resend_wait": resend_wait_seconds(pending["indexes"][0]),
                "minutes": limit("SMS_CODE_MINUTES"),
            }
        )
    return render_page(request, "portal/citizen_phone.html", {**context, **extra}, status=status)


def _send_code(
    request, *, purpose: Purpose, context: dict, next_url: str, code_url: str, **pending_extra
) -> HttpResponse:
    """POST of the phone form: send a code within the limits, then the code page.

    Asked again too soon ("请 44 秒后再获取验证码"), the code sent a moment ago is still valid: the
    page keeps the message and offers the code field for it, with this phone as the pending one.
    """
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return _phone_page(request, context=context, form=form, status=422)
    mobile = form.cleaned_data["phone"]
    try:
        sms_code_issue(mobile=mobile, purpose=purpose, ip=client_ip(request))
    except CodeRefused as exc:
        pending = session_pending(request, purpose)
        if exc.code == "too_soon":
            same = pending is not None and pending["indexes"] == phone_indexes(mobile)
            if not same or not _same_extra(pending, pending_extra):
                session_set_pending(request, mobile=mobile, purpose=purpose, **pending_extra)
            pending = session_pending(request, purpose)
        elif pending is not None and not _same_extra(pending, pending_extra):
            pending = None
        context = {**context, "pending_url": code_url if pending else ""}
        return _phone_page(request, context=context, form=form, error=exc.message, status=exc.status, pending=pending)
    session_set_pending(request, mobile=mobile, purpose=purpose, **pending_extra)
    return redirect(next_url)


def _same_extra(pending: dict, extra: dict) -> bool:
    """The pending code belongs to this page (the QR code's slug)."""
    return all(pending.get(key) == value for key, value in extra.items())


def _code_page(request, *, pending: dict, context: dict, form=None, status=200):
    context = {
        "form": form or CodeForm(),
        "error": "",
        "locked": False,
        "masked": pending["masked"],
        "minutes": limit("SMS_CODE_MINUTES"),
        "interval": limit("SMS_CODE_PHONE_INTERVAL_SECONDS"),
        "per_hour": limit("SMS_CODE_PHONE_PER_HOUR"),
        **context,
    }
    return render_page(request, "portal/citizen_code.html", context, status=status)


def _check_code(request, *, pending: dict, context: dict, done_url: str) -> HttpResponse:
    """POST of the code form: verified → the session holds the phone; else the reason, in Chinese."""
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _code_page(request, pending=pending, context=context, form=form, status=422)
    try:
        sms_code_verify(
            phone_index=pending["indexes"][0],
            code=form.cleaned_data["code"],
            masked=pending["masked"],
            ip=client_ip(request),
        )
    except CodeRefused as exc:
        locked = exc.code in ("phone_locked", "no_code", "expired")
        context = {**context, "form": CodeForm(), "error": exc.message, "locked": locked}
        return _code_page(request, pending=pending, context=context, status=exc.status)
    session_mark_verified(request, pending)
    return redirect(done_url)


# --- static QR code of a place ---------------------------------------------------------------------


def _qr_context(qr: PlaceQrCode) -> dict:
    return {
        "flow": "qr",
        "place": _place(qr),
        "phone_url": reverse("portal:qr", args=[qr.slug]),
        "days": limit("CITIZEN_QR_DAYS"),
    }


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def qr_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The page a QR code opens: the phone form, or (verified) the unrated services here."""
    qr = qr_code_resolve(slug)
    if qr is None:
        return _qr_invalid(request)
    context = _qr_context(qr)
    code_url = reverse("portal:qr_code", args=[qr.slug])
    if request.method == "POST":
        return _send_code(
            request, purpose=Purpose.QR, context=context, next_url=code_url, code_url=code_url, slug=qr.slug
        )
    verified = session_verified_phone(request)
    if verified is None:
        pending = session_pending(request, Purpose.QR)
        if pending is not None and pending.get("slug") != qr.slug:
            pending = None
        context["pending_url"] = code_url if pending else ""
        return _phone_page(request, context=context, pending=pending)
    services = place_pending_services(indexes=verified.indexes, qr=qr, days=context["days"])
    context.update(
        {
            "masked": verified.masked,
            "services": [_service_row(record) for record in services],
            "rate_url_name": "portal:qr_rate",
            "slug": qr.slug,
            "logout_next": reverse("portal:qr", args=[qr.slug]),
        }
    )
    return render_page(request, "portal/qr_services.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def qr_code(request: HttpRequest, slug: str) -> HttpResponse:
    qr = qr_code_resolve(slug)
    if qr is None:
        return _qr_invalid(request)
    pending = session_pending(request, Purpose.QR)
    if pending is None or pending.get("slug") != qr.slug:
        return redirect("portal:qr", slug=qr.slug)
    context = _qr_context(qr)
    if request.method == "POST":
        return _check_code(request, pending=pending, context=context, done_url=reverse("portal:qr", args=[qr.slug]))
    return _code_page(request, pending=pending, context=context)


@never_cache
@require_http_methods(["GET", "HEAD"])
def qr_rate(request: HttpRequest, slug: str, record_id: int) -> HttpResponse:
    """ "去评价": the record's rating link (channel 3, QR code), after checking it again."""
    qr = qr_code_resolve(slug)
    if qr is None:
        return _qr_invalid(request)
    verified = session_verified_phone(request)
    record = None
    if verified is not None:
        record = place_pending_get(indexes=verified.indexes, qr=qr, days=limit("CITIZEN_QR_DAYS"), record_id=record_id)
    if record is None:
        return redirect("portal:qr", slug=qr.slug)
    request.session[SESSION_QR_SLUG] = qr.slug  # the thank-you page offers "继续评价其他服务" here
    return redirect(_link_path(record, channel=Channel.QR))


def _service_row(record) -> dict:
    served = record.finished_at or record.accepted_at or record.created_at
    return {"record": record, "served_on": timezone.localtime(served).date()}


# --- 我的评价 (mobile user centre) -------------------------------------------------------------------


def _my_context(request: HttpRequest | None = None) -> dict:
    focus = request.session.get(SESSION_MY_FOCUS) if request is not None else None
    return {
        "flow": "my",
        "phone_url": reverse("portal:my"),
        "days": limit("CITIZEN_QR_DAYS"),
        "link_expired": isinstance(focus, dict) and bool(focus.get("expired")),
        "link_days": settings.MY_LINK_DAYS,
    }


@never_cache
@require_http_methods(["GET", "HEAD"])
def my_link(request: HttpRequest, token: str) -> HttpResponse:
    """The short link in the feedback SMS: 我的评价, opening on the service it names.

    The link proves nothing about who holds it (an SMS is forwarded, shown on a lock screen,
    fetched by link-preview robots), so it never verifies the phone: 我的评价 asks for the SMS
    code as always, and the service it names is shown first only if it belongs to the phone
    verified. A forged link is plain 我的评价; an expired one says so.
    """
    read = my_link_read(token)
    if read is not None:
        record_id, expired = read
        request.session[SESSION_MY_FOCUS] = {"expired": True} if expired else {"record": record_id}
    return redirect("portal:my")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def my_page(request: HttpRequest) -> HttpResponse:
    context = _my_context(request)
    code_url = reverse("portal:my_code")
    if request.method == "POST":
        return _send_code(request, purpose=Purpose.MY, context=context, next_url=code_url, code_url=code_url)
    verified = session_verified_phone(request)
    if verified is None:
        pending = session_pending(request, Purpose.MY)
        context["pending_url"] = code_url if pending else ""
        return _phone_page(request, context=context, pending=pending)
    since = timezone.now() - dt.timedelta(days=context["days"])
    rows = []
    for service in my_services(indexes=verified.indexes):
        record = service.record
        served = record.finished_at or record.accepted_at or record.created_at
        rows.append(
            {
                "service": service,
                "record": record,
                "served_on": timezone.localtime(served).date(),
                "can_rate": not service.rated and record.created_at >= since,
            }
        )
    focus = request.session.pop(SESSION_MY_FOCUS, None) or {}
    focused = [row for row in rows if row["record"].pk == focus.get("record")]
    for row in focused:  # the service the SMS was about, first (only if it is this phone's)
        row["focused"] = True
        rows.remove(row)
        rows.insert(0, row)
    demands = [d for index in verified.indexes for d in demands_for_phone(index)]
    context.update({"masked": verified.masked, "rows": rows, "demands": demands, "logout_next": reverse("portal:my")})
    return render_page(request, "portal/my_services.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def my_code(request: HttpRequest) -> HttpResponse:
    pending = session_pending(request, Purpose.MY)
    if pending is None:
        return redirect("portal:my")
    context = _my_context(request)
    if request.method == "POST":
        return _check_code(request, pending=pending, context=context, done_url=reverse("portal:my"))
    return _code_page(request, pending=pending, context=context)


@never_cache
@require_http_methods(["GET", "HEAD"])
def my_rate(request: HttpRequest, record_id: int) -> HttpResponse:
    verified = session_verified_phone(request)
    record = None
    if verified is not None:
        record = my_pending_get(indexes=verified.indexes, days=limit("CITIZEN_QR_DAYS"), record_id=record_id)
    if record is None:
        return redirect("portal:my")
    return redirect(_link_path(record))


@never_cache
@require_POST
def citizen_logout(request: HttpRequest) -> HttpResponse:
    """退出: the verified phone leaves the session; back to where the citizen came from."""
    session_forget_citizen(request)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = reverse("portal:my")
    return redirect(target)
