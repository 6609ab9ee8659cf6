"""Generating the call lists (periodic job and the console's 立即生成): callbacks after a bad
rating's feedback, invitations to rate unrated services, callbacks after a complaint's reply.
Idempotent: the database keeps one task per (kind, subject, round)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Model, OuterRef, Q, QuerySet
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.core.crypto import blind_index
from haochaping.organizations.selectors import Caller, Scope
from haochaping.outreach.choices import CategoryKind, DemandState, TaskKind, TaskStatus
from haochaping.outreach.models import CallTask, Demand, DoNotCall
from haochaping.outreach.services.calls.common import _require_call_role
from haochaping.rectification.models import CaseState, RectificationCase
from haochaping.service_records.choices import HandlingMode
from haochaping.service_records.models import ServiceRecord

logger = logging.getLogger("haochaping.outreach")
M = TypeVar("M", bound=Model)


def _phone_index(phone: str) -> str:
    return blind_index("phone", phone) if phone else ""


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
    _add_case_callbacks(actor=actor, now=now, scope=scope, batch=batch, result=result)
    _add_invitations(actor=actor, now=now, scope=scope, batch=batch, result=result)
    _add_complaint_callbacks(actor=actor, now=now, scope=scope, batch=batch, result=result)
    if result.total or result.closed:
        logger.info(
            "call lists: %s created, %s do-not-call, %s closed", result.created, result.do_not_call, result.closed
        )
    return result


def _scoped(scope: Scope | None, qs: QuerySet[M], unit_field: str = "unit") -> QuerySet[M]:
    return scope.filter(qs, unit_field=unit_field) if scope is not None else qs


def _add_case_callbacks(
    *, actor: Actor, now: dt.datetime, scope: Scope | None, batch: int, result: GenerationResult
) -> None:
    """(a) A callback for every case fed back to the evaluator, once per round of rectification."""
    has_callback = CallTask.objects.filter(
        kind=TaskKind.CALLBACK_BAD_RATING, case=OuterRef("pk"), round=OuterRef("reopen_count")
    )
    cases = (
        _scoped(scope, RectificationCase.objects.filter(state=CaseState.FED_BACK, evaluation__isnull=False))
        .filter(~Exists(has_callback))
        .select_related("unit", "evaluation", "evaluation__record")
        .order_by("fed_back_at", "id")[:batch]
    )
    for case in cases:
        evaluation = case.evaluation  # never None here (evaluation__isnull=False)
        phone = (evaluation.evaluator_phone or evaluation.record.applicant_phone) if evaluation else ""
        if not phone or evaluation is None:
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


def _add_invitations(
    *, actor: Actor, now: dt.datetime, scope: Scope | None, batch: int, result: GenerationResult
) -> None:
    """(b) An invitation for every service still unrated N days after it finished."""
    has_invitation = CallTask.objects.filter(kind=TaskKind.INVITATION_UNRATED, record=OuterRef("pk"))
    records = (
        _scoped(scope, unrated_due(now))
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


def _add_complaint_callbacks(
    *, actor: Actor, now: dt.datetime, scope: Scope | None, batch: int, result: GenerationResult
) -> None:
    """(c) A callback for every complaint once it has been answered."""
    has_complaint_call = CallTask.objects.filter(kind=TaskKind.CALLBACK_COMPLAINT, demand=OuterRef("pk"))
    demands = (
        _scoped(scope, Demand.objects.filter(state=DemandState.REPLIED, category__kind=CategoryKind.COMPLAINT))
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
