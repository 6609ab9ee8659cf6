"""Case pages: the work queue (tabs per role), the case page with its step forms, attachments.

The case page only ever calls ``rectification.services.case_transition`` for a case that the
caller's scope already found (``case_get_for_detail`` raises ``NotFound`` → 404 otherwise); the
service checks role, state and input again and is the only judge of them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.core.errors import Conflict, ValidationFailed
from haochaping.core.filters import with_aliases
from haochaping.core.pages.downloads import stored_file_response
from haochaping.core.pages.excel import ListExport, export_stamp
from haochaping.core.pages.forms import add_service_errors
from haochaping.core.pages.paging import page_of
from haochaping.evaluations.choices import Dimension
from haochaping.evaluations.selectors import reason_texts
from haochaping.organizations.pages import console_page, record_export
from haochaping.organizations.selectors import Scope, caller_for_user, unit_list
from haochaping.rectification.attachments import MAX_FILES
from haochaping.rectification.console.export import case_export_headers, case_export_rows, case_export_widths
from haochaping.rectification.console.forms import (
    STATEMENT,
    CaseQueueFilter,
    StatementForm,
    StepForm,
    attachment_limits,
)
from haochaping.rectification.console.tabs import pick_tab, tabs_for
from haochaping.rectification.console.timeline import audit_row, next_step, no_action_note, step_rows
from haochaping.rectification.models import FINAL_STATES
from haochaping.rectification.selectors import (
    case_attachment_get_for,
    case_get_for_detail,
    case_queue,
    case_queue_counts,
    case_timeline,
    latest_step_text,
    requested_due,
)
from haochaping.rectification.services import StepInput, case_statement_add, case_transition
from haochaping.rectification.workflow import STATEMENT_ROLES, TRANSITIONS, Action, Event, allowed_actions

# --- the work queue ------------------------------------------------------------------------------


def _queue(request, scope: Scope, now, *, with_requests: bool = True):
    """The work queue as the page shows it: its tabs' counts, the tab, the filtered cases."""
    tabs = tabs_for(scope.role)
    units = list(unit_list(scope=scope))
    data = with_aliases(request.GET, {"unit": "unit_code"})  # ?unit= of older links and bookmarks
    # The tabs' figures follow the unit chosen, not the state (a state belongs to one tab).
    counts = case_queue_counts(scope=scope, now=now, narrow=CaseQueueFilter(data, units=units, states=[]).narrow)
    tab = pick_tab(tabs, request.GET.get("tab"), counts)
    queue = case_queue(
        scope=scope,
        now=now,
        states=tab.states,
        overdue_only=tab.overdue,
        escalated_only=tab.escalated,
        with_requests=with_requests and tab.review,
    )
    filters = CaseQueueFilter(data, queue, units=units, states=tab.state_values)
    return tabs, counts, tab, filters


@console_page
@require_GET
def case_list_view(request, scope: Scope):
    now = timezone.now()
    tabs, counts, tab, filters = _queue(request, scope, now)
    context = {
        "nav": "review" if tab.review else "cases",
        "form": filters.form,
        "tabs": [(t, t.count(counts)) for t in tabs],
        "tab": tab,
        "page_obj": page_of(request, filters.qs),
        "now": now,
        "export_url": reverse("console:case_list_export"),
    }
    return render(request, "rectification/cases.html", context)


@console_page
@require_GET
def case_list_export(request, scope: Scope):
    """The work queue's current tab and filters as Excel: the same cases as the list, masked
    identity only (the evaluator only for roles that see it on the case page)."""
    now = timezone.now()
    _, _, tab, filters = _queue(request, scope, now, with_requests=False)
    export = ListExport(
        title=tab.label,
        headers=case_export_headers(scope),
        rows=case_export_rows(filters.qs, scope, now),
        widths=case_export_widths(scope),
    )
    record_export(request, action="rectification:case:exported", form=filters.form, rows=export.rows, tab=tab.key)
    stamp = export_stamp()
    return export.response(filename=f"差评工单_{tab.label}_{stamp}.xlsx", fallback=f"cases-{tab.key}-{stamp}.xlsx")


# --- the case page -----------------------------------------------------------------------------


def _step_forms(case, scope: Scope, bound: StepForm | None) -> list[StepForm]:
    forms = []
    for transition in allowed_actions(case.state, scope.role):
        if bound is not None and bound.transition.action == transition.action:
            forms.append(bound)
        else:
            requested = requested_due(case) if transition.action == Action.APPROVE_EXTENSION else None
            # The feedback usually tells the evaluator what was done: start from the 整改 text.
            text = latest_step_text(case, Action.RECTIFY) if transition.action == Action.FEED_BACK else ""
            forms.append(StepForm(transition, requested_due=requested, text=text))
    return forms


