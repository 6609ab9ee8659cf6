"""Writes for rectification cases: open, transition, attach, and the deadline watch.

Every state change goes through ``case_transition`` (the table in ``workflow.py``): it checks
role and state, moves the state with a conditional UPDATE (two users racing the same step
cannot both succeed), appends a ``CaseAction`` to the timeline, stores attachments and writes
the audit event, all in one transaction; notifications are queued in that same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.audit.timeline import timeline_append
from haochaping.core.calendar import deadline
from haochaping.core.db.insert import insert_row
from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.core.timeutil import end_of_local_day, local_date
from haochaping.core.workflow import Transition
from haochaping.evaluations.models import Evaluation
from haochaping.organizations.models import Membership, Role, Unit
from haochaping.organizations.selectors import Caller
from haochaping.rectification import notify
from haochaping.rectification.attachments import attachment_store, attachments_validate
from haochaping.rectification.models import DEADLINE_STATES, CaseAction, CaseState, RectificationCase
from haochaping.rectification.selectors import case_get_for, requested_due
from haochaping.rectification.workflow import STATEMENT_ROLES, TRANSITIONS, Action, Event

MAX_TEXT = 2000
MAX_EXTENSION_DAYS = 90


def case_deadline(start: dt.datetime) -> dt.datetime:
    """制度第九条: rectified within 15 natural days of the rating (days and kind configurable)."""
    return deadline(start, settings.RECTIFICATION_DAYS, settings.RECTIFICATION_DAY_KIND)


@transaction.atomic(savepoint=False)  # always inside the rating's transaction
def case_open_for_evaluation(
    *, actor: Actor, evaluation: Evaluation, unit_code: str | None = None
) -> RectificationCase:
    """Open the 待核实 case for a bad rating, in the rating's own transaction.

    ``unit_code``: the code of the record's unit when the caller has it (the rating intake's
    lookup brings it along), else read from ``record.unit``.

    The case counts from the rating itself (制度第九条), so a rating that reaches the server
    late (a tablet's offline queue, an imported history) opens a case dated when it was given.
    """
    due = case_deadline(evaluation.evaluated_at)
    opened_at = min(evaluation.evaluated_at, evaluation.received_at)
    record = evaluation.record
    unit_code = unit_code or record.unit.code
    case = RectificationCase(
        number=f"CP{local_date(evaluation.evaluated_at):%Y%m%d}{evaluation.pk:08d}",
        evaluation=evaluation,
        unit_id=record.unit_id,
        state=CaseState.PENDING_VERIFY,
        opened_at=opened_at,
        due_at=due,
        original_due_at=due,
    )
    insert_row(case)
    timeline_append(CaseAction, case, Event.OPENED, actor=Actor.job("系统"), to_state=case.state,
                    at=case.opened_at, data={"due_at": due.isoformat(), "level": evaluation.level})  # fmt: skip
    audit_record(
        actor=actor,
        action="rectification:case:opened",
        target=case,
        data={"number": case.number, "evaluation": evaluation.pk, "unit": unit_code,
              "due_at": due.isoformat(), "level": evaluation.level},
    )  # fmt: skip
    return case


@dataclass(frozen=True)
class StepInput:
    """What a user supplies for one step: the text, a date (extensions) and files."""

    text: str = ""
    new_due: dt.date | None = None
    files: Sequence[UploadedFile] = ()


def _check(caller: Caller, case: RectificationCase, t: Transition[Action], data: StepInput) -> dict:
    """Role, state and input checks; returns the extra fields the transition sets."""
    if caller.role not in t.roles:
        raise PermissionDenied(f"您的角色无权执行“{t.action.label}”", code="action_not_allowed")
    if case.state not in t.sources:
        raise Conflict(
            f"工单当前状态为“{case.get_state_display()}”，不能执行“{t.action.label}”",
            code="illegal_transition",
        )
    errors: dict[str, list[str]] = {}
    text = data.text.strip()
    if t.needs_text and not text:
        errors["text"] = [f"请填写{t.text_label}"]
    if len(text) > MAX_TEXT:
        errors["text"] = [f"不能超过 {MAX_TEXT} 字"]
    if t.needs_attachment and not data.files:
        errors["files"] = ["请上传证明材料（如录音、监控截图、沟通记录）"]
    fields: dict = {}
    if t.needs_date:
        new_due = data.new_due
        if t.action == Action.APPROVE_EXTENSION and new_due is None:
            new_due = requested_due(case)
        current = local_date(case.due_at)
        if new_due is None:
            errors["new_due"] = ["请填写新的整改期限"]
        elif new_due <= current:
            errors["new_due"] = [f"新的整改期限须晚于当前期限 {current:%Y-%m-%d}"]
        elif new_due > current + dt.timedelta(days=MAX_EXTENSION_DAYS):
            errors["new_due"] = [f"延期不能超过 {MAX_EXTENSION_DAYS} 天"]
        else:
            fields["new_due"] = new_due
    errors.update(attachments_validate(data.files))
    if errors:
        raise ValidationFailed("提交的内容不完整或有误", fields=errors)
    fields["text"] = text
    return fields


def case_transition(
    *, caller: Caller, case_id: int, action: str, data: StepInput, at: dt.datetime | None = None
) -> RectificationCase:
    """Perform one workflow step on a case the caller can see.

    ``at`` is only for importing history (the demo seed, a move from a legacy system): the step
    is dated then on the case and its timeline, nobody is notified, and the audit event still
    records the real time of the import.
    """
    try:
        t = TRANSITIONS[Action(action)]
    except ValueError as exc:
        raise ValidationFailed(f"未知的操作：{action}", code="unknown_action") from exc
    case = case_get_for(scope=caller.scope, pk=case_id)
    checked = _check(caller, case, t, data)
    source = case.state  # one of t.sources (checked)
    now = at or timezone.now()
    changes: dict = {"state": t.target}
    payload: dict = {}
    match t.action:
        case Action.VERIFY:
            changes["verified_at"] = now
        case Action.APPROVE_INVALID:
            changes["closed_at"] = now
        case Action.REQUEST_EXTENSION:
            payload["requested_due"] = checked["new_due"].isoformat()
        case Action.APPROVE_EXTENSION:
            new_due = end_of_local_day(checked["new_due"])
            changes.update(due_at=new_due, warned_at=None, overdue_at=None)
            payload.update(previous_due=case.due_at.isoformat(), due_at=new_due.isoformat())
        case Action.RECTIFY:
            changes["rectified_at"] = now
            payload["on_time"] = now <= case.due_at
        case Action.FEED_BACK:
            changes["fed_back_at"] = now
        case Action.CALLBACK_SATISFIED:
            changes["closed_at"] = now
        case Action.CALLBACK_UNSATISFIED:
            # Back to rectification with a fresh period: the citizen was not satisfied. Never an
            # earlier deadline than the case already has (an approved extension stands).
            new_due = max(case.due_at, case_deadline(now))
            changes.update(due_at=new_due, rectified_at=None, fed_back_at=None, warned_at=None, overdue_at=None,
                           reopen_count=F("reopen_count") + 1)  # fmt: skip
            payload.update(previous_due=case.due_at.isoformat(), due_at=new_due.isoformat())
    actor = Actor.for_caller(caller)
    with transaction.atomic():
        moved = RectificationCase.objects.filter(pk=case.pk, state=source).update(**changes)
        if moved != 1:
            raise Conflict("工单已被他人处理，请刷新页面后重试", code="case_state_changed")
        case.refresh_from_db()
        entry = timeline_append(CaseAction, case, t.action, actor=actor, user=caller.user, from_state=source,
                                to_state=t.target, text=checked["text"], data=payload, at=now)  # fmt: skip
        stored = attachment_store(case=case, action=entry, files=data.files, user=caller.user)
        audit_record(
            actor=actor,
            action=f"rectification:case:{t.action}",
            target=case,
            data={"from": source, "to": t.target, "attachments": [a.sm3 for a in stored], **payload},
        )
        if at is None:
            notify.after_transition(case=case, transition=t, entry=entry)
    return case


def case_statement_add(*, caller: Caller, case_id: int, text: str, files: Sequence[UploadedFile] = ()) -> CaseAction:
    """A window clerk's 情况说明 on a bad rating of their own service, while the case is open.

    Not a transition: the state stays; the statement is a timeline event (``Event.STATEMENT``)
    with its attachments, shown to the unit when it verifies. A clerk may add several; each is
    kept. The unit's admins are told in the console inbox.
    """
    if caller.role not in STATEMENT_ROLES or caller.scope.staff_id is None:
        raise PermissionDenied("只有被评价的窗口工作人员本人可以提交情况说明", code="statement_not_allowed")
    case = case_get_for(scope=caller.scope, pk=case_id)  # NotFound unless it is the clerk's service
    record = case.evaluation.record if case.evaluation is not None else None
    if record is None or record.staff_id != caller.scope.staff_id:
        raise PermissionDenied("只有被评价的窗口工作人员本人可以提交情况说明", code="statement_not_allowed")
    if not case.is_open:
        raise Conflict(f"工单已{case.get_state_display()}，不能再提交情况说明", code="case_closed")
    text = text.strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = ["请填写情况说明"]
    elif len(text) > MAX_TEXT:
        errors["text"] = [f"不能超过 {MAX_TEXT} 字"]
    errors.update(attachments_validate(files))
    if errors:
        raise ValidationFailed("提交的内容不完整或有误", fields=errors)
    actor = Actor.for_caller(caller)
    with transaction.atomic():
        entry = timeline_append(CaseAction, case, Event.STATEMENT, actor=actor, user=caller.user, text=text)
        stored = attachment_store(case=case, action=entry, files=files, user=caller.user)
        audit_record(
            actor=actor,
            action="rectification:case:statement_added",
            target=case,
            data={"state": case.state, "attachments": [a.sm3 for a in stored]},
        )
        notify.statement_added(case=case, entry=entry)
    return entry


def supervising_unit(unit: Unit) -> Unit:
    """Where a unit's overdue cases and demands are escalated (督办): the nearest unit strictly
    above ``unit`` with active supervisors; failing that, ``unit`` itself if it has active
    supervisors (a case of the supervisors' own unit), else the root of its tree.

    Escalating to the unit whose own people let the deadline pass would escalate nothing: the
    unit's own supervisors are only the fallback.
    """
    codes = unit.path.strip("/").split("/")
    with_supervisors = set(
        Membership.objects.filter(role=Role.SUPERVISOR, unit__code__in=codes, user__is_active=True).values_list(
            "unit__code", flat=True
        )
    )
    above = [code for code in reversed(codes[:-1]) if code in with_supervisors]
    if above:
        return Unit.objects.get(code=above[0])
    if unit.code in with_supervisors:
        return unit
    return Unit.objects.get(code=codes[0])


@dataclass
class ScanResult:
    warned: int = 0
    overdue: int = 0
    escalated: int = 0


def case_scan_deadlines(*, now: dt.datetime | None = None) -> ScanResult:
    """Warn before the deadline, mark overdue at it, escalate (督办) after the grace period.

    Idempotent and safe to run from several workers: each mark is a conditional UPDATE that
    only one run wins, and only the winner writes the timeline, the audit event and the
    notification.
    """
    now = now or timezone.now()
    actor = Actor.job("到期检查")
    result = ScanResult()
    running = RectificationCase.objects.filter(state__in=DEADLINE_STATES)
    warn_before = dt.timedelta(hours=settings.RECTIFICATION_WARN_HOURS)
    for case in running.filter(warned_at__isnull=True, due_at__gt=now, due_at__lte=now + warn_before):
        with transaction.atomic():
            if RectificationCase.objects.filter(pk=case.pk, warned_at__isnull=True).update(warned_at=now):
                timeline_append(CaseAction, case, Event.WARNED, actor=actor, data={"due_at": case.due_at.isoformat()})
                audit_record(actor=actor, action="rectification:case:warned", target=case,
                             data={"due_at": case.due_at.isoformat()})  # fmt: skip
                notify.deadline_warning(case=case)
                result.warned += 1
    for case in running.filter(overdue_at__isnull=True, due_at__lte=now):
        with transaction.atomic():
            if RectificationCase.objects.filter(pk=case.pk, overdue_at__isnull=True).update(overdue_at=now):
                timeline_append(CaseAction, case, Event.OVERDUE, actor=actor, data={"due_at": case.due_at.isoformat()})
                audit_record(actor=actor, action="rectification:case:overdue", target=case,
                             data={"due_at": case.due_at.isoformat()})  # fmt: skip
                result.overdue += 1
    grace = dt.timedelta(hours=settings.RECTIFICATION_ESCALATE_AFTER_HOURS)
    for case in running.filter(escalated_at__isnull=True, due_at__lte=now - grace).select_related("unit"):
        target = supervising_unit(case.unit)
        with transaction.atomic():
            if RectificationCase.objects.filter(pk=case.pk, escalated_at__isnull=True).update(
                escalated_at=now, escalated_to=target
            ):
                timeline_append(
                    CaseAction,
                    case,
                    Event.ESCALATED,
                    actor=actor,
                    data={"to": target.code, "due_at": case.due_at.isoformat()},
                )
                audit_record(actor=actor, action="rectification:case:escalated", target=case,
                             data={"to": target.code, "due_at": case.due_at.isoformat()})  # fmt: skip
                notify.escalated(case=case, to=target)
                result.escalated += 1
    return result
