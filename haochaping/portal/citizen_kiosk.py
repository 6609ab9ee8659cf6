"""Self-service terminal / PC mode (``/kiosk/``): 办件编号 + the applicant's name or phone → an SMS
code to the phone on the record → the services of that 办件 to rate (channel 5, 自助终端).

Decisions:

* **Lookup.** The applicant's name is compared in Python after decryption (names are not
  blind-indexed) and never logged; a phone is compared by blind index. A miss says the same
  whether the 办件 exists or not. Misses per 办件编号 are audited (without what was typed)
  and, after ``KIOSK_LOOKUP_FAILURES`` (5) within ``KIOSK_LOOKUP_LOCK_MINUTES`` (15), that
  number cannot be looked up until the window has passed: no guessing names on a terminal.
  Misses are also counted per client address: after ``KIOSK_LOOKUP_CLIENT_FAILURES`` (20) in
  the same window that address looks nothing up (no trying many numbers from one place). A
  wrong name or phone for an existing 办件 costs the same work as an unknown number
  (``kiosk_match``) and gets the same answer.
* **Scanned receipts.** A keyboard-wedge scanner types the receipt QR's content into the 办件编号
  field and presses Enter: a rating link (``…/r/<token>``) gives the 办件编号 of its record (the
  signature is checked; an expired link still names its record), a plain 办件编号 is taken as
  typed. A scan without a name yet shows the number and asks for the name, not an error.
* **Type size.** Kiosk pages are large by default and have the portal's 大字版 switch
  (``?big=1``/``0``, larger still); opening the start page afresh returns to the default, so the
  next person does not inherit the previous one's choice.
* **Code.** The code goes to the phone registered on the record (shown masked), with the
  limits of ``verification.py``. The kiosk's verified state is kept apart from the phone
  verified for "我的评价", under its own session key, and covers that one 办件 only.
* **Shared terminal.** The state ends after ``KIOSK_IDLE_SECONDS`` (120) without a request
  (server side, works without JavaScript), on "完成并退出", and whenever the start page is
  opened. With JavaScript every kiosk page returns to the start after the same idle time,
  announcing it 30 s before with a button to stay. A rating form opened in time is still
  accepted within the 30-minute session (no time pressure while someone is rating).
* **Channel.** The signed-link rating page only accepts link channels (1, 2, 3, 7); the
  kiosk renders the same form here and submits with channel 5 itself. A console session's
  POST is refused here too (403, audited), as on the rating page.
"""

from __future__ import annotations

import datetime as dt
import re
import time

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import ApplicationError, Conflict, ValidationFailed
from haochaping.core.http import client_ip
from haochaping.evaluations.choices import BAD_LEVELS, Channel, Level
from haochaping.evaluations.selectors import RatingTarget
from haochaping.evaluations.services import MAX_TEXT
from haochaping.intake.services import RatingContext, rating_receive
from haochaping.portal.citizen_data import kiosk_match, kiosk_service_get, kiosk_services
from haochaping.portal.citizen_forms import CodeForm, KioskLookupForm
from haochaping.portal.forms import LEVELS, RatingForm, reasons_for
from haochaping.portal.links import rating_link_resolve
from haochaping.portal.verification import (
    SESSION_PENDING,
    CodeRefused,
    Purpose,
    limit,
    mobile_number,
    phone_indexes,
    session_forget_citizen,
    session_mark_verified,
    session_pending,
    session_set_pending,
    sms_code_issue,
    sms_code_verify,
)
from haochaping.portal.views import BIG_COOKIE, _page

SESSION_KIOSK = "citizen_kiosk"
LOOKUP_FAILED = "portal:kiosk:lookup_failed"
LOOKUP_TARGET = "portal.kiosk_project"
WARN_SECONDS = 30  # the "还在吗？" notice before JavaScript returns to the start


