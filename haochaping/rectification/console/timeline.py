"""The case page in words: its steps (the case's own timeline), the audit trail behind them and
why a user has nothing to do."""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from haochaping.audit.models import ActorType
from haochaping.evaluations.choices import Channel, Level
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Scope
from haochaping.rectification.models import FINAL_STATES, CaseAction, CaseState
from haochaping.rectification.workflow import Action, Event


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


def step_rows(case) -> tuple[list[dict], list]:
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


# What happens next in each state and who acts, for whoever reads the case page or has just
# taken a step. "{due}" is the case's current deadline.
NEXT_STEPS = {
    CaseState.PENDING_VERIFY: "等待承办单位核实：属实则整改，恶意或误评可申请认定无效评价。",
    CaseState.INVALID_REQUESTED: "等待区政务服务中心审核无效评价申请：同意则工单关闭，驳回则转入整改。",
    CaseState.RECTIFYING: "等待承办单位在 {due} 前整改并提交整改结果；确有困难可申请延期。",
    CaseState.EXTENSION_REQUESTED: "等待区政务服务中心审核延期申请；审核前整改期限仍为 {due}。",
    CaseState.RECTIFIED: "等待承办单位将整改结果反馈评价人。",
    CaseState.FED_BACK: "等待回访员（或区政务服务中心督查）电话回访评价人：满意则办结，不满意则退回承办单位重新整改。",
    CaseState.CLOSED: "工单已办结。",
    CaseState.INVALIDATED: "该差评已认定为无效评价，工单已关闭（评价保留备查，不计入考核）。",
}


def next_step(case) -> str:
    """What happens next to this case and who acts, in words."""
    return NEXT_STEPS[CaseState(case.state)].format(due=f"{timezone.localtime(case.due_at):%Y-%m-%d}")


def no_action_note(case, scope: Scope) -> str:
    """Why this user has nothing to do here: what the case waits for, and from whom."""
    note = next_step(case)
    if case.state not in FINAL_STATES and scope.role == Role.WINDOW_CLERK:
        return f"{note}您的角色可以查看工单，不能办理；可在下方提交情况说明，供单位核实时参考。"
    if case.state not in FINAL_STATES and scope.role == Role.AUDITOR:
        return f"{note}您的角色可以查看工单，不能办理。"
    return note


# --- audit trail presentation (the tamper-evident record behind the timeline) -------------------

ACTION_LABELS = {
    "service_records:record:created": "接收办件",
    "evaluations:evaluation:created": "提交评价",
    "rectification:case:opened": "生成差评工单",
    **{f"rectification:case:{a.value}": a.label for a in Action},
    "rectification:case:warned": "到期预警",
    "rectification:case:overdue": "标记逾期",
    "rectification:case:escalated": "逾期督办",
    "rectification:case:statement_added": "窗口工作人员情况说明",
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


def audit_row(event) -> dict:
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
