"""Case pages: the work queue (tabs per role), the case page with its step forms, attachments.

The case page only ever calls ``rectification.services.case_transition`` for a case that the
caller's scope already found (``case_get_for_detail`` raises ``NotFound`` → 404 otherwise); the
service checks role, state and input again and is the only judge of them.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.audit.models import ActorType
from haochaping.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haochaping.core.pages.downloads import content_disposition
from haochaping.core.pages.paging import page_of
from haochaping.evaluations.choices import Channel, Dimension, Level
from haochaping.evaluations.selectors import reason_texts
from haochaping.organizations.models import Role
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope, caller_for_user, unit_list
from haochaping.rectification.attachments import MAX_FILES
from haochaping.rectification.console.forms import CaseQueueForm, StepForm, attachment_limits
from haochaping.rectification.models import DEADLINE_STATES, OPEN_STATES, CaseAction, CaseState
from haochaping.rectification.selectors import (
    case_attachment_get_for,
    case_get_for_detail,
    case_queue,
    case_queue_counts,
    case_timeline,
    requested_due,
)
from haochaping.rectification.services import StepInput, case_transition
from haochaping.rectification.workflow import TRANSITIONS, Action, Event, allowed_actions

# --- the work queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    """A preset of the queue: which states, or the overdue/escalated marks."""

    key: str
    label: str
    states: tuple[str, ...] | None  # None: every state
    overdue: bool = False
    escalated: bool = False
    review: bool = False  # a supervisor's review queue: shows the request being reviewed
    note: str = ""

    def count(self, counts: dict[str, int]) -> int:
        if self.overdue:
            return counts["overdue"]
        if self.escalated:
            return counts["escalated"]
        return sum(counts[state] for state in (self.states or [s.value for s in CaseState]))


REVIEW = "review"  # not a tab: the 审核 link, resolved to one of the two review tabs


def actionable_states(role: str) -> tuple[str, ...]:
    """The states in which this role has a step to take (from the transition table)."""
    return tuple(state.value for state in CaseState if allowed_actions(state, role))


def tabs_for(role: str) -> list[Tab]:
    """The queue's tabs for a role; the first is the default."""
    tabs = []
    todo = actionable_states(role)
    if todo and set(todo) != {s.value for s in OPEN_STATES}:
        if role == Role.OPERATOR:
            tabs.append(Tab("todo", "待回访", todo, note="已整改并反馈评价人、等待回访的工单"))
        else:
            tabs.append(Tab("todo", "待我处理", todo, note="待核实、整改中、已整改待反馈的工单"))
    tabs.append(Tab("open", "全部未办结", tuple(s.value for s in OPEN_STATES)))
    if role == Role.SUPERVISOR:
        tabs.append(Tab("invalid", "无效申请待审核", (CaseState.INVALID_REQUESTED.value,), review=True,
                        note="单位申请认定为恶意或误评的差评，同意后该评价不计入考核"))  # fmt: skip
        tabs.append(Tab("extension", "延期待审核", (CaseState.EXTENSION_REQUESTED.value,), review=True,
                        note="单位说明理由并申请新的整改期限，同意后期限顺延"))  # fmt: skip
    tabs.append(Tab("overdue", "已逾期", tuple(s.value for s in DEADLINE_STATES), overdue=True,
                    note="超过整改期限仍未整改的工单"))  # fmt: skip
    tabs.append(Tab("escalated", "督办中", tuple(s.value for s in OPEN_STATES), escalated=True,
                    note="逾期后已督办、尚未办结的工单"))  # fmt: skip
    tabs.append(Tab("all", "全部工单", None))
    return tabs


@console_page
@require_GET
def case_list_view(request, scope: Scope):
    now = timezone.now()
    tabs = tabs_for(scope.role)
    units = list(unit_list(scope=scope))
    unit_code = CaseQueueForm(request.GET, units=units, states=[]).values().get("unit")
    counts = case_queue_counts(scope=scope, now=now, unit_code=unit_code)
    wanted = request.GET.get("tab")
    if wanted == REVIEW:  # the 审核 link: whichever review queue has work, appeals first
        only_extensions = counts[CaseState.EXTENSION_REQUESTED] and not counts[CaseState.INVALID_REQUESTED]
        wanted = "extension" if only_extensions else "invalid"
    tab = next((t for t in tabs if t.key == wanted), tabs[0])
    states = list(tab.states) if tab.states is not None else [s.value for s in CaseState]
    form = CaseQueueForm(request.GET, units=units, states=states)
    filters = form.values()
    cases = case_queue(
        scope=scope,
        now=now,
        states=[filters["state"]] if filters.get("state") else tab.states,
        unit_code=unit_code,
        overdue_only=tab.overdue,
        escalated_only=tab.escalated,
        with_requests=tab.review,
    )
    context = {
        "nav": "review" if tab.review else "cases",
        "form": form,
        "tabs": [(t, t.count(counts)) for t in tabs],
        "tab": tab,
        "page_obj": page_of(request, cases),
        "now": now,
    }
    return render(request, "rectification/cases.html", context)


