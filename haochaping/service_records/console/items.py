"""事项管理 (SPEC R13): the catalogue of government-service items, per department.

* **事项** (``/console/items/``): the 事项 whose 实施部门 lies in the caller's subtree, with a
  filter bar (department, GB/T 39046 type, online/offline, state, code or name). The district's
  supervisor (the centre) sees and manages all; a department admin their own subtree's;
  auditors only look; operators and window clerks get 403.
* **新增/编辑** (``items/new/``, ``items/<pk>/``): code, name, type, department (one of the
  caller's units), online/offline and the promised time limit; a taken code or a bad value is a
  Chinese field error and nothing is saved. **停用/启用**: a deactivated 事项 takes no new
  services from the API (``unknown item``) and is no longer listed by ``GET /items``; its
  services, ratings and statistics stay. Every change is a ``service_records`` service (audited).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.audit.services import Actor
from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.core.pages.paging import page_of
from haochaping.organizations.models import Role, Unit, UnitKind
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope, unit_list
from haochaping.service_records.console.forms import ItemFilterForm, ItemForm
from haochaping.service_records.models import ServiceItem
from haochaping.service_records.selectors import item_get_for, item_list_for, item_record_count
from haochaping.service_records.services import service_item_create, service_item_set_active, service_item_update

MANAGE_ROLES = (Role.SUPERVISOR, Role.DEPT_ADMIN)
VIEW_ROLES = (*MANAGE_ROLES, Role.AUDITOR)


def _can_view(scope: Scope) -> None:
    if scope.role not in VIEW_ROLES:
        raise PermissionDenied("只有区政务服务中心督查、单位管理员和审计员可以查看事项", code="items_forbidden")


def _can_manage(scope: Scope) -> None:
    if scope.role not in MANAGE_ROLES:
        raise PermissionDenied("只有区政务服务中心督查和单位管理员可以管理事项", code="items_forbidden")


def _departments(scope: Scope, current: Unit | None = None) -> list[Unit]:
    """The units a 事项 of this caller may belong to: their active subtree, the district excepted."""
    units = [u for u in unit_list(scope=scope) if u.kind != UnitKind.DISTRICT]
    if current is not None and current.pk not in {u.pk for u in units}:
        units.append(current)  # a deactivated department stays selectable for its own items
    return units


@console_page
@require_GET
def item_list(request, scope: Scope):
    _can_view(scope)
    form = ItemFilterForm(request.GET, units=list(unit_list(scope=scope)))
    values = form.values()
    active = {"1": True, "0": False}.get(values.get("active") or "")
    items = item_list_for(
        scope=scope,
        department_code=values.get("unit"),
        item_type=values.get("item_type"),
        mode=values.get("mode"),
        active=active,
        query=(values.get("q") or "").strip() or None,
    )
    context = {
        "nav": "items",
        "form": form,
        "page_obj": page_of(request, items),
        "can_manage": scope.role in MANAGE_ROLES,
    }
    return render(request, "service_records/items.html", context)


def _save(form: ItemForm, request, item: ServiceItem | None) -> ServiceItem | None:
    """Create or update from a valid form; service errors become form errors (nothing saved)."""
    data = form.cleaned_data
    values = {
        "code": data["code"],
        "name": data["name"],
        "item_type": data["item_type"],
        "department": data["department_obj"],
        "online": data["online"],
        "offline": data["offline"],
        "promised_days": data["promised_days"],
    }
    actor = Actor.for_user(request.user)
    try:
        if item is None:
            return service_item_create(actor=actor, **values)
        return service_item_update(actor=actor, item=item, **values)
    except (ValidationFailed, Conflict) as exc:
        for field, errors in exc.fields.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        if not exc.fields:
            form.add_error(None, exc.message)
        return None


@console_page
@require_http_methods(["GET", "POST"])
def item_new(request, scope: Scope):
    _can_manage(scope)
    departments = _departments(scope)
    form = ItemForm(request.POST if request.method == "POST" else None, departments=departments)
    if request.method == "POST" and form.is_valid():
        item = _save(form, request, None)
        if item is not None:
            messages.success(request, f"已新增事项“{item.name}”（{item.code}）。")
            return redirect("console:item_list")
    context = {"nav": "items", "form": form, "item": None, "can_manage": True}
    return render(request, "service_records/item_form.html", context, status=422 if form.is_bound else 200)


def _initial(item: ServiceItem) -> dict:
    return {
        "code": item.code,
        "name": item.name,
        "item_type": item.item_type,
        "department": str(item.department_id),
        "online": item.online,
        "offline": item.offline,
        "promised_days": item.promised_days,
    }


@console_page
@require_http_methods(["GET", "POST"])
def item_edit(request, scope: Scope, pk: int):
    _can_view(scope)
    item = item_get_for(scope=scope, pk=pk)  # another unit's 事项: 404 before anything else
    departments = _departments(scope, item.department)
    form = ItemForm(departments=departments, initial=_initial(item))
    status = 200
    if request.method == "POST":
        _can_manage(scope)
        actor = Actor.for_user(request.user)
        action = request.POST.get("action", "save")
        if action in ("deactivate", "activate"):
            item = service_item_set_active(actor=actor, item=item, active=action == "activate")
            messages.success(request, f"已{'启用' if item.is_active else '停用'}事项“{item.name}”。")
            return redirect("console:item_edit", pk=item.pk)
        form = ItemForm(request.POST, departments=departments, initial=_initial(item))
        if form.is_valid() and _save(form, request, item) is not None:
            messages.success(request, "已保存事项的修改。")
            return redirect("console:item_edit", pk=item.pk)
        status = 422
    can_manage = scope.role in MANAGE_ROLES
    if not can_manage:
        for field in form.fields.values():
            field.disabled = True
    context = {
        "nav": "items",
        "form": form,
        "item": item,
        "can_manage": can_manage,
        "records": item_record_count(item=item),
    }
    return render(request, "service_records/item_form.html", context, status=status)