@console_page
@require_http_methods(["GET", "POST"])
def case_detail(request, scope: Scope, pk: int):
    case = case_get_for_detail(scope=scope, pk=pk)  # NotFound (404) before anything else
    bound = None
    statement_form = StatementForm() if _may_add_statement(case, scope) else None
    if request.method == "POST":
        if request.POST.get("action") == STATEMENT:
            outcome = _add_statement(request, case)
            if not isinstance(outcome, StatementForm):
                return outcome
            statement_form = outcome
        else:
            outcome = _perform(request, case)
            if not isinstance(outcome, StepForm):
                return outcome
            bound = outcome
    evaluation = case.evaluation
    steps, loose_attachments = step_rows(case)
    context = {
        "nav": "cases",
        "case": case,
        "evaluation": evaluation,
        "record": evaluation.record if evaluation else None,
        "reasons": reason_texts(evaluation) if evaluation else [],
        "dimensions": [(d.label, getattr(evaluation, d.value)) for d in Dimension] if evaluation else [],
        "steps": steps,
        "statements": [row for row in steps if row["action"] == Event.STATEMENT],
        "statement_form": statement_form,
        "loose_attachments": loose_attachments,
        "audit_trail": [audit_row(event) for event in case_timeline(scope=scope, case=case)],
        "step_forms": _step_forms(case, scope, bound),
        "no_action_note": no_action_note(case, scope),
        "attachment_limits": attachment_limits(),
        "rectification_days": settings.RECTIFICATION_DAYS,
        "sees_evaluator": scope.sees_evaluator,
        "can_download": scope.sees_evaluator,
        "now": timezone.now(),
    }
    failed = bound is not None or (statement_form is not None and statement_form.is_bound)
    return render(request, "rectification/case_detail.html", context, status=422 if failed else 200)


def _may_add_statement(case, scope: Scope) -> bool:
    """The clerk whose service was rated, while the case is open (the service decides again)."""
    record = case.evaluation.record if case.evaluation_id else None
    return (
        scope.role in STATEMENT_ROLES
        and case.is_open
        and record is not None
        and scope.staff_id is not None
        and record.staff_id == scope.staff_id
    )


def _add_statement(request, case):
    """Store the clerk's 情况说明: a redirect on success, the form on input errors."""
    here = reverse("console:case_detail", args=[case.pk])
    if _too_large(request):
        messages.error(request, f"上传内容过大，未能提交：{attachment_limits()}。")
        return redirect(here)
    form = StatementForm(request.POST, request.FILES)
    if not form.is_valid():
        return form
    try:
        case_statement_add(
            caller=caller_for_user(request.user),
            case_id=case.pk,
            text=form.cleaned_data.get("text") or "",
            files=form.cleaned_data.get("files") or [],
        )
    except ValidationFailed as exc:
        add_service_errors(form, exc)
        return form
    except Conflict as exc:
        messages.error(request, f"情况说明未提交：{exc.message}")
        return redirect(here)
    # PermissionDenied (not the clerk whose service it was) propagates: the 403 page.
    messages.success(request, "情况说明已提交，单位核实时可以看到。")
    return redirect(here)


def _too_large(request) -> bool:
    """A body larger than the most files allowed could ever need: refused before it is read."""
    limit = settings.CASE_ATTACHMENT_MAX_BYTES * MAX_FILES + 1024 * 1024
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > limit
    except ValueError:
        return False


def _perform(request, case):
    """Run one posted step: a redirect on success or a refused race, the form on input errors."""
    if _too_large(request):
        messages.error(request, f"上传内容过大，未能提交：{attachment_limits()}。")
        return redirect("console:case_detail", pk=case.pk)
    try:
        transition = TRANSITIONS[Action(request.POST.get("action", ""))]
    except ValueError as exc:
        raise ValidationFailed("未知的处理操作，请刷新页面后重试", code="unknown_action") from exc
    form = StepForm(transition, request.POST, request.FILES)
    here = reverse("console:case_detail", args=[case.pk])
    if not form.is_valid():
        return form
    data = StepInput(
        text=form.cleaned_data.get("text") or "",
        new_due=form.cleaned_data.get("new_due"),
        files=form.cleaned_data.get("files") or [],
    )
    try:
        moved = case_transition(
            caller=caller_for_user(request.user), case_id=case.pk, action=transition.action, data=data
        )
    except ValidationFailed as exc:
        add_service_errors(form, exc)
        return form
    except Conflict as exc:
        messages.error(request, f"工单状态已变化，“{transition.action.label}”未执行：{exc.message}")
        return redirect(here)
    # PermissionDenied (a role outside the table) propagates: the 403 page, nothing changed.
    done = f"已{transition.action.label}，工单状态为“{moved.get_state_display()}”。"
    messages.success(request, done if moved.state in FINAL_STATES else f"{done}接下来：{next_step(moved)}")
    return redirect(here)


# --- attachments -----------------------------------------------------------------------------


@console_page
@require_GET
def case_attachment(request, scope: Scope, pk: int):
    """Stream an attachment after the case's scope check; never a public media URL."""
    attachment = case_attachment_get_for(scope=scope, pk=pk)  # NotFound, then PermissionDenied
    return stored_file_response(attachment, fallback=f"{attachment.case.number}-{attachment.pk}")