def _page_kiosk(request, template: str, context: dict, *, status: int = 200, idle: int | None = None) -> HttpResponse:
    """Kiosk pages: large type (html.kiosk-page) with the 大字版 switch, touch-sized, with the idle
    return to the start."""
    context = {
        "kiosk": True,
        "idle_seconds": idle or limit("KIOSK_IDLE_SECONDS"),
        "warn_seconds": WARN_SECONDS,
        "start_url": reverse("portal:kiosk"),
        **context,
    }
    return _page(request, template, context, status=status)


def _forget(request) -> None:
    session_forget_citizen(request, SESSION_KIOSK)


def _state(request, *, rating_post: bool = False) -> dict | None:
    """The kiosk's verified state while fresh; touching it counts as activity."""
    data = request.session.get(SESSION_KIOSK)
    if not isinstance(data, dict) or not data.get("indexes") or not data.get("project_no"):
        return None
    now = time.time()
    idle = now - data.get("seen", 0) > limit("KIOSK_IDLE_SECONDS")
    stale = now - data.get("at", 0) > limit("CITIZEN_SESSION_MINUTES") * 60
    if stale or (idle and not rating_post):
        _forget(request)
        return None
    data["seen"] = int(now)
    request.session[SESSION_KIOSK] = data
    return data


def _pending(request) -> dict | None:
    pending = session_pending(request, Purpose.KIOSK)
    if pending is None or time.time() - pending.get("sent_at", 0) > limit("SMS_CODE_MINUTES") * 60:
        return None
    return pending


def _lookup_locked(project_no: str, ip: str) -> str:
    """Why lookups are refused now ("" when they are not): too many misses for this 办件编号, or
    from this client address (whatever numbers it tried)."""
    minutes = limit("KIOSK_LOOKUP_LOCK_MINUTES")
    misses = AuditEvent.objects.filter(action=LOOKUP_FAILED, target_type=LOOKUP_TARGET,
                                       occurred_at__gte=timezone.now() - dt.timedelta(minutes=minutes))  # fmt: skip
    if misses.filter(data__ip=ip).count() >= limit("KIOSK_LOOKUP_CLIENT_FAILURES"):
        return f"本终端查询失败次数过多，请 {minutes} 分钟后再试，或到服务窗口咨询"
    if misses.filter(target_id=project_no[:64]).count() >= limit("KIOSK_LOOKUP_FAILURES"):
        return f"该办件编号查询失败次数过多，请 {minutes} 分钟后再试，或到服务窗口咨询"
    return ""


# What a receipt's QR code holds: the rating link of one service (``https://…/r/<token>``).
SCANNED_LINK = re.compile(r"/r/([A-Za-z0-9_:.\-]+)")


def _scanned(text: str) -> tuple[bool, str]:
    """(whether the field holds a scanned rating link, the 办件编号 to look up).

    A link gives its record's 办件编号 (or "" when its signature fails); anything else is a
    办件编号 as typed (spaces removed)."""
    text = text.strip()
    found = SCANNED_LINK.search(text) if "/r/" in text else None
    if found is None:
        return False, "".join(text.split())
    link = rating_link_resolve(found.group(1))
    return True, link.record.project_no if link.record is not None else ""


