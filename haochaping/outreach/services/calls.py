"""Writes for call lists: generation (periodic and on demand), claiming the next call, recording
a call, SMS invitations, assignment and the audited reveal of a phone number.

A call on a callback task closes the loop through the other apps' own services, never around
them: 满意/基本满意 → ``case_transition("callback_satisfied")``, 不满意 →
``case_transition("callback_unsatisfied")`` (the case goes back to 整改中 with a fresh
deadline); a rating given by phone → ``intake.services.rating_receive`` with channel 6 and the operator as
the audit actor; a complaint's callback closes the demand through ``demand_transition``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.core.crypto import blind_index
from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.evaluations.choices import BAD_LEVELS, Channel, Level
from haochaping.evaluations.selectors import RatingTarget
from haochaping.evaluations.services import RatingInput
from haochaping.intake.services import RatingContext, rating_receive
from haochaping.notifications.services import notification_queue
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Caller, Scope
from haochaping.outreach.choices import (
    CALL_OUTCOMES,
    CALLBACK_SATISFACTION,
    CategoryKind,
    DemandState,
    DemandStep,
    Outcome,
    Satisfaction,
    TaskKind,
    TaskStatus,
)
from haochaping.outreach.models import CallRecord, CallTask, Demand, DoNotCall
from haochaping.outreach.selectors import call_operators, task_get_for
from haochaping.outreach.services.demands import DemandStepInput, demand_transition
from haochaping.rectification.models import CaseState, RectificationCase
from haochaping.rectification.services import StepInput, case_transition
from haochaping.rectification.workflow import Action
from haochaping.service_records.choices import HandlingMode
from haochaping.service_records.models import ServiceRecord
from haochaping.service_records.services import rating_link_for

logger = logging.getLogger("haochaping.outreach")

CALL_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR})
MAX_NOTES = 2000
MAX_RETRY_DAYS = 30


def _require_call_role(caller: Caller, what: str) -> User:
    """The operator making the call: a console user in a calling role (``Caller.user`` is untyped)."""
    if caller.role not in CALL_ROLES or caller.user is None:
        raise PermissionDenied(f"只有回访员和督查人员可以{what}", code="call_not_allowed")
    if not isinstance(caller.user, User):
        raise TypeError(f"a call operator is a console user, not {type(caller.user).__name__}")
    return caller.user


def _no_subject(task: CallTask, field: str) -> ValueError:
    """A task of this kind always points at its subject (on_delete=PROTECT): one without is a bug."""
    return ValueError(f"call task {task.pk} ({task.kind}, {task.subject_key}) has no {field}")


def _phone_index(phone: str) -> str:
    return blind_index("phone", phone) if phone else ""


# --- generation ----------------------------------------------------------------------------


@dataclass
class GenerationResult:
    created: dict[str, int] = field(default_factory=lambda: {k.value: 0 for k in TaskKind})
    do_not_call: int = 0  # created already closed: the number asked not to be called
    closed: int = 0  # open tasks whose subject no longer needs a call

    @property
    def total(self) -> int:
        return sum(self.created.values())


def _close(task: CallTask, *, status: str, reason: str, actor: Actor, now: dt.datetime) -> bool:
    with transaction.atomic():
        if not CallTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
            status=status, closed_reason=reason, closed_at=now, claimed_by=None, claimed_until=None
        ):
            return False
        audit_record(
            actor=actor,
            action="outreach:task:closed",
            target=task,
            data={"kind": task.kind, "subject": task.subject_key, "status": status, "reason": reason},
        )
    return True


def _sweep(*, actor: Actor, now: dt.datetime, scope: Scope | None) -> int:
    """Close open tasks whose subject was settled elsewhere (no call needed any more)."""
    open_tasks = CallTask.objects.filter(status=TaskStatus.OPEN)
    if scope is not None:
        open_tasks = scope.filter(open_tasks, unit_field="unit")
    closed = 0
    # A callback performed on the case page (or a case reopened and fed back again).
    stale = open_tasks.filter(kind=TaskKind.CALLBACK_BAD_RATING).filter(
        ~Q(case__state=CaseState.FED_BACK) | ~Q(case__reopen_count=F("round"))
    )
    for task in stale:
        closed += _close(task, status=TaskStatus.DONE, reason="已在工单页面完成回访", actor=actor, now=now)
    for task in open_tasks.filter(kind=TaskKind.INVITATION_UNRATED, record__evaluation__isnull=False):
        closed += _close(task, status=TaskStatus.CANCELLED, reason="群众已通过其他渠道评价", actor=actor, now=now)
    for task in open_tasks.filter(kind=TaskKind.CALLBACK_COMPLAINT).exclude(demand__state=DemandState.REPLIED):
        closed += _close(task, status=TaskStatus.DONE, reason="群众已确认办理结果", actor=actor, now=now)
    return closed


def _create(
    *,
    kind: str,
    subject_key: str,
    round_: int,
    unit,
    phone_index: str,
    due_at: dt.datetime,
    actor: Actor,
    now: dt.datetime,
    result: GenerationResult,
    case=None,
    record=None,
    demand=None,
) -> None:
    blocked = DoNotCall.objects.filter(phone_index=phone_index).exists()
    task = CallTask(
        kind=kind,
        subject_key=subject_key,
        round=round_,
        case=case,
        record=record,
        demand=demand,
        unit=unit,
        phone_index=phone_index,
        due_at=due_at,
        max_attempts=settings.OUTREACH_MAX_ATTEMPTS,
        created_at=now,
    )
    if blocked:
        task.status, task.closed_at, task.closed_reason = TaskStatus.DO_NOT_CALL, now, "该号码已登记要求勿扰"
    try:
        with transaction.atomic():
            task.save(force_insert=True)
            audit_record(
                actor=actor,
                action="outreach:task:created",
                target=task,
                data={"kind": kind, "subject": subject_key, "round": round_, "unit": unit.code, "status": task.status},
            )
    except IntegrityError:
        return  # generated meanwhile by another run: the database keeps one
    if blocked:
        result.do_not_call += 1
    else:
        result.created[kind] += 1


def invitation_cutoffs(now: dt.datetime) -> dict[str, dt.datetime]:
    """A service is due for an invitation N days after it finished (N per online/offline)."""
    return {
        HandlingMode.ONLINE: now - dt.timedelta(days=settings.OUTREACH_INVITE_AFTER_DAYS_ONLINE),
        HandlingMode.OFFLINE: now - dt.timedelta(days=settings.OUTREACH_INVITE_AFTER_DAYS_OFFLINE),
    }


def unrated_due(now: dt.datetime):
    """Services still unrated N days after they finished, within the invitation window."""
    cutoffs = invitation_cutoffs(now)
    oldest = now - dt.timedelta(days=settings.OUTREACH_INVITE_MAX_AGE_DAYS)
    return ServiceRecord.objects.filter(evaluation__isnull=True, finished_at__gte=oldest).filter(
        Q(mode=HandlingMode.ONLINE, finished_at__lte=cutoffs[HandlingMode.ONLINE])
        | Q(mode=HandlingMode.OFFLINE, finished_at__lte=cutoffs[HandlingMode.OFFLINE])
    )


def call_lists_generate(
    *, actor: Actor, now: dt.datetime | None = None, scope: Scope | None = None, batch: int = 2000
) -> GenerationResult:
    """Bring the three call lists up to date; idempotent (run it as often as you like).

    (a) every bad-rating case fed back to the evaluator, once per round of rectification;
    (b) every service unrated N days after it finished (``OUTREACH_INVITE_AFTER_DAYS_*``),
        within ``OUTREACH_INVITE_MAX_AGE_DAYS``, once per service;
    (c) every complaint once it has been answered.
    Subjects without a phone number cannot be called and get no task. Tasks whose subject was
    settled elsewhere are closed first. ``scope`` limits an on-demand run to the caller's units.
    """
    now = now or timezone.now()
    result = GenerationResult()
    result.closed = _sweep(actor=actor, now=now, scope=scope)

    def scoped(qs, unit_field="unit"):
        return scope.filter(qs, unit_field=unit_field) if scope is not None else qs

    has_callback = CallTask.objects.filter(
        kind=TaskKind.CALLBACK_BAD_RATING, case=OuterRef("pk"), round=OuterRef("reopen_count")
    )
    cases = (
        scoped(RectificationCase.objects.filter(state=CaseState.FED_BACK, evaluation__isnull=False))
        .filter(~Exists(has_callback))
        .select_related("unit", "evaluation", "evaluation__record")
        .order_by("fed_back_at", "id")[:batch]
    )
    for case in cases:
        evaluation = case.evaluation
        phone = evaluation.evaluator_phone or evaluation.record.applicant_phone
        if not phone:
            continue
        _create(
            kind=TaskKind.CALLBACK_BAD_RATING,
            subject_key=f"case:{case.pk}",
            round_=case.reopen_count,
            unit=case.unit,
            phone_index=_phone_index(phone),
            due_at=case.fed_back_at or now,
            actor=actor,
            now=now,
            result=result,
            case=case,
            record=evaluation.record,
        )

    has_invitation = CallTask.objects.filter(kind=TaskKind.INVITATION_UNRATED, record=OuterRef("pk"))
    records = (
        scoped(unrated_due(now))
        .exclude(phone_index="")
        .filter(~Exists(has_invitation))
        .select_related("unit")
        .order_by("finished_at", "id")[:batch]
    )
    for record in records:
        after = dt.timedelta(
            days=settings.OUTREACH_INVITE_AFTER_DAYS_ONLINE
            if record.mode == HandlingMode.ONLINE
            else settings.OUTREACH_INVITE_AFTER_DAYS_OFFLINE
        )
        _create(
            kind=TaskKind.INVITATION_UNRATED,
            subject_key=f"record:{record.pk}",
            round_=0,
            unit=record.unit,
            phone_index=record.phone_index,
            due_at=record.finished_at + after,
            actor=actor,
            now=now,
            result=result,
            record=record,
        )

    has_complaint_call = CallTask.objects.filter(kind=TaskKind.CALLBACK_COMPLAINT, demand=OuterRef("pk"))
    demands = (
        scoped(Demand.objects.filter(state=DemandState.REPLIED, category__kind=CategoryKind.COMPLAINT))
        .filter(~Exists(has_complaint_call))
        .select_related("unit")
        .order_by("replied_at", "id")[:batch]
    )
    for demand in demands:
        _create(
            kind=TaskKind.CALLBACK_COMPLAINT,
            subject_key=f"demand:{demand.pk}",
            round_=0,
            unit=demand.unit,
            phone_index=demand.phone_index,
            due_at=demand.replied_at or now,
            actor=actor,
            now=now,
            result=result,
            demand=demand,
            record=demand.record,
        )
    if result.total or result.closed:
        logger.info(
            "call lists: %s created, %s do-not-call, %s closed", result.created, result.do_not_call, result.closed
        )
    return result


def call_lists_generate_now(*, caller: Caller) -> GenerationResult:
    """The console's 立即生成: the same generation, limited to the caller's scope, audited."""
    _require_call_role(caller, "生成回访清单")
    actor = Actor.for_caller(caller)
    result = call_lists_generate(actor=actor, scope=caller.scope)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="outreach:call_list:generated",
            target_type="outreach.scope",
            target_id=caller.scope.unit_path,
            data={"created": result.created, "do_not_call": result.do_not_call, "closed": result.closed},
        )
    return result


# --- working a task ------------------------------------------------------------------------


def _claim_free(user, now: dt.datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now) | Q(claimed_by=user)


def call_task_claim_next(*, caller: Caller, kind: str | None = None, now: dt.datetime | None = None) -> CallTask | None:
    """下一个: take the next due open task (mine first, then assigned to me, then unassigned),
    held for ``OUTREACH_CLAIM_MINUTES`` so that no other operator calls the same citizen."""
    user = _require_call_role(caller, "拨打回访电话")
    now = now or timezone.now()
    candidates = (
        caller.scope.filter(CallTask.objects.filter(status=TaskStatus.OPEN, due_at__lte=now), unit_field="unit")
        .filter(Q(assigned_to__isnull=True) | Q(assigned_to=user))
        .filter(_claim_free(user, now))
    )
    if kind:
        candidates = candidates.filter(kind=kind)
    ordered = sorted(
        candidates.values_list("pk", "claimed_by_id", "assigned_to_id", "due_at")[:200],
        key=lambda row: (row[1] != user.pk, row[2] != user.pk, row[3], row[0]),
    )
    until = now + dt.timedelta(minutes=settings.OUTREACH_CLAIM_MINUTES)
    for pk, *_ in ordered[:20]:
        with transaction.atomic():
            taken = CallTask.objects.filter(_claim_free(user, now), pk=pk, status=TaskStatus.OPEN).update(
                claimed_by=user, claimed_until=until
            )
            if taken:
                task = CallTask.objects.get(pk=pk)
                audit_record(
                    actor=Actor.for_caller(caller),
                    action="outreach:task:claimed",
                    target=task,
                    data={"kind": task.kind, "until": until.isoformat()},
                )
                return task
    return None


def call_task_assign(*, caller: Caller, task_id: int, operator_id: int | None) -> CallTask:
    """A supervisor gives a task to one operator (or back to the pool with None)."""
    if caller.role != Role.SUPERVISOR:
        raise PermissionDenied("只有督查人员可以指定回访员", code="assign_not_allowed")
    task = task_get_for(scope=caller.scope, pk=task_id)
    operator = None
    if operator_id is not None:
        operator = call_operators(scope=caller.scope).filter(pk=operator_id).first()
        if operator is None:
            raise ValidationFailed("回访员不存在或不在您的管辖范围内", fields={"operator": ["请选择回访员"]})
    with transaction.atomic():
        if not CallTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(assigned_to=operator):
            raise Conflict("任务已关闭，无需指定回访员", code="task_closed")
        audit_record(
            actor=Actor.for_caller(caller),
            action="outreach:task:assigned",
            target=task,
            data={"operator": operator.get_username() if operator else ""},
        )
    task.assigned_to = operator
    return task


def call_task_reveal_contact(*, caller: Caller, task_id: int) -> str:
    """拨打/显示号码: the phone number in clear for the operator about to call; audited.

    Operators and supervisors only; department admins, window staff and auditors never.
    """
    if caller.role not in CALL_ROLES or caller.user is None:
        raise PermissionDenied("只有回访员和督查人员可以查看完整电话号码", code="reveal_not_allowed")
    task = task_get_for(scope=caller.scope, pk=task_id)
    if not task.is_open:
        raise Conflict("任务已关闭，无需拨打", code="task_closed")
    _, phone = task.contact()
    with transaction.atomic():
        audit_record(
            actor=Actor.for_caller(caller),
            action="outreach:contact:revealed",
            target=task,
            data={"kind": task.kind, "subject": task.subject_key, "field": "phone"},
        )
    return phone


@dataclass
class CallInput:
    """What the operator records after one call."""

    outcome: str
    notes: str = ""
    satisfaction: str = ""  # callbacks, when reached
    next_attempt_at: dt.datetime | None = None  # no answer: when to try again
    level: int | None = None  # invitations answered by phone: the citizen's own rating
    rating_text: str = ""  # ... in the citizen's own words


def _validate_call(task: CallTask, data: CallInput, now: dt.datetime) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.outcome not in CALL_OUTCOMES:
        errors["outcome"] = ["请选择通话结果"]
        return errors
    if len(data.notes or "") > MAX_NOTES:
        errors["notes"] = [f"回访记录不能超过 {MAX_NOTES} 字"]
    rated = data.outcome == Outcome.REACHED_RATED
    if task.is_callback and rated:
        if data.satisfaction not in CALLBACK_SATISFACTION:
            errors["satisfaction"] = ["请选择群众对整改（办理）结果的满意度"]
        elif data.satisfaction == Satisfaction.UNSATISFIED and not (data.notes or "").strip():
            errors["notes"] = ["群众不满意的，请记录不满意的原因（将退回重新整改）"]
    if task.kind == TaskKind.INVITATION_UNRATED and rated:
        if data.level not in Level.values:
            errors["level"] = ["请按群众的回答选择评价等级"]
        elif data.level in BAD_LEVELS and not (data.rating_text or "").strip():
            errors["rating_text"] = ["“不满意”“非常不满意”须记录群众反映的具体问题（群众原话）"]
    if data.outcome == Outcome.NO_ANSWER and data.next_attempt_at is not None:
        if data.next_attempt_at <= now:
            errors["next_attempt_at"] = ["下次拨打时间须晚于现在"]
        elif data.next_attempt_at > now + dt.timedelta(days=MAX_RETRY_DAYS):
            errors["next_attempt_at"] = [f"下次拨打时间不能晚于 {MAX_RETRY_DAYS} 天后"]
    return errors


def _settle_subject(caller: Caller, task: CallTask, data: CallInput, now: dt.datetime):
    """The domain effect of a reached call, through the owning app's service; returns a rating or None."""
    notes = (data.notes or "").strip()
    if task.kind == TaskKind.CALLBACK_BAD_RATING:
        case = task.case
        if case is None:
            raise _no_subject(task, "case")
        if case.state != CaseState.FED_BACK or case.reopen_count != task.round:
            raise Conflict(
                "工单已不在“已反馈待回访”状态（可能已由他人回访），本次回访未记录", code="case_not_awaiting_callback"
            )
        label = Satisfaction(data.satisfaction).label
        if data.satisfaction == Satisfaction.UNSATISFIED:
            action, text = Action.CALLBACK_UNSATISFIED, notes
        else:
            action, text = Action.CALLBACK_SATISFIED, f"电话回访：{label}" + (f"。{notes}" if notes else "")
        case_transition(caller=caller, case_id=case.pk, action=action, data=StepInput(text=text))
        return None
    if task.kind == TaskKind.CALLBACK_COMPLAINT:
        demand = task.demand
        if demand is None:
            raise _no_subject(task, "demand")
        if demand.state != DemandState.REPLIED:
            raise Conflict("诉求已不在“已答复”状态，本次回访未记录", code="demand_not_replied")
        demand_transition(
            caller=caller,
            demand_id=demand.pk,
            action=DemandStep.CLOSED,
            data=DemandStepInput(text=notes or "电话回访", satisfaction=data.satisfaction),
            now=now,
        )
        return None
    # An invitation answered on the phone: the citizen's rating, recorded by the operator.
    rating = RatingInput(
        level=int(data.level),
        channel=Channel.PHONE,
        text=data.rating_text,
        evaluated_at=now,
        client_key=f"call-task-{task.pk}",
    )
    try:
        return rating_receive(
            target=RatingTarget(task.record), data=rating, context=RatingContext(actor=Actor.for_user(caller.user))
        ).evaluation
    except Conflict as exc:
        raise Conflict(
            "该服务已有评价（群众可能已通过其他渠道评价），本次电话评价未保存", code="already_rated"
        ) from exc
    except ValidationFailed as exc:
        fields = {("rating_text" if k in ("reasons", "text") else k): v for k, v in exc.fields.items()}
        raise ValidationFailed(exc.message, code=exc.code, fields=fields) from exc