# --- the case page -----------------------------------------------------------------------------


def _label(choices, value) -> str:
    try:
        return choices(value).label
    except ValueError:
        return str(value)


def _when(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    moment = parse_datetime(value) if isinstance(value, str) else None
    return timezone.localtime(moment).strftime(fmt) if moment else str(value)


STEP_TITLES = {**{a.value: a.label for a in Action}, **{e.value: e.label for e in Event}}
DUE_LABELS = {Action.APPROVE_EXTENSION: "新整改期限", Action.CALLBACK_UNSATISFIED: "重新整改期限"}


def _step_details(entry: CaseAction, case) -> list[tuple[str, str]]:
    """The data a step recorded, in words: requested/approved dates, on time, escalated to."""
    data = entry.data or {}
    details = []
    if "level" in data:
        details.append(("差评等级", _label(Level, data["level"])))
    if "requested_due" in data:
        details.append(("申请延期至", str(data["requested_due"])))
    if "previous_due" in data:
        details.append(("原整改期限", _when(data["previous_due"], "%Y-%m-%d")))
    if "due_at" in data:
        details.append((DUE_LABELS.get(entry.action, "整改期限"), _when(data["due_at"], "%Y-%m-%d")))
    if "on_time" in data:
        details.append(("是否按期", "按期整改" if data["on_time"] else "逾期整改"))
    if "to" in data:
        to = case.escalated_to.name if case.escalated_to_id and case.escalated_to.code == data["to"] else data["to"]
        details.append(("督办单位", to))
    return details


def _steps(case) -> tuple[list[dict], list]:
    """The case's own timeline (``CaseAction`` rows), oldest first, each with its attachments."""
    by_action = defaultdict(list)
    for attachment in case.attachments.all():
        by_action[attachment.action_id].append(attachment)
    rows = []
    for entry in case.actions.all():
        rows.append({
            "occurred_at": entry.occurred_at,
            "action": entry.action,
            "title": STEP_TITLES.get(entry.action, entry.action),
            "actor": entry.actor_label or "系统",
            "from_state": _label(CaseState, entry.from_state) if entry.from_state else "",
            "to_state": _label(CaseState, entry.to_state) if entry.to_state else "",
            "text": entry.text,
            "details": _step_details(entry, case),
            "attachments": by_action.get(entry.pk, []),
            "automatic": entry.actor_id is None and entry.action in Event.values,
        })  # fmt: skip
    loose = by_action.get(None, [])
    return rows, loose


def _step_forms(case, scope: Scope, bound: StepForm | None) -> list[StepForm]:
    forms = []
    for transition in allowed_actions(case.state, scope.role):
        if bound is not None and bound.transition.action == transition.action:
            forms.append(bound)
        else:
            requested = requested_due(case) if transition.action == Action.APPROVE_EXTENSION else None
            forms.append(StepForm(transition, requested_due=requested))
    return forms


def _no_action_note(case, scope: Scope) -> str:
    """Why this user has nothing to do here, in words."""
    if case.state == CaseState.CLOSED:
        return "工单已办结。"
    if case.state == CaseState.INVALIDATED:
        return "该差评已认定为无效评价，工单已关闭（评价保留备查，不计入考核）。"
    if scope.role in (Role.WINDOW_CLERK, Role.AUDITOR):
        return "您的角色可以查看工单，办理由单位管理员和区政务服务中心负责。"
    waiting_for = {t.roles for t in TRANSITIONS.values() if t.source == case.state}
    if any(Role.SUPERVISOR in roles and Role.DEPT_ADMIN not in roles for roles in waiting_for):
        return "等待区政务服务中心审核。"
    if case.state == CaseState.FED_BACK:
        return "已反馈评价人，等待回访。"
    return "当前状态下您无可执行的操作。"


@console_page
@require_http_methods(["GET", "POST"])
def case_detail(request, scope: Scope, pk: int):
    case = case_get_for_detail(scope=scope, pk=pk)  # NotFound (404) before anything else
    bound = None
    if request.method == "POST":
        outcome = _perform(request, case)
        if not isinstance(outcome, StepForm):
            return outcome
        bound = outcome
    evaluation = case.evaluation
    steps, loose_attachments = _steps(case)
    context = {
        "nav": "cases",
        "case": case,
        "evaluation": evaluation,
        "record": evaluation.record if evaluation else None,
        "reasons": reason_texts(evaluation) if evaluation else [],
        "dimensions": [(d.label, getattr(evaluation, d.value)) for d in Dimension] if evaluation else [],
        "steps": steps,
        "loose_attachments": loose_attachments,
        "audit_trail": [_audit_row(event) for event in case_timeline(scope=scope, case=case)],
        "step_forms": _step_forms(case, scope, bound),
        "no_action_note": _no_action_note(case, scope),
        "attachment_limits": attachment_limits(),
        "rectification_days": settings.RECTIFICATION_DAYS,
        "sees_evaluator": scope.sees_evaluator,
        "can_download": scope.sees_evaluator,
        "now": timezone.now(),
    }
    return render(request, "rectification/case_detail.html", context, status=422 if bound is not None else 200)


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
        for field, errors in exc.fields.items():
            form.add_error(field if field in form.fields else None, errors)
        if not exc.fields:
            form.add_error(None, exc.message)
        return form
    except Conflict as exc:
        messages.error(request, f"工单状态已变化，“{transition.action.label}”未执行：{exc.message}")
        return redirect(here)
    # PermissionDenied (a role outside the table) propagates: the 403 page, nothing changed.
    messages.success(request, f"已{transition.action.label}，工单状态为“{moved.get_state_display()}”。")
    return redirect(here)


# --- attachments -----------------------------------------------------------------------------


@console_page
@require_GET
def case_attachment(request, scope: Scope, pk: int):
    """Stream an attachment after the case's scope check; never a public media URL."""
    attachment = case_attachment_get_for(scope=scope, pk=pk)
    if not scope.sees_evaluator:
        # Evidence (call recordings, chat screenshots) may identify the evaluator (制度第六条).
        raise PermissionDenied("窗口工作人员不能下载工单附件（附件可能含评价人信息）", code="attachment_forbidden")
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise NotFound("附件文件已丢失，请联系系统管理员", code="attachment_file_missing") from exc
    response = FileResponse(handle, content_type=attachment.content_type)
    extension = os.path.splitext(attachment.name)[1]
    response["Content-Disposition"] = content_disposition(
        attachment.name, fallback=f"{attachment.case.number}-{attachment.pk}{extension}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- audit trail presentation (the tamper-evident record behind the timeline) -------------------

ACTION_LABELS = {
    "service_records:record:created": "接收办件",
    "evaluations:evaluation:created": "提交评价",
    "rectification:case:opened": "生成差评工单",
    **{f"rectification:case:{a.value}": a.label for a in Action},
    "rectification:case:warned": "到期预警",
    "rectification:case:overdue": "标记逾期",
    "rectification:case:escalated": "逾期督办",
}
# Side effects the platform performs itself, whoever's request set them off.
AUTOMATIC_ACTIONS = {"rectification:case:opened"}

# Which keys of an event's data are shown, in this order, with their label and formatter.
DATA_FIELDS: list[tuple[str, str, object]] = [
    ("project_no", "办件编号", str),
    ("service_no", "服务次数", str),
    ("number", "工单编号", str),
    ("level", "总体评价", lambda v: _label(Level, v)),
    ("channel", "评价渠道", lambda v: _label(Channel, v)),
    ("from", "原状态", lambda v: _label(CaseState, v)),
    ("to", "新状态", lambda v: _label(CaseState, v)),
    ("requested_due", "申请延期至", str),
    ("due_at", "整改期限", _when),
    ("new_due_at", "新整改期限", _when),
    ("reason", "原因", str),
    ("comment", "说明", str),
]


ESCALATION_FIELDS = [("to", "督办单位", str), ("due_at", "整改期限", _when)]


def _audit_row(event) -> dict:
    fields = ESCALATION_FIELDS if event.action == "rectification:case:escalated" else DATA_FIELDS
    details = [(label, fmt(event.data[key])) for key, label, fmt in fields if event.data.get(key) not in (None, "")]
    if event.data.get("attachments"):
        details.append(("附件", f"{len(event.data['attachments'])} 个（SM3 摘要已存证）"))
    actor = _label(ActorType, event.actor_type)
    if event.action in AUTOMATIC_ACTIONS:
        actor = "系统自动"  # recorded under the actor whose request triggered it
    elif event.actor_label and event.actor_type != ActorType.CITIZEN:
        actor = f"{actor} · {event.actor_label}"
    return {
        "occurred_at": event.occurred_at,
        "action": ACTION_LABELS.get(event.action, event.action),
        "actor": actor,
        "details": details,
        "kind": event.action.split(":")[0],
    }
