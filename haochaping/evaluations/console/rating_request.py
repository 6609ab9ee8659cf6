"""The clerk's 请评价 button (``/console/records/<pk>/rating-request/``).

A window clerk (for their own services) or an admin asks the window's tablet to show the rating
screen for one service (``evaluations.tablet.rating_request_create``). Nobody can rate from the
console: the tablet rates with its own device credential only (``portal/tablet.py``).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from haochaping.audit.services import Actor
from haochaping.core.errors import ApplicationError, NotFound, PermissionDenied
from haochaping.evaluations.tablet import rating_request_create
from haochaping.organizations.devices import device_set_paused
from haochaping.organizations.pages import RATING_REQUEST_ROLES, console_page
from haochaping.organizations.selectors import Scope, tablet_list_for, tablet_window_ids
from haochaping.service_records.selectors import service_record_get_for


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
    if scope.role not in RATING_REQUEST_ROLES:
        raise PermissionDenied("只有窗口工作人员和管理员可以请群众在评价器上评价", code="devices_forbidden")
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
    return render(request, "evaluations/rating_request.html", context)


@console_page
@require_POST
def tablet_pause(request, scope: Scope, pk: int):
    """暂停服务 (``paused=1``) / 恢复服务 (``paused=0``) of a window tablet: the clerk of its
    window, or an admin whose scope holds it. Audited by ``device_set_paused``."""
    if scope.role not in RATING_REQUEST_ROLES:
        raise PermissionDenied("只有窗口工作人员和管理员可以暂停或恢复评价器", code="devices_forbidden")
    device = tablet_list_for(scope=scope).filter(pk=pk).first()
    if device is None:
        raise NotFound("评价器不存在或无权操作", code="device_not_found")
    paused = request.POST.get("paused") == "1"
    device_set_paused(actor=Actor.for_user(request.user), device=device, paused=paused)
    if paused:
        messages.success(request, f"“{device.window.name}”窗口评价器已暂停服务，恢复前不会显示评价页面。")
    else:
        messages.success(request, f"“{device.window.name}”窗口评价器已恢复服务。")
    return redirect(_back(request))
