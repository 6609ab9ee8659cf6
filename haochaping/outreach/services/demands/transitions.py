"""The steps of a demand: the staff's transitions of ``outreach.workflow.TRANSITIONS`` (assign,
return, reply, close, refuse) and the citizen's own closure on the portal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.audit.timeline import timeline_append
from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.core.workflow import Transition
from haochaping.organizations.models import Unit
from haochaping.organizations.selectors import Caller
from haochaping.outreach import notify
from haochaping.outreach.choices import CALLBACK_SATISFACTION, DemandState, DemandStep, Satisfaction
from haochaping.outreach.models import Demand, DemandAction, DemandCategory
from haochaping.outreach.selectors import demand_get_for
from haochaping.outreach.services.demands.rules import MAX_DAYS, MAX_TEXT, demand_deadline
from haochaping.outreach.workflow import TRANSITIONS
from haochaping.rectification.services import supervising_unit


@dataclass(frozen=True)
class DemandStepInput:
    text: str = ""
    unit: Unit | None = None  # assign
    category_code: str = ""  # assign (optional: confirm or change the category)
    days: int | None = None  # assign (optional: another time limit than the category's)
    satisfaction: str = ""  # close


def _check(caller: Caller, demand: Demand, t: Transition[DemandStep], data: DemandStepInput) -> dict:
    if caller.role not in t.roles:
        raise PermissionDenied(f"您的角色无权执行“{t.action.label}”", code="action_not_allowed")
    if demand.state not in t.sources:
        raise Conflict(
            f"诉求当前状态为“{demand.get_state_display()}”，不能执行“{t.action.label}”", code="illegal_transition"
        )
    errors: dict[str, list[str]] = {}
    text = (data.text or "").strip()
    if t.needs_text and not text:
        errors["text"] = [f"请填写{t.text_label}"]
    elif len(text) > MAX_TEXT:
        errors["text"] = [f"不能超过 {MAX_TEXT} 字"]
    checked: dict = {"text": text}
    if t.action == DemandStep.ASSIGNED:
        if data.unit is None:
            errors["unit"] = ["请选择承办单位"]
        elif not data.unit.is_active or not caller.scope.allows_unit(data.unit):
            errors["unit"] = ["承办单位不存在或不在您的管辖范围内"]
        category = demand.category
        if data.category_code:
            category = DemandCategory.objects.filter(code=data.category_code, is_active=True).first()
            if category is None:
                errors["category_code"] = ["分类不存在或已停用"]
        days = data.days if data.days is not None else (category.days if category else demand.days)
        if not 1 <= days <= MAX_DAYS:
            errors["days"] = [f"办理时限须为 1–{MAX_DAYS} 个工作日"]
        checked.update(category=category, days=days)
    if t.action == DemandStep.CLOSED and data.satisfaction not in Satisfaction.values:
        errors["satisfaction"] = ["请选择群众对办理结果的满意度"]
    elif data.satisfaction == Satisfaction.UNKNOWN and not text:
        errors["text"] = ["群众未表态的，请说明情况（如多次联系未接通）"]
    if errors:
        raise ValidationFailed("提交的内容不完整或有误", fields=errors)
    return checked


def demand_transition(
    *, caller: Caller, demand_id: int, action: str, data: DemandStepInput, now: dt.datetime | None = None
) -> Demand:
    """Perform one step of ``workflow.TRANSITIONS`` on a demand the caller can see."""
    t = TRANSITIONS.get(action)
    if t is None:
        raise ValidationFailed(f"未知的操作：{action}", code="unknown_action")
    demand = demand_get_for(scope=caller.scope, pk=demand_id)
    checked = _check(caller, demand, t, data)
    now = now or timezone.now()
    actor = Actor.for_caller(caller)
    changes: dict = {"state": t.target}
    payload: dict = {}
    previous_unit, previous_state = demand.unit, demand.state
    match t.action:
        case DemandStep.ASSIGNED:
            unit, category, days = data.unit, checked["category"], checked["days"]
            if unit is None:  # pragma: no cover  (_check has refused it: 请选择承办单位)
                raise ValidationFailed("请选择承办单位", fields={"unit": ["请选择承办单位"]})
            changes.update(unit=unit, assigned_at=now, category=category, days=days)
            payload.update(unit=unit.code, category=category.code if category else "", days=days)
            if days != demand.days:
                due = demand_deadline(demand.received_at, days)
                changes.update(due_at=due, warned_at=None, overdue_at=None)
                payload.update(previous_due=demand.due_at.isoformat(), due_at=due.isoformat())
        case DemandStep.RETURNED:
            back = supervising_unit(demand.unit)
            changes.update(unit=back, assigned_at=None)
            payload.update(unit=back.code, returned_by=demand.unit.code)
        case DemandStep.REPLIED:
            changes.update(replied_at=now, reply=checked["text"])
            payload["on_time"] = now <= demand.due_at
        case DemandStep.CLOSED:
            changes.update(closed_at=now, satisfaction=data.satisfaction)
            payload["satisfaction"] = data.satisfaction
        case DemandStep.INVALIDATED:
            changes["closed_at"] = now
    with transaction.atomic():
        moved = Demand.objects.filter(pk=demand.pk, state=previous_state).update(**changes)
        if moved != 1:
            raise Conflict("诉求已被他人处理，请刷新页面后重试", code="demand_state_changed")
        demand.refresh_from_db()
        entry = timeline_append(
            DemandAction,
            demand,
            t.action,
            actor=actor,
            user=caller.user,
            from_state=previous_state,
            to_state=t.target,
            text=checked["text"],
            data=payload,
            at=now,
        )
        match t.action:
            case DemandStep.ASSIGNED:
                notify.assigned(demand=demand, step_id=entry.pk)
            case DemandStep.RETURNED:
                notify.returned(demand=demand, from_unit=previous_unit, text=checked["text"], step_id=entry.pk)
            case DemandStep.REPLIED:
                notify.replied(demand=demand, step_id=entry.pk, actor=actor)
        audit_record(
            actor=actor,
            action=f"outreach:demand:{_AUDIT_VERBS[t.action]}",
            target=demand,
            data={"number": demand.number, "from": previous_state, "to": t.target, **payload},
        )
    return demand


_AUDIT_VERBS = {
    DemandStep.ASSIGNED: "assigned",
    DemandStep.RETURNED: "returned",
    DemandStep.REPLIED: "replied",
    DemandStep.CLOSED: "closed",
    DemandStep.INVALIDATED: "invalidated",
}


def demand_close_by_citizen(
    *, demand_id: int, satisfaction: str, comment: str = "", now: dt.datetime | None = None
) -> Demand:
    """The citizen confirms the answer on the portal, with their satisfaction (closes the demand).

    The caller (the portal) has already proved the citizen holds the demand's signed link or
    its 查询码.
    """
    errors: dict[str, list[str]] = {}
    if satisfaction not in CALLBACK_SATISFACTION:
        errors["satisfaction"] = ["请选择您对办理结果的满意程度"]
    comment = (comment or "").strip()
    if len(comment) > 500:
        errors["comment"] = ["意见不能超过 500 字"]
    if errors:
        raise ValidationFailed("提交的内容不完整", fields=errors)
    now = now or timezone.now()
    actor = Actor.citizen()
    with transaction.atomic():
        moved = Demand.objects.filter(pk=demand_id, state=DemandState.REPLIED).update(
            state=DemandState.CLOSED, closed_at=now, satisfaction=satisfaction
        )
        if moved != 1:
            raise Conflict("该诉求当前不能评价（可能已办结）", code="demand_not_replied")
        demand = Demand.objects.get(pk=demand_id)
        timeline_append(
            DemandAction,
            demand,
            DemandStep.CITIZEN_CLOSED,
            actor=actor,
            from_state=DemandState.REPLIED,
            to_state=DemandState.CLOSED,
            text=comment,
            data={"satisfaction": satisfaction},
            at=now,
        )
        audit_record(
            actor=actor,
            action="outreach:demand:closed",
            target=demand,
            data={"number": demand.number, "satisfaction": satisfaction, "by": "citizen"},
        )
    return demand
