"""Demand pages: the list (tabs by state), phone intake, the demand page with its steps
(assign, return, reply, close, invalidate, audited contact reveal), ratings that carry a
suggestion and their promotion to a demand, and the category tree (supervisors).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import QuerySet
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.core.pages.forms import add_service_errors
from haochaping.core.pages.paging import page_of
from haochaping.evaluations.selectors import evaluation_get_for
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope, caller_for_user, unit_list
from haochaping.outreach.choices import DEMAND_FINAL, DEMAND_RUNNING, DemandState, DemandStep
from haochaping.outreach.classify import suggest
from haochaping.outreach.console.forms import (
    AssignDemandForm,
    CategoryForm,
    CloseDemandForm,
    DemandFilterForm,
    DemandIntakeForm,
    DemandTextForm,
)
from haochaping.outreach.models import Demand
from haochaping.outreach.selectors import (
    category_get,
    category_tree,
    demand_counts,
    demand_get_for_detail,
    demand_list,
    ratings_with_suggestions,
    require_reader,
)
from haochaping.outreach.services.categories import (
    CategoryInput,
    category_create,
    category_update,
    format_keywords,
    require_category_supervisor,
)
from haochaping.outreach.services.demands import (
    INTAKE_ROLES,
    REVEAL_ROLES,
    DemandInput,
    DemandStepInput,
    SubmittedDemand,
    active_categories,
    category_ensure_default,
    demand_from_evaluation,
    demand_reveal_contact,
    demand_take_call,
    demand_transition,
)
from haochaping.outreach.workflow import allowed_actions

SUGGESTION_DAYS = 90


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    states: tuple[str, ...] | None
    overdue: bool = False


TABS = [
    Tab("open", "未办结", (DemandState.RECEIVED, DemandState.ASSIGNED, DemandState.REPLIED)),
    Tab("received", "待分派", (DemandState.RECEIVED,)),
    Tab("assigned", "办理中", (DemandState.ASSIGNED,)),
    Tab("replied", "已答复待办结", (DemandState.REPLIED,)),
    Tab("overdue", "已逾期", DEMAND_RUNNING, overdue=True),
    Tab("closed", "已办结", DEMAND_FINAL),
    Tab("all", "全部", None),
]


def _tab_count(tab: Tab, counts: dict) -> int:
    if tab.overdue:
        return counts["overdue"]
    return sum(counts[s] for s in (tab.states or DemandState.values))


@console_page
@require_GET
def demand_list_view(request, scope: Scope):
    require_reader(scope)
    now = timezone.now()
    form, tab, demands = _filtered_demands(request, scope, now)
    counts = demand_counts(scope=scope, now=now, unit_code=form.values().get("unit"))
    context = {
        "nav": "outreach_demands",
        "form": form,
        "tabs": [(t, _tab_count(t, counts)) for t in TABS],
        "tab": tab,
        "page_obj": page_of(request, demands),
        "now": now,
        "can_intake": scope.role in INTAKE_ROLES,
    }
    return render(request, "outreach/demands.html", context)


def _filtered_demands(request, scope: Scope, now) -> tuple[DemandFilterForm, Tab, QuerySet[Demand]]:
    """The filter bar, the tab and the demands they select, as the list shows them."""
    form = DemandFilterForm(request.GET, units=list(unit_list(scope=scope)))
    filters = form.values()
    tab = next((t for t in TABS if t.key == request.GET.get("tab")), TABS[0])
    demands = demand_list(
        scope=scope,
        states=list(tab.states) if tab.states else None,
        category_code=filters.get("category"),
        unit_code=filters.get("unit"),
        overdue_at=now if tab.overdue else None,
        number=filters.get("number"),
        source=filters.get("source"),
    )
    return form, tab, demands


@console_page
@require_http_methods(["GET", "POST"])
def demand_new(request, scope: Scope):
    """电话受理: a demand taken by phone, recorded in the citizen's words."""
    if scope.role not in INTAKE_ROLES:
        raise PermissionDenied("您的角色不能登记诉求", code="intake_not_allowed")
    form = DemandIntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = DemandInput(**form.cleaned_data)
        try:
            submitted = demand_take_call(caller=caller_for_user(request.user), data=data)
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _received_message(submitted))
            return redirect("console:outreach_demand_detail", pk=submitted.demand.pk)
    context = {"nav": "outreach_demands", "form": form}
    return render(request, "outreach/demand_new.html", context, status=422 if form.errors else 200)


