"""Writes of common problems (共性问题, 制度第十一条); every change is audited
(``insight:problem:*``) beside a step on the problem's timeline, in one transaction.

* ``proposal_accept`` opens a ``CommonProblem`` from a proposal (title, responsible unit,
  deadline) and links the proposal's cases and demands; ``proposal_dismiss`` needs a reason.
* ``problem_analysis_save`` records the root cause and plan; ``problem_transition`` applies the
  table in ``workflow.py`` (conditional UPDATE, like a case's step); ``problem_evidence_add``
  stores evidence files (checked like a case's, SM3 digest in the audit event).
* ``problem_scan_deadlines`` warns, marks overdue and escalates (督办) like the case watch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.audit.timeline import timeline_append
from haochaping.core.calendar import deadline
from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.core.timeutil import end_of_local_day, local_date
from haochaping.insight.problems.models import (
    PROBLEM_DEADLINE_STATES,
    CommonProblem,
    ProblemAction,
    ProblemAttachment,
    ProblemCase,
    ProblemDemand,
    ProblemProposal,
    ProblemState,
    ProposalState,
)
from haochaping.insight.problems.selectors import may_handle, problem_get_for, proposal_get_for, require_decide
from haochaping.insight.problems.workflow import TRANSITIONS, Action, Event
from haochaping.organizations.models import Unit
from haochaping.organizations.selectors import Caller
from haochaping.rectification.attachments import attachments_validate, uploads_store
from haochaping.rectification.services import supervising_unit

MAX_TEXT = 4000
MAX_DAYS = 180


def problem_deadline(start: dt.datetime) -> dt.datetime:
    """The default deadline of a common problem: ``INSIGHT_PROBLEM_DAYS`` after it is opened,
    counted as cases are (``RECTIFICATION_DAY_KIND``)."""
    return deadline(start, settings.INSIGHT_PROBLEM_DAYS, settings.RECTIFICATION_DAY_KIND)


@dataclass(frozen=True)
class AcceptInput:
    title: str
    unit: Unit
    due: dt.date | None = None  # None: ``problem_deadline``


@transaction.atomic
def proposal_accept(
    *, caller: Caller, proposal_id: int, data: AcceptInput, at: dt.datetime | None = None
) -> CommonProblem:
    """Open one 共性问题 from a proposal; its cases and demands are linked to it."""
    scope = caller.scope
    require_decide(scope)
    proposal = proposal_get_for(scope=scope, pk=proposal_id)
    if proposal.state != ProposalState.PROPOSED:
        raise Conflict(f"该线索已{proposal.get_state_display()}", code="proposal_decided")
    if not scope.allows_unit(data.unit):
        raise PermissionDenied("责任单位须在管理范围内", code="problem_forbidden")
    now = at or timezone.now()
    errors: dict[str, list[str]] = {}
    title = data.title.strip()
    if not title:
        errors["title"] = ["请填写问题标题"]
    elif len(title) > 200:
        errors["title"] = ["问题标题不能超过 200 字"]
    due_at = problem_deadline(now)
    if data.due is not None:
        if data.due <= local_date(now):
            errors["due"] = ["整改期限须晚于今天"]
        elif data.due > local_date(now) + dt.timedelta(days=MAX_DAYS):
            errors["due"] = [f"整改期限不能超过 {MAX_DAYS} 天"]
        else:
            due_at = end_of_local_day(data.due)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    if (
        ProblemProposal.objects.filter(pk=proposal.pk, state=ProposalState.PROPOSED).update(
            state=ProposalState.ACCEPTED, decided_at=now, decided_by=caller.user
        )
        != 1
    ):
        raise Conflict("该线索已被他人研判，请刷新页面后重试", code="proposal_decided")
    problem = CommonProblem.objects.create(
        number=f"GX{local_date(now):%Y%m%d}{proposal.pk:06d}",
        title=title,
        unit=data.unit,
        kind=proposal.kind,
        key=proposal.key,
        label=proposal.label,
        opened_at=now,
        due_at=due_at,
        original_due_at=due_at,
        created_by=caller.user,  # type: ignore[misc]  # a console user (supervisors only get here)
    )
    ProblemProposal.objects.filter(pk=proposal.pk).update(problem=problem)
    ProblemCase.objects.bulk_create([ProblemCase(problem=problem, case_id=pk, linked_at=now) for pk in proposal.cases])
    ProblemDemand.objects.bulk_create(
        [ProblemDemand(problem=problem, demand_id=pk, linked_at=now) for pk in proposal.demands]
    )
    actor = Actor.for_caller(caller)
    data_ = {"proposal": proposal.pk, "kind": proposal.kind, "key": proposal.key, "unit": data.unit.code,
             "due_at": due_at.isoformat(), "cases": proposal.cases, "demands": proposal.demands}  # fmt: skip
    timeline_append(ProblemAction, problem, Event.OPENED, actor=actor, user=caller.user,
                    to_state=problem.state, at=now, data=data_)  # fmt: skip
    audit_record(actor=actor, action="insight:problem:opened", target=problem, data={"number": problem.number, **data_})
    return problem


@transaction.atomic
def proposal_dismiss(
    *, caller: Caller, proposal_id: int, reason: str, at: dt.datetime | None = None
) -> ProblemProposal:
    """Dismiss a proposal (不予立项), with the reason; the same members are not proposed again."""
    require_decide(caller.scope)
    proposal = proposal_get_for(scope=caller.scope, pk=proposal_id)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("请填写不予立项的理由", fields={"reason": ["请填写不予立项的理由"]})
    if len(reason) > MAX_TEXT:
        raise ValidationFailed(f"理由不能超过 {MAX_TEXT} 字", fields={"reason": [f"不能超过 {MAX_TEXT} 字"]})
    now = at or timezone.now()
    if (
        ProblemProposal.objects.filter(pk=proposal.pk, state=ProposalState.PROPOSED).update(
            state=ProposalState.DISMISSED, decided_at=now, decided_by=caller.user, dismiss_reason=reason
        )
        != 1
    ):
        raise Conflict(f"该线索已{proposal.get_state_display()}", code="proposal_decided")
    proposal.refresh_from_db()
    audit_record(actor=Actor.for_caller(caller), action="insight:problem:dismissed", target=proposal,
                 data={"kind": proposal.kind, "key": proposal.key, "reason": reason})  # fmt: skip
    return proposal


def _require_handle(caller: Caller, problem: CommonProblem) -> None:
    if not may_handle(caller.scope, problem):
        raise PermissionDenied("只有责任单位管理员和督查可以处理共性问题", code="problem_forbidden")


@transaction.atomic
def problem_analysis_save(*, caller: Caller, problem_id: int, root_cause: str, plan: str) -> CommonProblem:
    """Record the root cause (原因分析) and the rectification plan (整改方案), until closed."""
    problem = problem_get_for(scope=caller.scope, pk=problem_id)
    _require_handle(caller, problem)
    if problem.state in (ProblemState.RECTIFIED, ProblemState.CLOSED):
        raise Conflict(f"共性问题已{problem.get_state_display()}，不能再修改原因分析和整改方案")
    root_cause, plan = root_cause.strip(), plan.strip()
    errors: dict[str, list[str]] = {}
    for name, value in (("root_cause", root_cause), ("plan", plan)):
        if len(value) > MAX_TEXT:
            errors[name] = [f"不能超过 {MAX_TEXT} 字"]
    if errors:
        raise ValidationFailed("提交的内容有误", fields=errors)
    if root_cause == problem.root_cause and plan == problem.plan:
        return problem
    CommonProblem.objects.filter(pk=problem.pk).update(root_cause=root_cause, plan=plan)
    problem.root_cause, problem.plan = root_cause, plan
    actor = Actor.for_caller(caller)
    timeline_append(ProblemAction, problem, Event.ANALYSIS_SAVED, actor=actor, user=caller.user,
                    text=f"原因分析：{root_cause}\n整改方案：{plan}")  # fmt: skip
    audit_record(actor=actor, action="insight:problem:analysis_saved", target=problem,
                 data={"root_cause_chars": len(root_cause), "plan_chars": len(plan)})  # fmt: skip
    return problem


def problem_evidence_add(
    *, caller: Caller, problem_id: int, files: Sequence[UploadedFile], text: str = ""
) -> list[ProblemAttachment]:
    """Attach evidence files (证明材料) to an open problem."""
    problem = problem_get_for(scope=caller.scope, pk=problem_id)
    _require_handle(caller, problem)
    if not problem.is_open:
        raise Conflict("共性问题已办结，不能再上传证明材料")
    if not files:
        raise ValidationFailed("请选择要上传的证明材料", fields={"files": ["请选择要上传的证明材料"]})
    errors = attachments_validate(files)
    if errors:
        raise ValidationFailed(errors["files"][0], fields=errors)
    actor = Actor.for_caller(caller)
    with transaction.atomic():
        entry = timeline_append(
            ProblemAction, problem, Event.EVIDENCE, actor=actor, user=caller.user, text=text.strip()
        )
        stored = uploads_store(ProblemAttachment, prefix=problem.number, files=files, user=caller.user,
                               problem=problem, action=entry)  # fmt: skip
        audit_record(actor=actor, action="insight:problem:evidence_added", target=problem,
                     data={"attachments": [a.sm3 for a in stored]})  # fmt: skip
    return stored


@dataclass(frozen=True)
class StepInput:
    text: str = ""
    files: Sequence[UploadedFile] = ()


def problem_transition(
    *, caller: Caller, problem_id: int, action: str, data: StepInput, at: dt.datetime | None = None
) -> CommonProblem:
    """One workflow step of a problem (``workflow.TRANSITIONS``): role, state and input checked."""
    try:
        t = TRANSITIONS[Action(action)]
    except ValueError as exc:
        raise ValidationFailed(f"未知的操作：{action}", code="unknown_action") from exc
    problem = problem_get_for(scope=caller.scope, pk=problem_id)
    if caller.role not in t.roles or not (may_handle(caller.scope, problem) or t.roles == frozenset({"supervisor"})):
        raise PermissionDenied(f"您的角色无权执行“{t.action.label}”", code="action_not_allowed")
    if problem.state not in t.sources:
        raise Conflict(f"共性问题当前状态为“{problem.get_state_display()}”，不能执行“{t.action.label}”",
                       code="illegal_transition")  # fmt: skip
    text = data.text.strip()
    errors: dict[str, list[str]] = {}
    if t.needs_text and not text:
        errors["text"] = [f"请填写{t.text_label}"]
    if len(text) > MAX_TEXT:
        errors["text"] = [f"不能超过 {MAX_TEXT} 字"]
    if t.action == Action.ANALYSE:
        if not problem.root_cause:
            errors["root_cause"] = ["请先填写并保存原因分析"]
        if not problem.plan:
            errors["plan"] = ["请先填写并保存整改方案"]
    if t.needs_attachment and not data.files and not problem.attachments.exists():
        errors["files"] = ["请上传整改证明材料（如整改前后照片、制度文件）"]
    errors.update(attachments_validate(data.files))
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    source = problem.state
    now = at or timezone.now()
    changes: dict = {"state": t.target}
    payload: dict = {}
    match t.action:
        case Action.ANALYSE:
            changes["analysed_at"] = now
        case Action.RECTIFY:
            changes["rectified_at"] = now
            payload["on_time"] = now <= problem.due_at
        case Action.RETURN:
            changes["rectified_at"] = None
        case Action.CLOSE:
            changes["closed_at"] = now
    actor = Actor.for_caller(caller)
    with transaction.atomic():
        if CommonProblem.objects.filter(pk=problem.pk, state=source).update(**changes) != 1:
            raise Conflict("共性问题已被他人处理，请刷新页面后重试", code="problem_state_changed")
        problem.refresh_from_db()
        entry = timeline_append(ProblemAction, problem, t.action, actor=actor, user=caller.user, from_state=source,
                                to_state=t.target, text=text, data=payload, at=now)  # fmt: skip
        stored = uploads_store(ProblemAttachment, prefix=problem.number, files=data.files, user=caller.user,
                               problem=problem, action=entry)  # fmt: skip
        audit_record(
            actor=actor,
            action=f"insight:problem:{t.action}",
            target=problem,
            data={"from": source, "to": t.target, "attachments": [a.sm3 for a in stored], **payload},
        )
    return problem


@dataclass
class ScanResult:
    warned: int = 0
    overdue: int = 0
    escalated: int = 0


def problem_scan_deadlines(*, now: dt.datetime | None = None) -> ScanResult:
    """Warn before a problem's deadline, mark it overdue at it, escalate (督办) after the grace
    period: the case watch's settings and rule (``rectification.services.case_scan_deadlines``);
    each mark a conditional UPDATE that only one run wins."""
    now = now or timezone.now()
    actor = Actor.job("到期检查")
    result = ScanResult()
    running = CommonProblem.objects.filter(state__in=PROBLEM_DEADLINE_STATES)
    warn_before = dt.timedelta(hours=settings.RECTIFICATION_WARN_HOURS)
    grace = dt.timedelta(hours=settings.RECTIFICATION_ESCALATE_AFTER_HOURS)
    marks = (
        (
            "warned_at",
            Event.WARNED,
            running.filter(warned_at__isnull=True, due_at__gt=now, due_at__lte=now + warn_before),
        ),
        ("overdue_at", Event.OVERDUE, running.filter(overdue_at__isnull=True, due_at__lte=now)),
        ("escalated_at", Event.ESCALATED, running.filter(escalated_at__isnull=True, due_at__lte=now - grace)),
    )
    for field, event, qs in marks:
        for problem in qs.select_related("unit"):
            changes: dict = {field: now}
            data = {"due_at": problem.due_at.isoformat()}
            if event == Event.ESCALATED:
                target = supervising_unit(problem.unit)
                changes["escalated_to"] = target
                data["to"] = target.code
            with transaction.atomic():
                if CommonProblem.objects.filter(pk=problem.pk, **{f"{field}__isnull": True}).update(**changes):
                    timeline_append(ProblemAction, problem, event, actor=actor, data=data, at=now)
                    audit_record(actor=actor, action=f"insight:problem:{event}", target=problem, data=data)
                    counter = {"warned_at": "warned", "overdue_at": "overdue"}.get(field, "escalated")
                    setattr(result, counter, getattr(result, counter) + 1)
    return result