@transaction.atomic
def call_record(*, caller: Caller, task_id: int, data: CallInput, now: dt.datetime | None = None) -> CallRecord:
    """Record one call on an open task; settle the subject when the citizen answered.

    Every call counts as an attempt; an unanswered call leaves the task open for the next
    attempt time until ``max_attempts``, then closes it as unreachable. A wrong number closes
    it at once; 要求勿扰 closes it and lists the number so that no list calls it again.
    """
    operator = _require_call_role(caller, "记录回访结果")
    now = now or timezone.now()
    task = task_get_for(scope=caller.scope, pk=task_id)
    if not task.is_open:
        raise Conflict(f"任务已{task.get_status_display()}，不能再记录通话", code="task_closed")
    if task.held_by_other(operator.pk, now):
        holder = task.claimed_by  # loaded only when another operator holds the task
        name = holder.get_username() if holder is not None else ""
        raise Conflict(f"该任务正由 {name} 拨打，请处理下一个", code="task_claimed")
    errors = _validate_call(task, data, now)
    if errors:
        raise ValidationFailed("通话记录不完整或有误", fields=errors)
    evaluation = _settle_subject(caller, task, data, now) if data.outcome == Outcome.REACHED_RATED else None
    attempt = task.attempts + 1
    changes: dict = {"attempts": attempt, "last_outcome": data.outcome, "claimed_by": None, "claimed_until": None}
    next_at = None
    match data.outcome:
        case Outcome.REACHED_RATED | Outcome.REACHED_DECLINED:
            changes.update(
                status=TaskStatus.DONE,
                closed_at=now,
                first_contact_at=task.first_contact_at or now,
                evaluation=evaluation,
            )
        case Outcome.WRONG_NUMBER:
            changes.update(status=TaskStatus.UNREACHABLE, closed_at=now, closed_reason="号码错误")
        case Outcome.DO_NOT_CALL:
            changes.update(
                status=TaskStatus.DO_NOT_CALL,
                closed_at=now,
                closed_reason="群众要求勿扰",
                first_contact_at=task.first_contact_at or now,
            )
        case Outcome.NO_ANSWER if attempt >= task.max_attempts:
            changes.update(
                status=TaskStatus.UNREACHABLE, closed_at=now, closed_reason=f"{task.max_attempts} 次拨打均未接通"
            )
        case Outcome.NO_ANSWER:
            next_at = data.next_attempt_at or now + dt.timedelta(minutes=settings.OUTREACH_RETRY_MINUTES)
            changes["due_at"] = next_at
    if not CallTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN, attempts=task.attempts).update(**changes):
        raise Conflict("任务已被他人处理，请刷新页面后重试", code="task_changed")
    record = CallRecord(
        task=task,
        attempt=attempt,
        operator=operator,
        operator_label=operator.get_username(),
        outcome=data.outcome,
        satisfaction=data.satisfaction if task.is_callback else "",
        notes=(data.notes or "").strip(),
        next_attempt_at=next_at,
        evaluation=evaluation,
        occurred_at=now,
    )
    record.save()
    if data.outcome == Outcome.DO_NOT_CALL and task.phone_index:
        DoNotCall.objects.get_or_create(phone_index=task.phone_index, defaults={"task": task, "created_at": now})
    audit_record(
        actor=Actor.for_caller(caller),
        action="outreach:call:recorded",
        target=task,
        data={
            "kind": task.kind,
            "subject": task.subject_key,
            "attempt": attempt,
            "outcome": data.outcome,
            "satisfaction": record.satisfaction,
            "status": changes.get("status", TaskStatus.OPEN),
            "evaluation": evaluation.pk if evaluation else None,
        },
    )
    return record


