"""Citizen-facing pages: the H5 rating page opened from a signed link (``/r/<token>``).

Decisions (see also ``links.py`` for the link states):

* **Channel.** The link's origin decides when it says so: ``?c=7`` for an SMS link, ``?c=3``
  for the QR code printed on a ticket (``c=1``/``c=2`` are accepted too; any other value is
  ignored, so a link can never claim to be a hall tablet, a kiosk or a phone call). Without
  ``c`` the browser decides: 2 (移动端) for a phone or tablet user agent, 1 (PC) otherwise.
  ``c`` is not signed: one token serves every origin, and a visitor who edits it only
  mislabels their own rating's channel.
* **No time pressure.** A form opened while the link was valid can still be submitted for
  ``SUBMIT_GRACE`` after the link expired (the page carries a signed "opened at" stamp), so a
  slow reader never loses a filled-in form to the clock; opening an expired link shows
  "链接已失效".
* **Staff never rate for a citizen.** A request carrying a console session may look at the
  page but its POST is refused (403) and the attempt is audited.
* **Large type (大字).** ``?big=1`` / ``?big=0`` on any portal page sets a cookie; with
  JavaScript the toggle switches in place without reloading (and without losing input).
* **Identity.** The portal never reads the applicant's name, ID number or phone (the columns
  stay deferred); pages show the service, the unit and the window clerk only.
"""

from __future__ import annotations

import datetime as dt
import re
import time

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from haochaping.audit.services import Actor, audit_record
from haochaping.core.contact import hall_phone, tel_of
from haochaping.core.errors import ApplicationError, Conflict, ValidationFailed
from haochaping.evaluations.choices import BAD_LEVELS, Channel, Level
from haochaping.evaluations.selectors import RatingTarget
from haochaping.evaluations.services import MAX_TEXT
from haochaping.intake.services import RatingContext, rating_receive
from haochaping.portal.done import DoneStamp
from haochaping.portal.forms import LEVELS, RatingForm, reasons_for
from haochaping.portal.links import LinkState, RatingLink, rating_link_resolve
from haochaping.portal.verification import limit

BIG_COOKIE = "portal_big"
DONE = DoneStamp(name="portal_done", salt="portal.rate.done", path="/r/")
OPENED_SALT = "portal.rate.opened"
# The static QR code page a rating was started from (set by citizen_views.qr_rate): the
# thank-you page offers "继续评价其他服务" there.
SESSION_QR_SLUG = "citizen_qr_slug"
SUBMIT_GRACE = dt.timedelta(hours=24)
LINK_CHANNEL_CODES = {str(c.value) for c in (Channel.PC, Channel.MOBILE, Channel.QR, Channel.SMS)}
MOBILE_UA = re.compile(r"Mobile|Android|iPhone|iPad|iPod|HarmonyOS|OpenHarmony|Windows Phone", re.IGNORECASE)


def _declared_channel(request: HttpRequest) -> int | None:
    """The link's origin (``c``), carried from the link's query into the form; only link channels."""
    declared = request.POST.get("c") or request.GET.get("c") or ""
    return int(declared) if declared in LINK_CHANNEL_CODES else None


def rating_channel(request: HttpRequest) -> int:
    """The rating's channel code: the link's declared origin, else the kind of browser."""
    declared = _declared_channel(request)
    if declared is not None:
        return declared
    return Channel.MOBILE if MOBILE_UA.search(request.headers.get("User-Agent", "")) else Channel.PC


def _page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    """Render a portal page with the shared bits: 大字 state and toggle, the hall's phone."""
    requested = request.GET.get("big")
    big = requested == "1" if requested in ("0", "1") else request.COOKIES.get(BIG_COOKIE) == "1"
    query = request.GET.copy()
    query["big"] = "0" if big else "1"
    context = {
        "big": big,
        "big_toggle_url": f"{request.path}?{query.urlencode()}",
        "hall_phone": hall_phone(),
        "hall_phone_tel": tel_of(hall_phone()),
        **context,
    }
    response = render(request, template, context, status=status)
    if requested in ("0", "1"):
        # A display preference, not a secret: readable by the page's script, which flips it too.
        response.set_cookie(
            BIG_COOKIE, requested, max_age=365 * 86400, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE
        )
    return response


def _invalid(request: HttpRequest) -> HttpResponse:
    return _page(request, "portal/invalid.html", {}, status=404)


def _service_context(link: RatingLink) -> dict:
    record = link.record
    served = record.finished_at or record.accepted_at or record.created_at
    return {"record": record, "served_on": timezone.localtime(served).date()}


def _opened_stamp(link: RatingLink) -> str:
    return signing.dumps({"r": link.record.pk, "t": int(time.time())}, salt=OPENED_SALT, compress=True)


