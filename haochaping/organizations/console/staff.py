"""工作人员 (``/console/staff/``): the staff of the caller's subtree — 工号, name, unit, window,
photo for the tablet, 在岗/离岗 — and the way to their console account.

Supervisors and department admins, each within their subtree (``administration.staff``, audited
there); another subtree's staff member is "not found". ``staff/<id>/photo/`` serves the photo to
the console (the tablet has its own route, limited to the staff on duty at its window).
"""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.audit.services import Actor
from haochaping.core.errors import Conflict, NotFound, ValidationFailed
from haochaping.core.pages.forms import add_service_errors
from haochaping.core.pages.paging import page_of
from haochaping.organizations.administration.accounts import STATUS_LABELS, account_status
from haochaping.organizations.administration.history import change_history
from haochaping.organizations.administration.rules import require_administrator
from haochaping.organizations.administration.staff import (
    staff_add,
    staff_photo_remove,
    staff_photo_set,
    staff_set_on_duty,
    staff_update,
)
from haochaping.organizations.console.admin_forms import StaffForm, StaffPhotoForm
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import (
    Scope,
    staff_admin_list,
    staff_get_for,
    unit_admin_list,
    window_admin_list,
)

PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}
ON_DUTY = "已恢复在岗。"
OFF_DUTY = "已设为离岗：不再显示在窗口评价器上，也不能再关联账号或安排窗口；其历史记录全部保留。"


def _form(scope: Scope, data=None, **kwargs) -> StaffForm:
    return StaffForm(
        data,
        units=unit_admin_list(scope=scope).filter(is_active=True),
        windows=window_admin_list(scope=scope).filter(is_active=True).order_by("unit__path", "code"),
        **kwargs,
    )


@console_page
@require_GET
def staff_list_view(request, scope: Scope):
    require_administrator(scope)
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "active")
    people = staff_admin_list(scope=scope, query=q, status=status)
    page = page_of(request, people.order_by("-is_active", "unit__path", "staff_no", "pk"))
    rows = []
    for person in page.object_list:
        membership = getattr(person, "membership", None)
        account = membership.user if membership is not None else None
        rows.append({"staff": person, "account": account,
                     "account_status": STATUS_LABELS[account_status(account)] if account else ""})  # fmt: skip
    context = {"nav": "staff", "page_obj": page, "rows": rows, "q": q, "status": status}
    return render(request, "organizations/staff.html", context)


@console_page
@require_http_methods(["GET", "POST"])
def staff_new(request, scope: Scope):
    require_administrator(scope)
    initial = {}
    if request.GET.get("window", "").isdigit():
        initial["window"] = int(request.GET["window"])
    form = _form(scope, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = staff_add(actor=Actor.for_user(request.user), scope=scope, staff_no=data["staff_no"],
                               name=data["name"], unit=data["unit"], window=data["window"])  # fmt: skip
        except (ValidationFailed, Conflict) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已新增工作人员 {person.name}（工号 {person.staff_no}）。")
            return redirect("console:staff_detail", pk=person.pk)
    return render(request, "organizations/staff_new.html", {"nav": "staff", "form": form},
                  status=422 if form.errors else 200)  # fmt: skip


@console_page
@require_http_methods(["GET", "POST"])
def staff_detail(request, scope: Scope, pk: int):
    require_administrator(scope)
    person = staff_get_for(scope=scope, pk=pk)  # another subtree's staff member: 404 first
    form = photo_form = None
    if request.method == "POST":
        actor = Actor.for_user(request.user)
        action = request.POST.get("action", "")
        try:
            if action == "edit":
                form = _form(scope, request.POST, editing=True)
                if form.is_valid():
                    staff_update(actor=actor, scope=scope, staff=person, **form.cleaned_data)
                    messages.success(request, "已保存工作人员信息。")
                    return redirect("console:staff_detail", pk=person.pk)
            elif action == "photo":
                photo_form = StaffPhotoForm(request.POST, request.FILES)
                if photo_form.is_valid():
                    staff_photo_set(actor=actor, scope=scope, staff=person, content=photo_form.photo_bytes())
                    messages.success(request, "已更新照片，窗口评价器待机画面将显示新照片。")
                    return redirect("console:staff_detail", pk=person.pk)
            elif action in ("photo_remove", "off_duty", "on_duty"):
                if action == "photo_remove":
                    staff_photo_remove(actor=actor, scope=scope, staff=person)
                    messages.success(request, "已删除照片。")
                else:
                    staff_set_on_duty(actor=actor, scope=scope, staff=person, on_duty=action == "on_duty")
                    messages.success(request, ON_DUTY if action == "on_duty" else OFF_DUTY)
                return redirect("console:staff_detail", pk=person.pk)
            else:
                messages.error(request, "未知的操作，请刷新页面后重试。")
                return redirect("console:staff_detail", pk=person.pk)
        except (ValidationFailed, Conflict) as exc:
            target = form if action == "edit" else photo_form if action == "photo" else None
            if target is None:
                messages.error(request, exc.message)
                return redirect("console:staff_detail", pk=person.pk)
            add_service_errors(target, exc)
    if form is None:
        form = _form(scope, initial={"name": person.name, "unit": person.unit_id, "window": person.window_id},
                     editing=True)  # fmt: skip
    photo_form = photo_form or StaffPhotoForm()
    membership = getattr(person, "membership", None)
    account = membership.user if membership is not None else None
    context = {
        "nav": "staff",
        "staff": person,
        "form": form,
        "photo_form": photo_form,
        "account": account,
        "account_status": STATUS_LABELS[account_status(account)] if account else "",
        "history": change_history(person),
    }
    status = 422 if form.errors or photo_form.errors else 200
    return render(request, "organizations/staff_detail.html", context, status=status)


@console_page
@require_GET
def staff_photo(request, scope: Scope, pk: int):
    """The photo of a staff member of the caller's subtree (for the staff pages)."""
    require_administrator(scope)
    person = staff_get_for(scope=scope, pk=pk)
    content_type = mimetypes.guess_type(person.photo.name)[0] if person.photo else None
    if content_type not in PHOTO_TYPES:
        raise NotFound("没有工作人员照片", code="no_photo")
    try:
        handle = person.photo.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise NotFound("照片文件已丢失", code="no_photo") from exc
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