@transaction.atomic
def call_send_rating_sms(*, caller: Caller, task_id: int, now: dt.datetime | None = None) -> CallRecord:
    """Invite by SMS instead of rating by phone: the signed rating link (channel 7) is queued
    to the applicant's phone, and the task is done (conversion shows whether they rated)."""
    operator = _require_call_role(caller, "发送评价短信")
    now = now or timezone.now()
    task = task_get_for(scope=caller.scope, pk=task_id)
    if task.kind != TaskKind.INVITATION_UNRATED:
        raise ValidationFailed("只有邀评任务可以发送评价短信", code="not_an_invitation")
    if not task.is_open:
        raise Conflict(f"任务已{task.get_status_display()}", code="task_closed")
    record = task.record
    if record is None:
        raise _no_subject(task, "record")
    if hasattr(record, "evaluation"):
        raise Conflict("该服务已有评价，无需再邀请", code="already_rated")
    actor = Actor.for_caller(caller)
    notification = notification_queue(
        template="rating_invitation",
        to_phone=record.applicant_phone,
        context={"item": record.item.name, "url": rating_link_for(record, channel=Channel.SMS)},
        dedupe_key=f"outreach:invite:{task.pk}",
        actor=actor,
    )
    if not CallTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE,
        last_outcome=Outcome.SMS_SENT,
        closed_at=now,
        claimed_by=None,
        claimed_until=None,
        first_contact_at=task.first_contact_at or now,
    ):
        raise Conflict("任务已被他人处理，请刷新页面后重试", code="task_changed")
    call = CallRecord(
        task=task,
        attempt=task.attempts,
        operator=operator,
        operator_label=operator.get_username(),
        outcome=Outcome.SMS_SENT,
        notes="已发送评价短信" if notification is not None else "评价短信模板已停用，未发送",
        occurred_at=now,
    )
    call.save()
    audit_record(
        actor=actor,
        action="outreach:call:recorded",
        target=task,
        data={
            "kind": task.kind,
            "subject": task.subject_key,
            "attempt": task.attempts,
            "outcome": Outcome.SMS_SENT,
            "status": TaskStatus.DONE,
            "notification": notification.pk if notification else None,
        },
    )
    return call