def _received_message(submitted: SubmittedDemand) -> str:
    demand = submitted.demand
    category = demand.category.full_name if demand.category_id else "未分类"
    auto = "（系统自动建议）" if demand.category_id and demand.category_id == demand.suggested_category_id else ""
    return (
        f"已受理，受理编号 {demand.number}，查询码 {submitted.query_code}（请告知群众）。"
        f"分类：{category}{auto}；答复期限 {timezone.localtime(demand.due_at):%Y-%m-%d}。"
    )


# --- the demand page -----------------------------------------------------------------------------


def _forms(demand, scope: Scope, units, bound: dict) -> dict:
    """One form per transition this role may take now (the bound one keeps its input and errors)."""
    forms = {}
    for transition in allowed_actions(demand.state, scope.role):
        key = transition.action.value
        if key in bound:
            forms[key] = bound[key]
        elif transition.action == DemandStep.ASSIGNED:
            suggested_unit = demand.record.unit.code if demand.record_id else ""
            forms[key] = AssignDemandForm(
                units=units, initial={"unit": demand.unit.code if demand.assigned_at else suggested_unit}
            )
        elif transition.action == DemandStep.CLOSED:
            forms[key] = CloseDemandForm()
        else:
            forms[key] = DemandTextForm(action=key, label=transition.text_label)
    return forms


@console_page
@require_http_methods(["GET", "POST"])
def demand_detail(request, scope: Scope, pk: int):
    require_reader(scope)
    demand = demand_get_for_detail(scope=scope, pk=pk)  # NotFound (404) before anything else
    units = [u for u in unit_list(scope=scope)]
    bound: dict = {}
    revealed = None
    if request.method == "POST":
        outcome = _demand_action(request, demand, units)
        if isinstance(outcome, tuple):
            bound = {outcome[0]: outcome[1]}
        elif isinstance(outcome, str):
            revealed = outcome
        else:
            return outcome
    context = {
        "nav": "outreach_demands",
        "demand": demand,
        "actions": list(demand.actions.all()),
        "tasks": list(demand.call_tasks.all()),
        "forms": _forms(demand, scope, units, bound),
        "step_labels": {s.value: s.label for s in DemandStep},
        "can_reveal": scope.role in REVEAL_ROLES and demand.state not in DEMAND_FINAL,
        "revealed": revealed,
        "now": timezone.now(),
    }
    return render(request, "outreach/demand_detail.html", context, status=422 if bound else 200)


def _demand_action(request, demand, units):
    caller = caller_for_user(request.user)
    here = reverse("console:outreach_demand_detail", args=[demand.pk])
    action = request.POST.get("action", "")
    if action == "reveal":
        return demand_reveal_contact(caller=caller, demand_id=demand.pk)  # PermissionDenied → 403
    match action:
        case DemandStep.ASSIGNED:
            form = AssignDemandForm(request.POST, units=units)
        case DemandStep.CLOSED:
            form = CloseDemandForm(request.POST)
        case DemandStep.RETURNED | DemandStep.REPLIED | DemandStep.INVALIDATED:
            form = DemandTextForm(request.POST, action=action, label=DemandStep(action).label)
        case _:
            messages.error(request, "未知的操作，请刷新页面后重试。")
            return redirect(here)
    if not form.is_valid():
        return action, form
    values = form.cleaned_data
    unit = next((u for u in units if u.code == values.get("unit")), None)
    data = DemandStepInput(
        text=values.get("text") or "",
        unit=unit,
        category_code=values.get("category_code") or "",
        days=values.get("days"),
        satisfaction=values.get("satisfaction") or "",
    )
    try:
        moved = demand_transition(caller=caller, demand_id=demand.pk, action=action, data=data)
    except ValidationFailed as exc:
        add_service_errors(form, exc)
        return action, form
    except Conflict as exc:
        messages.error(request, f"“{DemandStep(action).label}”未执行：{exc.message}")
        return redirect(here)
    done = {
        DemandStep.REPLIED: "已答复，答复内容已通过短信发送给群众",
        DemandStep.ASSIGNED: f"已分派给{moved.unit.name}",
        DemandStep.RETURNED: f"已退回{moved.unit.name}重新分派",
        DemandStep.INVALIDATED: "已作不予受理处理",
    }
    messages.success(
        request, f"{done.get(action, '已' + DemandStep(action).label)}，诉求状态为“{moved.get_state_display()}”。"
    )
    if moved.unit_id != demand.unit_id and not caller.scope.allows_unit(moved.unit):
        return redirect("console:outreach_demand_list")  # returned: no longer ours to see
    return redirect(here)


# --- ratings that carry a suggestion ------------------------------------------------------------


