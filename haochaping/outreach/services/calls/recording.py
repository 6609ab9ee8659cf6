"""Recording a call: the outcome of one attempt (and what a reached call settles, ``settle.py``),
or the rating link sent by SMS instead of rating on the phone."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import Conflict, ValidationFailed
from haochaping.evaluations.choices import BAD_LEVELS, Channel, Level
from haochaping.evaluations.models import Evaluation
from haochaping.notifications.services import notification_queue
from haochaping.organizations.selectors import Caller
from haochaping.outreach.choices import (
    CALL_OUTCOMES,
    CALLBACK_SATISFACTION,
    Outcome,
    Satisfaction,
    TaskKind,
    TaskStatus,
)
from haochaping.outreach.models import CallRecord, CallTask, DoNotCall
from haochaping.outreach.selectors import task_get_for
from haochaping.outreach.services.calls.common import CallInput, _no_subject, _require_call_role
from haochaping.outreach.services.calls.settle import settle_subject
from haochaping.service_records.services import rating_link_for

MAX_NOTES = 2000
MAX_RETRY_DAYS = 30


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


def _task_changes(
    task: CallTask, data: CallInput, *, attempt: int, evaluation: Evaluation | None, now: dt.datetime
) -> tuple[dict, dt.datetime | None]:
    """What this attempt's outcome does to the task (the columns to set) and, for an unanswered
    call that will be tried again, when."""
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
    return changes, next_at


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
    evaluation = settle_subject(caller, task, data, now) if data.outcome == Outcome.REACHED_RATED else None
    attempt = task.attempts + 1
    changes, next_at = _task_changes(task, data, attempt=attempt, evaluation=evaluation, now=now)
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