def _start_page(request, form=None, *, error: str = "", status: int = 200, scanned: bool = False) -> HttpResponse:
    context = {
        "form": form or KioskLookupForm(),
        "error": error,
        "scanned": scanned,
        "timed_out": request.GET.get("timeout") == "1",
    }
    return _page_kiosk(request, "portal/kiosk_start.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def kiosk_start(request: HttpRequest) -> HttpResponse:
    """The start screen; opening it ends whatever the previous person left."""
    if request.method != "POST":
        if request.session.get(SESSION_KIOSK) or request.session.get(SESSION_PENDING):
            _forget(request)
        fresh = "big" not in request.GET
        if fresh:
            request.COOKIES.pop(BIG_COOKIE, None)
        response = _start_page(request)
        if fresh:  # a fresh start: the next person gets the default size
            response.delete_cookie(BIG_COOKIE, samesite="Lax")
        return response
    data = request.POST.copy()
    scanned, data["project_no"] = _scanned(data.get("project_no", ""))
    if scanned and not data["project_no"]:
        return _start_page(request, KioskLookupForm(data), status=422,
                           error="无法识别该二维码，请扫描受理回执上的二维码，或直接输入办件编号")  # fmt: skip
    form = KioskLookupForm(data)
    if scanned and not data.get("who", "").strip():
        # The scanner's Enter: show the number read and ask for the name (no error yet).
        return _start_page(request, KioskLookupForm(initial={"project_no": data["project_no"]}), scanned=True)
    if not form.is_valid():
        return _start_page(request, form, status=422)
    project_no = form.cleaned_data["project_no"]
    lookup = form.lookup()
    ip = client_ip(request)
    refused = _lookup_locked(project_no, ip)
    if refused:
        return _start_page(request, form, error=refused, status=429)
    record, phone = kiosk_match(project_no=project_no, **lookup)
    if record is None:
        audit_record(
            actor=Actor.citizen(),
            action=LOOKUP_FAILED,
            target_type=LOOKUP_TARGET,
            target_id=project_no[:64],
            data={"by": "phone" if "mobile" in lookup else "name", "ip": ip},
        )
        return _start_page(
            request, form, error="办件编号与申请人姓名（或手机号码）不一致，请核对受理回执后重新输入", status=422
        )
    mobile = mobile_number(phone)
    if mobile is None:
        return _start_page(
            request,
            form,
            error="该办件没有登记可以接收短信的手机号码，无法在这里验证身份。请到服务窗口或拨打咨询电话评价。",
            status=422,
        )
    try:
        sms_code_issue(mobile=mobile, purpose=Purpose.KIOSK, ip=ip)
    except CodeRefused as exc:
        return _start_page(request, form, error=exc.message, status=exc.status)
    indexes = phone_indexes(mobile)
    if record.phone_index not in indexes:
        indexes.append(record.phone_index)
    session_set_pending(request, mobile=mobile, purpose=Purpose.KIOSK, indexes=indexes, project_no=project_no)
    return redirect("portal:kiosk_code")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def kiosk_code(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        return redirect("portal:kiosk")
    context = {"masked": pending["masked"], "minutes": limit("SMS_CODE_MINUTES"), "project_no": pending["project_no"]}
    idle = limit("SMS_CODE_MINUTES") * 60  # waiting for the SMS is not inactivity
    if request.method != "POST":
        return _page_kiosk(request, "portal/kiosk_code.html", {"form": CodeForm(), **context}, idle=idle)
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _page_kiosk(request, "portal/kiosk_code.html", {"form": form, **context}, status=422, idle=idle)
    try:
        sms_code_verify(
            phone_index=pending["indexes"][0],
            code=form.cleaned_data["code"],
            masked=pending["masked"],
            ip=client_ip(request),
        )
    except CodeRefused as exc:
        context.update(
            {"form": CodeForm(), "error": exc.message, "locked": exc.code in ("phone_locked", "no_code", "expired")}
        )
        return _page_kiosk(request, "portal/kiosk_code.html", context, status=exc.status, idle=idle)
    state = session_mark_verified(request, pending, key=SESSION_KIOSK)
    state["seen"] = int(time.time())
    request.session[SESSION_KIOSK] = state
    return redirect("portal:kiosk_services")


def _served_on(record):
    return timezone.localtime(record.finished_at or record.accepted_at or record.created_at).date()


@never_cache
@require_http_methods(["GET", "HEAD"])
def kiosk_list(request: HttpRequest) -> HttpResponse:
    state = _state(request)
    if state is None:
        return redirect(f"{reverse('portal:kiosk')}?timeout=1")
    records = kiosk_services(project_no=state["project_no"], indexes=state["indexes"])
    rows = [{"record": r, "served_on": _served_on(r), "evaluation": getattr(r, "evaluation", None)} for r in records]
    context = {
        "project_no": state["project_no"],
        "masked": state["masked"],
        "rows": rows,
        "pending": sum(1 for row in rows if row["evaluation"] is None),
    }
    return _page_kiosk(request, "portal/kiosk_services.html", context)


def _rate_page(request, record, form: RatingForm, *, status: int = 200) -> HttpResponse:
    context = {
        "record": record,
        "served_on": _served_on(record),
        "form": form,
        "show_errors": form.is_bound,
        "max_text": MAX_TEXT,
        "levels": LEVELS,
        "channel": None,
        "opened": "",
        "staff_session": request.user.is_authenticated,
        "project_no": record.project_no,
    }
    # The form waits for the person rating: no return to the start while they are busy.
    idle = max(limit("KIOSK_IDLE_SECONDS"), 300)
    return _page_kiosk(request, "portal/kiosk_rate.html", context, status=status, idle=idle)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def kiosk_rate(request: HttpRequest, record_id: int) -> HttpResponse:
    state = _state(request, rating_post=request.method == "POST")
    if state is None:
        return redirect(f"{reverse('portal:kiosk')}?timeout=1")
    record = kiosk_service_get(project_no=state["project_no"], indexes=state["indexes"], record_id=record_id)
    if record is None or getattr(record, "evaluation", None) is not None:
        return redirect("portal:kiosk_services")
    if request.method == "POST" and request.user.is_authenticated:
        audit_record(
            actor=Actor.for_user(request.user),
            action="portal:rating:staff_refused",
            target=record,
            data={"record": record.pk, "channel": Channel.KIOSK},
        )
        return _page(request, "portal/staff_refused.html", {}, status=403)
    try:
        reasons = reasons_for(record)
    except ApplicationError:  # no indicator set loaded: an installation problem, not the visitor's
        return _page(request, "portal/unavailable.html", {}, status=503)
    if request.method != "POST":
        return _rate_page(request, record, RatingForm(reasons=reasons))
    form = RatingForm(request.POST, reasons=reasons)
    if not form.is_valid():
        return _rate_page(request, record, form, status=422)
    try:
        rating_receive(target=RatingTarget(record), data=form.rating_input(channel=Channel.KIOSK),
                       context=RatingContext(actor=Actor.citizen()))  # fmt: skip
    except Conflict:  # rated meanwhile (another channel, a double tap)
        return redirect("portal:kiosk_services")
    except ValidationFailed as exc:
        form.add_service_errors(exc)
        return _rate_page(request, record, form, status=422)
    return redirect("portal:kiosk_done", record_id=record.pk)


@never_cache
@require_http_methods(["GET", "HEAD"])
def kiosk_done(request: HttpRequest, record_id: int) -> HttpResponse:
    state = _state(request)
    if state is None:
        return redirect(f"{reverse('portal:kiosk')}?timeout=1")
    record = kiosk_service_get(project_no=state["project_no"], indexes=state["indexes"], record_id=record_id)
    evaluation = getattr(record, "evaluation", None) if record is not None else None
    if evaluation is None:
        return redirect("portal:kiosk_services")
    case = getattr(evaluation, "case", None)
    services = kiosk_services(project_no=state["project_no"], indexes=state["indexes"])
    remaining = [r for r in services if getattr(r, "evaluation", None) is None]
    context = {
        "record": record,
        "served_on": _served_on(record),
        "evaluation": evaluation,
        "level_label": Level(evaluation.level).label,
        "bad": evaluation.level in BAD_LEVELS,
        "case": case,
        "due_at": timezone.localtime(case.due_at) if case else None,
        "remaining": len(remaining),
        "project_no": record.project_no,
    }
    return _page_kiosk(request, "portal/kiosk_thanks.html", context, idle=60)


@never_cache
@require_POST
def kiosk_reset(request: HttpRequest) -> HttpResponse:
    """完成并退出 (and the idle return): nothing of this person stays on the terminal."""
    _forget(request)
    timed_out = "?timeout=1" if request.POST.get("timeout") == "1" else ""
    return redirect(reverse("portal:kiosk") + timed_out)
