"""What a call that reached the citizen settles, through the owning app's own service, never
around it: a bad rating's callback moves the case (``case_transition``: 满意 closes it, 不满意
sends it back to 整改中), a complaint's callback closes the demand (``demand_transition``), and
an invitation answered on the phone is the citizen's rating (``intake.services.rating_receive``,
channel 6, the operator as the audit actor)."""

from __future__ import annotations

import datetime as dt

from haochaping.audit.services import Actor
from haochaping.core.errors import Conflict, ValidationFailed
from haochaping.evaluations.choices import Channel
from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.selectors import RatingTarget
from haochaping.evaluations.services import RatingInput
from haochaping.intake.services import RatingContext, rating_receive
from haochaping.organizations.selectors import Caller
from haochaping.outreach.choices import DemandState, DemandStep, Satisfaction, TaskKind
from haochaping.outreach.models import CallTask
from haochaping.outreach.services.calls.common import CallInput, _no_subject
from haochaping.outreach.services.demands import DemandStepInput, demand_transition
from haochaping.rectification.models import CaseState
from haochaping.rectification.services import StepInput, case_transition
from haochaping.rectification.workflow import Action


def settle_subject(caller: Caller, task: CallTask, data: CallInput, now: dt.datetime) -> Evaluation | None:
    """The domain effect of a reached call, through the owning app's service; returns the rating
    given on the phone (an invitation), else None."""
    notes = (data.notes or "").strip()
    if task.kind == TaskKind.CALLBACK_BAD_RATING:
        _close_case_callback(caller, task, data.satisfaction, notes)
        return None
    if task.kind == TaskKind.CALLBACK_COMPLAINT:
        _close_complaint_callback(caller, task, data.satisfaction, notes, now)
        return None
    return _rate_by_phone(caller, task, data, now)


def _close_case_callback(caller: Caller, task: CallTask, satisfaction: str, notes: str) -> None:
    case = task.case
    if case is None:
        raise _no_subject(task, "case")
    if case.state != CaseState.FED_BACK or case.reopen_count != task.round:
        raise Conflict(
            "工单已不在“已反馈待回访”状态（可能已由他人回访），本次回访未记录", code="case_not_awaiting_callback"
        )
    label = Satisfaction(satisfaction).label
    if satisfaction == Satisfaction.UNSATISFIED:
        action, text = Action.CALLBACK_UNSATISFIED, notes
    else:
        action, text = Action.CALLBACK_SATISFIED, f"电话回访：{label}" + (f"。{notes}" if notes else "")
    case_transition(caller=caller, case_id=case.pk, action=action, data=StepInput(text=text))


def _close_complaint_callback(caller: Caller, task: CallTask, satisfaction: str, notes: str, now: dt.datetime) -> None:
    demand = task.demand
    if demand is None:
        raise _no_subject(task, "demand")
    if demand.state != DemandState.REPLIED:
        raise Conflict("诉求已不在“已答复”状态，本次回访未记录", code="demand_not_replied")
    demand_transition(
        caller=caller,
        demand_id=demand.pk,
        action=DemandStep.CLOSED,
        data=DemandStepInput(text=notes or "电话回访", satisfaction=satisfaction),
        now=now,
    )


def _rate_by_phone(caller: Caller, task: CallTask, data: CallInput, now: dt.datetime) -> Evaluation:
    """An invitation answered on the phone: the citizen's rating, recorded by the operator."""
    record = task.record
    if record is None:
        raise _no_subject(task, "record")
    if data.level is None:  # pragma: no cover  (the call's validation has refused it: 请选择评价等级)
        raise ValueError("a rating by phone needs its level")
    rating = RatingInput(
        level=int(data.level),
        channel=Channel.PHONE,
        text=data.rating_text,
        evaluated_at=now,
        client_key=f"call-task-{task.pk}",
    )
    try:
        return rating_receive(
            target=RatingTarget(record), data=rating, context=RatingContext(actor=Actor.for_user(caller.user))
        ).evaluation
    except Conflict as exc:
        raise Conflict(
            "该服务已有评价（群众可能已通过其他渠道评价），本次电话评价未保存", code="already_rated"
        ) from exc
    except ValidationFailed as exc:
        fields = {("rating_text" if k in ("reasons", "text") else k): v for k, v in exc.fields.items()}
        raise ValidationFailed(exc.message, code=exc.code, fields=fields) from exc