def _opened_while_valid(request: HttpRequest, link: RatingLink) -> bool:
    """The posted form was rendered while the link was valid, less than SUBMIT_GRACE ago."""
    try:
        stamp = signing.loads(request.POST.get("opened", ""), salt=OPENED_SALT, max_age=SUBMIT_GRACE)
    except signing.BadSignature:
        return False
    expires = link.expires_at.timestamp()
    return isinstance(stamp, dict) and stamp.get("r") == link.record.pk and int(stamp.get("t", 0)) <= expires


def _form_page(request: HttpRequest, link: RatingLink, form: RatingForm, *, status: int = 200) -> HttpResponse:
    staff = request.user.is_authenticated
    context = {
        **_service_context(link),
        "form": form,
        "show_errors": form.is_bound,
        "max_text": MAX_TEXT,
        "levels": LEVELS,
        "channel": _declared_channel(request),
        "opened": request.POST.get("opened") or _opened_stamp(link),
        "staff_session": staff,
    }
    return _page(request, "portal/rate.html", context, status=status)


def _rated_page(request: HttpRequest, link: RatingLink, *, status: int = 200) -> HttpResponse:
    evaluation = link.evaluation
    context = {
        **_service_context(link),
        "evaluation": evaluation,
        "evaluated_at": timezone.localtime(evaluation.evaluated_at),
    }
    return _page(request, "portal/rated.html", context, status=status)


def _expired_page(request: HttpRequest, link: RatingLink) -> HttpResponse:
    # The QR code and 我的评价 still take a rating for a service of the last CITIZEN_QR_DAYS days
    # (citizen_data); past that, the page does not send the citizen there to rate.
    qr_days = limit("CITIZEN_QR_DAYS")
    context = {
        "expired_at": timezone.localtime(link.expires_at),
        "link_days": settings.RATING_LINK_DAYS,
        "can_rate_elsewhere": link.record.created_at >= timezone.now() - dt.timedelta(days=qr_days),
        "qr_days": qr_days,
    }
    return _page(request, "portal/expired.html", context)


def _staff_refused(request: HttpRequest, link: RatingLink) -> HttpResponse:
    audit_record(
        actor=Actor.for_user(request.user),
        action="portal:rating:staff_refused",
        target=link.record,
        data={"record": link.record.pk},
    )
    return _page(request, "portal/staff_refused.html", {}, status=403)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    link = rating_link_resolve(token)
    if link.state == LinkState.INVALID:
        return _invalid(request)
    if request.method == "POST" and request.user.is_authenticated:
        return _staff_refused(request, link)
    if link.state == LinkState.RATED:
        return _rated_page(request, link, status=409 if request.method == "POST" else 200)
    if link.state == LinkState.EXPIRED and not (request.method == "POST" and _opened_while_valid(request, link)):
        return _expired_page(request, link)
    try:
        reasons = reasons_for(link.record)
    except ApplicationError:  # no indicator set loaded: an installation problem, not the visitor's
        return _page(request, "portal/unavailable.html", {}, status=503)
    if request.method != "POST":
        return _form_page(request, link, RatingForm(reasons=reasons))
    form = RatingForm(request.POST, reasons=reasons)
    if not form.is_valid():
        return _form_page(request, link, form, status=422)
    try:
        evaluation = rating_receive(
            target=RatingTarget(link.record),
            data=form.rating_input(channel=rating_channel(request)),
            context=RatingContext(actor=Actor.citizen()),
        ).evaluation
    except Conflict:  # rated meanwhile (a second tab, a double tap)
        return _rated_page(request, rating_link_resolve(token), status=409)
    except ValidationFailed as exc:
        form.add_service_errors(exc)
        return _form_page(request, link, form, status=422)
    response = redirect(reverse("portal:rate_done", args=[token]))
    DONE.set(response, {"e": evaluation.pk})
    return response


@never_cache
@require_http_methods(["GET", "HEAD"])
def rate_done(request: HttpRequest, token: str) -> HttpResponse:
    """The thank-you page, right after this browser submitted the rating; else the link's page."""
    link = rating_link_resolve(token)
    if link.state == LinkState.INVALID:
        return _invalid(request)
    just_rated = DONE.get(request)
    if link.state != LinkState.RATED or just_rated != {"e": link.evaluation.pk}:
        return redirect(reverse("portal:rate", args=[token]))
    evaluation = link.evaluation
    case = getattr(evaluation, "case", None)
    context = {
        **_service_context(link),
        "evaluation": evaluation,
        "bad": evaluation.level in BAD_LEVELS,
        "level_label": Level(evaluation.level).label,
        "case": case,
        "due_at": timezone.localtime(case.due_at) if case else None,
        "sms_feedback": bool(link.record.phone_index),
        "continue_url": _continue_url(request, evaluation),
    }
    return _page(request, "portal/thanks.html", context)


def _continue_url(request: HttpRequest, evaluation) -> str:
    """Back to the QR code's list of unrated services, for a rating given from it."""
    slug = request.session.get(SESSION_QR_SLUG)
    if evaluation.channel != Channel.QR or not isinstance(slug, str):
        return ""
    return reverse("portal:qr", args=[slug])
