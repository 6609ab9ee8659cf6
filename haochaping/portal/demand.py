"""Public demand pages (诉求/意见建议): the form, its confirmation, the tracking lookup and the
status page where the citizen reads the reply and says whether they are satisfied.

Decisions:

* **Anti-abuse.** A honeypot field and a per-client-address limit
  (``DEMAND_SUBMISSIONS_PER_HOUR``, counted by a keyed hash of the address, never the address
  itself); failed tracking lookups are limited too (``DEMAND_TRACK_FAILURES_PER_HOUR``). No SMS
  is sent on submission: the form is open to anyone, and a text to a number typed by a
  stranger would make it an SMS cannon. The reply SMS is sent after a person answered.
* **Who may read a demand.** The holder of its 受理编号 + 查询码 (shown once, on the
  confirmation page) or of the signed link in the reply SMS. Neither reveals the contact.
* **Staff never close a citizen's demand here**: a request with a console session may read
  the page, its satisfaction POST is refused (403).
"""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from haochaping.audit.services import Actor
from haochaping.core.crypto import unsign_token
from haochaping.core.errors import Conflict, ValidationFailed
from haochaping.core.http import client_ip
from haochaping.core.pages.forms import add_service_errors
from haochaping.outreach.choices import DemandSource
from haochaping.outreach.models import Demand
from haochaping.outreach.notify import DEMAND_LINK_PURPOSE, demand_link
from haochaping.outreach.selectors import citizen_demand, portal_attempts
from haochaping.outreach.services.demands import (
    DemandInput,
    client_key,
    demand_close_by_citizen,
    demand_find_for_citizen,
    demand_submit,
    portal_attempt_record,
)
from haochaping.portal.demand_forms import DemandForm, SatisfactionForm, TrackForm
from haochaping.portal.done import DoneStamp
from haochaping.portal.views import _page

DONE = DoneStamp(name="portal_demand", salt="portal.demand.done", path="/demand/")
HOUR = dt.timedelta(hours=1)
IDENTITY = ("contact_name", "contact_phone")  # never read by the portal


def _limited(request: HttpRequest, *kinds: str, limit: int) -> bool:
    since = timezone.now() - HOUR
    key = client_key(client_ip(request))
    return sum(portal_attempts(kind=kind, key=key, since=since) for kind in kinds) >= limit


def _too_many(request: HttpRequest, what: str) -> HttpResponse:
    return _page(request, "portal/demand_limited.html", {"what": what}, status=429)


def _form_page(request: HttpRequest, form: DemandForm, *, status: int = 200) -> HttpResponse:
    context = {"form": form, "show_errors": form.is_bound, "limits": form.limits}
    return _page(request, "portal/demand_form.html", context, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def demand_form(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _form_page(request, DemandForm())
    if _limited(request, "submit", "honeypot", limit=settings.DEMAND_SUBMISSIONS_PER_HOUR):
        return _too_many(request, "提交")
    form = DemandForm(request.POST)
    if form.trapped:
        portal_attempt_record(kind="honeypot", client_ip=client_ip(request))
        form = DemandForm(request.POST)
        form.is_valid()
        form.add_error(None, "提交未成功，请刷新页面后重新填写。")
        return _form_page(request, form, status=400)
    if not form.is_valid():
        return _form_page(request, form, status=422)
    values = form.cleaned_data
    data = DemandInput(
        content=values["content"],
        contact_name=values["contact_name"],
        contact_phone=values["contact_phone"],
        category_code=values.get("category_code") or "",
        project_no=values.get("project_no") or "",
    )
    try:
        submitted = demand_submit(actor=Actor.citizen(), data=data, source=DemandSource.PORTAL)
    except ValidationFailed as exc:
        add_service_errors(form, exc)
        return _form_page(request, form, status=422)
    portal_attempt_record(kind="submit", client_ip=client_ip(request))
    response = redirect(reverse("portal:demand_done"))
    DONE.set(response, {"d": submitted.demand.pk, "c": submitted.query_code})
    return response


@never_cache
@require_http_methods(["GET", "HEAD"])
def demand_done(request: HttpRequest) -> HttpResponse:
    """The confirmation right after this browser submitted: 受理编号, 查询码, time limit."""
    stamp = DONE.get(request)
    demand = Demand.objects.select_related("category").defer(*IDENTITY).filter(pk=stamp["d"]).first() if stamp else None
    if demand is None:
        return redirect(reverse("portal:demand"))
    context = {
        "demand": demand,
        "query_code": stamp["c"],
        "due_at": timezone.localtime(demand.due_at),
        "status_url": demand_link(demand.pk),
    }
    return _page(request, "portal/demand_done.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def demand_track(request: HttpRequest) -> HttpResponse:
    """查询: 受理编号 + 查询码 → the status page (a fresh signed link)."""
    form = TrackForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if _limited(request, "track_failed", limit=settings.DEMAND_TRACK_FAILURES_PER_HOUR):
            return _too_many(request, "查询")
        if form.is_valid():
            demand = demand_find_for_citizen(number=form.cleaned_data["number"], code=form.cleaned_data["code"])
            if demand is not None:
                return redirect(demand_link(demand.pk).removeprefix(settings.PUBLIC_BASE_URL))
            portal_attempt_record(kind="track_failed", client_ip=client_ip(request))
            form.add_error(None, "受理编号或查询码不正确，请核对后重新输入。")
        status = 422
    return _page(request, "portal/demand_track.html", {"form": form}, status=status)


def _demand_for(token: str) -> tuple[Demand | None, bool]:
    """(demand, expired) from a signed link; (None, False) for a forged or unknown one."""
    payload = unsign_token(DEMAND_LINK_PURPOSE, token)
    if not payload or not isinstance(payload.get("d"), int):
        return None, False
    demand = Demand.objects.select_related("category").defer(*IDENTITY).filter(pk=payload["d"]).first()
    if demand is None:
        return None, False
    return demand, int(payload.get("x", 0)) < time.time()


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def demand_status(request: HttpRequest, token: str) -> HttpResponse:
    demand, expired = _demand_for(token)
    if demand is None:
        return _page(request, "portal/demand_invalid.html", {}, status=404)
    if expired:
        return _page(request, "portal/demand_invalid.html", {"expired": True}, status=410)
    form = SatisfactionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if request.user.is_authenticated:
            return _page(request, "portal/demand_invalid.html", {"staff": True}, status=403)
        if form.is_valid():
            try:
                demand_close_by_citizen(
                    demand_id=demand.pk,
                    satisfaction=form.cleaned_data["satisfaction"],
                    comment=form.cleaned_data.get("comment") or "",
                )
            except ValidationFailed as exc:
                add_service_errors(form, exc)
                status = 422
            except Conflict:
                pass  # closed meanwhile: the page shows the final state
            else:
                return redirect(request.path + "?thanks=1")
        else:
            status = 422
        demand.refresh_from_db()
    context = {
        "item": citizen_demand(demand),
        "form": form,
        "thanks": request.GET.get("thanks") == "1",
        "staff_session": request.user.is_authenticated,
    }
    return _page(request, "portal/demand_status.html", context, status=status)
