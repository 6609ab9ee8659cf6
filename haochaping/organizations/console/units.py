"""单位 (``/console/units/``): the unit tree with division codes, kinds and parents.

Supervisors and department admins see their subtree (inactive units greyed); only the centre's
supervisors add, edit, move, deactivate and re-enable units (``administration.units``, audited
there). The detail page shows what hangs on a unit and its change history from the audit chain.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.audit.services import Actor
from haochaping.core.errors import Conflict, ValidationFailed
from haochaping.core.pages.forms import add_service_errors
from haochaping.organizations.administration.history import change_history
from haochaping.organizations.administration.rules import may_manage_units, require_administrator, require_unit_manager
from haochaping.organizations.administration.units import (
    unit_add,
    unit_blockers,
    unit_deactivate,
    unit_move,
    unit_reactivate,
    unit_update,
)
from haochaping.organizations.console.admin_forms import UnitEditForm, UnitForm, UnitMoveForm
from haochaping.organizations.models import Staff, Unit, Window
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope, account_list, unit_admin_list, unit_get_for


def _count_by(qs, field: str) -> dict[int, int]:
    """Rows per value of ``field`` (one grouped query)."""
    return {row[field]: row["n"] for row in qs.values(field).annotate(n=Count("id")).order_by()}


@console_page
@require_GET
def unit_list_view(request, scope: Scope):
    require_administrator(scope)
    units = list(unit_admin_list(scope=scope))
    top = min((u.depth for u in units), default=0)
    located = _count_by(Window.objects.filter(unit__in=units, is_active=True), "unit")
    staffed = _count_by(Window.objects.filter(department__in=units, is_active=True), "department")
    staff = _count_by(Staff.objects.filter(unit__in=units, is_active=True), "unit")
    accounts = _count_by(account_list(scope=scope).filter(is_active=True), "membership__unit")
    rows = [
        {
            "unit": u,
            "indent": u.depth - top,
            "windows": located.get(u.pk, 0) + staffed.get(u.pk, 0),
            "staff": staff.get(u.pk, 0),
            "accounts": accounts.get(u.pk, 0),
        }
        for u in units
    ]
    context = {
        "nav": "units",
        "rows": rows,
        "active": sum(1 for u in units if u.is_active),
        "inactive": sum(1 for u in units if not u.is_active),
        "can_manage": may_manage_units(scope),
    }
    return render(request, "organizations/units.html", context)


def _active_parents(scope: Scope):
    return unit_admin_list(scope=scope).filter(is_active=True)


@console_page
@require_http_methods(["GET", "POST"])
def unit_new(request, scope: Scope):
    require_unit_manager(scope)
    initial = {}
    if request.GET.get("parent", "").isdigit():
        initial["parent"] = int(request.GET["parent"])
    form = UnitForm(request.POST or None, parents=_active_parents(scope), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = unit_add(actor=Actor.for_user(request.user), scope=scope, code=data["code"], name=data["name"],
                            kind=data["kind"], parent=data["parent"], division_code=data["division_code"],
                            credit_code=data["credit_code"])  # fmt: skip
        except (ValidationFailed, Conflict) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已新建单位“{unit.name}”（{unit.code}）。")
            return redirect("console:unit_detail", pk=unit.pk)
    return render(request, "organizations/unit_new.html", {"nav": "units", "form": form},
                  status=422 if form.errors else 200)  # fmt: skip


@console_page
@require_http_methods(["GET", "POST"])
def unit_detail(request, scope: Scope, pk: int):
    require_administrator(scope)
    unit = unit_get_for(scope=scope, pk=pk)  # another subtree's unit: 404 before anything else
    edit_form = move_form = None
    status = 200
    if request.method == "POST":
        require_unit_manager(scope)
        result = _unit_action(request, scope, unit)
        if not isinstance(result, tuple):
            return result
        edit_form, move_form = result
        status = 422
    can_manage = may_manage_units(scope)
    if can_manage:
        edit_form = edit_form or UnitEditForm(
            initial={field: getattr(unit, field) for field in UnitEditForm.base_fields}
        )
        move_form = move_form or UnitMoveForm(parents=_move_targets(scope, unit), initial={"parent": unit.parent_id})
    children = list(Unit.objects.filter(parent=unit).order_by("path"))
    windows = list(Window.objects.filter(Q(unit=unit) | Q(department=unit)).select_related("unit", "department"))
    context = {
        "nav": "units",
        "unit": unit,
        "children": children,
        "windows": windows,
        "staff_count": Staff.objects.filter(unit=unit, is_active=True).count(),
        "account_count": account_list(scope=scope).filter(membership__unit=unit, is_active=True).count(),
        "blockers": unit_blockers(unit) if can_manage and unit.is_active else [],
        "is_own": unit.path == scope.unit_path,
        "can_manage": can_manage,
        "edit_form": edit_form,
        "move_form": move_form,
        "history": change_history(unit),
    }
    return render(request, "organizations/unit_detail.html", context, status=status)


def _move_targets(scope: Scope, unit: Unit):
    """Active units of the scope outside the unit's own subtree."""
    return _active_parents(scope).exclude(path__startswith=unit.path)


def _unit_action(request, scope: Scope, unit: Unit):
    """Run one action; a redirect when done, else the bound forms to show again with errors."""
    action = request.POST.get("action", "")
    actor = Actor.for_user(request.user)
    edit_form = move_form = None
    try:
        if action == "edit":
            edit_form = UnitEditForm(request.POST)
            if edit_form.is_valid():
                unit_update(actor=actor, scope=scope, unit=unit, **edit_form.cleaned_data)
                messages.success(request, "已保存单位信息。")
                return redirect("console:unit_detail", pk=unit.pk)
        elif action == "move":
            move_form = UnitMoveForm(request.POST, parents=_move_targets(scope, unit))
            if move_form.is_valid():
                parent = move_form.cleaned_data["parent"]
                unit_move(actor=actor, scope=scope, unit=unit, parent=parent)
                messages.success(request, f"已将“{unit.name}”及其下级单位调整到“{parent.name}”之下。")
                return redirect("console:unit_detail", pk=unit.pk)
        elif action == "deactivate":
            unit_deactivate(actor=actor, scope=scope, unit=unit)
            messages.success(request, f"已停用单位“{unit.name}”；其历史数据全部保留。")
            return redirect("console:unit_detail", pk=unit.pk)
        elif action == "reactivate":
            unit_reactivate(actor=actor, scope=scope, unit=unit)
            messages.success(request, f"已重新启用单位“{unit.name}”。")
            return redirect("console:unit_detail", pk=unit.pk)
        else:
            messages.error(request, "未知的操作，请刷新页面后重试。")
            return redirect("console:unit_detail", pk=unit.pk)
    except (ValidationFailed, Conflict) as exc:
        form = edit_form if action == "edit" else move_form
        if form is None:
            messages.error(request, exc.message)
            return redirect("console:unit_detail", pk=unit.pk)
        add_service_errors(form, exc)
    return edit_form, move_form