@console_page
@require_GET
def suggestion_list(request, scope: Scope):
    require_reader(scope)
    since = timezone.now() - dt.timedelta(days=SUGGESTION_DAYS)
    page = page_of(request, ratings_with_suggestions(scope=scope, since=since))
    categories = active_categories()
    context = {
        "nav": "outreach_suggestions",
        "page_obj": page,
        "rows": [(evaluation, suggest(evaluation.text, categories)) for evaluation in page.object_list],
        "days": SUGGESTION_DAYS,
        "can_promote": scope.role in INTAKE_ROLES,
    }
    return render(request, "outreach/suggestions.html", context)


@console_page
@require_http_methods(["GET", "POST"])
def promote_evaluation(request, scope: Scope, pk: int):
    """评价转办: a rating whose words carry a suggestion or a complaint becomes a demand."""
    require_reader(scope)
    evaluation = evaluation_get_for(scope=scope, pk=pk)  # NotFound (404) before anything else
    existing = evaluation.demands.first()
    suggestion = suggest(evaluation.text, active_categories())
    form = DemandIntakeForm(
        request.POST or None,
        with_contact=False,
        initial={"content": evaluation.text, "category_code": suggestion.code if suggestion else ""},
    )
    if request.method == "POST":
        if scope.role not in INTAKE_ROLES:
            raise PermissionDenied("您的角色不能将评价转为诉求", code="intake_not_allowed")
        if form.is_valid():
            try:
                demand = demand_from_evaluation(
                    caller=caller_for_user(request.user),
                    evaluation_id=evaluation.pk,
                    content=form.cleaned_data["content"],
                    category_code=form.cleaned_data.get("category_code") or "",
                )
            except ValidationFailed as exc:
                add_service_errors(form, exc)
            except Conflict as exc:
                messages.error(request, exc.message)
                return redirect("console:outreach_promote_evaluation", pk=evaluation.pk)
            else:
                messages.success(request, f"已将评价转为诉求，受理编号 {demand.number}。")
                return redirect("console:outreach_demand_detail", pk=demand.pk)
    context = {
        "nav": "outreach_suggestions",
        "evaluation": evaluation,
        "record": evaluation.record,
        "existing": existing,
        "suggestion": suggestion,
        "form": form,
        "can_promote": scope.role in INTAKE_ROLES and existing is None,
        "sees_evaluator": scope.sees_evaluator,
    }
    return render(request, "outreach/promote.html", context, status=422 if form.errors else 200)


# --- categories (supervisors) ---------------------------------------------------------------------


def _category_input(values: dict) -> CategoryInput:
    return CategoryInput(
        name=values["name"],
        kind=values["kind"],
        days=values["days"],
        keywords=values.get("keywords") or "",
        parent_code=values.get("parent") or "",
        sort_order=values["sort_order"],
        is_active=values.get("is_active", False),
    )


@console_page
@require_http_methods(["GET", "POST"])
def category_list(request, scope: Scope):
    require_category_supervisor(scope.role)
    category_ensure_default()
    form = CategoryForm(request.POST or None, initial={"days": 5, "sort_order": 100, "is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            category = category_create(
                caller=caller_for_user(request.user),
                code=form.cleaned_data["code"],
                data=_category_input(form.cleaned_data),
            )
        except ValidationFailed as exc:
            add_service_errors(form, exc, aliases={"parent_code": "parent"})
        except Conflict as exc:
            form.add_error("code", exc.message)
        else:
            messages.success(request, f"已新增分类“{category.name}”。")
            return redirect("console:outreach_categories")
    rows = [(c, depth, format_keywords(c.keywords).replace("\n", "、")) for c, depth in category_tree()]
    context = {"nav": "outreach_categories", "rows": rows, "form": form}
    return render(request, "outreach/categories.html", context, status=422 if form.errors else 200)


@console_page
@require_http_methods(["GET", "POST"])
def category_edit(request, scope: Scope, code: str):
    require_category_supervisor(scope.role)
    category_ensure_default()
    category = category_get(code)
    initial = {
        "code": category.code,
        "name": category.name,
        "parent": category.parent.code if category.parent_id else "",
        "kind": category.kind,
        "days": category.days,
        "keywords": format_keywords(category.keywords),
        "sort_order": category.sort_order,
        "is_active": category.is_active,
    }
    form = CategoryForm(request.POST or None, initial=initial, editing=category)
    if request.method == "POST" and form.is_valid():
        try:
            category_update(caller=caller_for_user(request.user), code=code, data=_category_input(form.cleaned_data))
        except ValidationFailed as exc:
            add_service_errors(form, exc, aliases={"parent_code": "parent"})
        else:
            messages.success(request, f"已保存分类“{form.cleaned_data['name']}”，今后的自动建议按新关键词计算。")
            return redirect("console:outreach_categories")
    context = {"nav": "outreach_categories", "category": category, "form": form}
    return render(request, "outreach/category_edit.html", context, status=422 if form.errors else 200)
