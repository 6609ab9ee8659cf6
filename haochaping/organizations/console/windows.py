"""窗口 (``/console/windows/``): windows of the caller's subtree — located in it or staffed by it.

Supervisors manage every window of their subtree; a department admin the windows their subtree
staffs or hosts (``administration.windows``, audited there). The detail page shows the staff on
duty (set on the staff pages), the items taken in (edited on ``service_records``' page
``windows/<id>/items/``), the window's devices and its change history.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.audit.services import Actor
from haochaping.core.errors import Conflict, ValidationFailed
from haochaping.core.pages.forms import add_service_errors
from haochaping.core.pages.paging import page_of
from haochaping.organizations.administration.history import change_history
from haochaping.organizations.administration.rules import require_administrator
from haochaping.organizations.administration.windows import (
    window_add,
    window_blockers,
    window_deactivate,
    window_reactivate,
    window_update,
)
from haochaping.organizations.console.admin_forms import WindowForm
from haochaping.organizations.models import Device, Staff
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import (
    Scope,
    unit_admin_list,
    window_admin_list,
    window_get_for,
    window_location_list,
)


def _form(scope: Scope, data=None, **kwargs) -> WindowForm:
    return WindowForm(data, places=window_location_list(scope=scope),
                      departments=unit_admin_list(scope=scope).filter(is_active=True), **kwargs)  # fmt: skip


@console_page
@require_GET
def window_list_view(request, scope: Scope):
    require_administrator(scope)
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "active")
    windows = window_admin_list(scope=scope, query=q, status=status)
    page = page_of(request, windows.order_by("-is_active", "unit__path", "code", "pk"))
    on_duty: dict[int, list[Staff]] = {}
    for person in Staff.objects.filter(window__in=page.object_list, is_active=True).order_by("staff_no"):
        on_duty.setdefault(person.window_id, []).append(person)
    rows = [{"window": w, "staff": on_duty.get(w.pk, [])} for w in page.object_list]
    context = {"nav": "windows", "page_obj": page, "rows": rows, "q": q, "status": status}
    return render(request, "organizations/windows.html", context)


@console_page
@require_http_methods(["GET", "POST"])
def window_new(request, scope: Scope):
    require_administrator(scope)
    form = _form(scope, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            window = window_add(actor=Actor.for_user(request.user), scope=scope, code=data["code"], name=data["name"],
                                unit=data["unit"], department=data["department"])  # fmt: skip
        except (ValidationFailed, Conflict) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"已新建窗口“{window.name}”（{window.code}）。可在本页设置受理事项，在“工作人员”中安排在岗人员。",
            )
            return redirect("console:window_detail", pk=window.pk)
    return render(request, "organizations/window_new.html", {"nav": "windows", "form": form},
                  status=422 if form.errors else 200)  # fmt: skip


@console_page
@require_http_methods(["GET", "POST"])
def window_detail(request, scope: Scope, pk: int):
    require_administrator(scope)
    window = window_get_for(scope=scope, pk=pk)  # another subtree's window: 404 before anything else
    form = None
    if request.method == "POST":
        actor = Actor.for_user(request.user)
        action = request.POST.get("action", "")
        try:
            if action == "edit":
                form = _form(scope, request.POST, editing=True)
                if form.is_valid():
                    window_update(actor=actor, scope=scope, window=window, **form.cleaned_data)
                    messages.success(request, "已保存窗口信息。")
                    return redirect("console:window_detail", pk=window.pk)
            elif action == "deactivate":
                window_deactivate(actor=actor, scope=scope, window=window)
                messages.success(request, f"已停用窗口“{window.name}”；其办件和评价记录全部保留。")
                return redirect("console:window_detail", pk=window.pk)
            elif action == "reactivate":
                window_reactivate(actor=actor, scope=scope, window=window)
                messages.success(request, f"已重新启用窗口“{window.name}”。")
                return redirect("console:window_detail", pk=window.pk)
            else:
                messages.error(request, "未知的操作，请刷新页面后重试。")
                return redirect("console:window_detail", pk=window.pk)
        except (ValidationFailed, Conflict) as exc:
            if form is None:
                messages.error(request, exc.message)
                return redirect("console:window_detail", pk=window.pk)
            add_service_errors(form, exc)
    if form is None:
        form = _form(scope, initial={"name": window.name, "unit": window.unit_id,
                                     "department": window.department_id}, editing=True)  # fmt: skip
    context = {
        "nav": "windows",
        "window": window,
        "form": form,
        "staff": list(Staff.objects.filter(window=window).order_by("-is_active", "staff_no")),
        "items": list(window.items.select_related("department").order_by("department__path", "code")),
        "devices": list(Device.objects.filter(window=window).order_by("-is_active", "name")),
        "blockers": window_blockers(window) if window.is_active else [],
        "history": change_history(window),
    }
    return render(request, "organizations/window_detail.html", context, status=422 if form.errors else 200)
