"""Working the list: claiming the next call (下一个), a supervisor's assignment, and the audited
reveal of the number about to be called."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Caller
from haochaping.outreach.choices import TaskStatus
from haochaping.outreach.models import CallTask
from haochaping.outreach.selectors import call_operators, task_get_for, work_priority
from haochaping.outreach.services.calls.common import CALL_ROLES, _require_call_role


def _claim_free(user, now: dt.datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now) | Q(claimed_by=user)


def call_task_claim_next(*, caller: Caller, kind: str | None = None, now: dt.datetime | None = None) -> CallTask | None:
    """下一个: take the next due open task (mine first, then assigned to me, then unassigned;
    within each, callbacks before invitations, then soonest due),
    held for ``OUTREACH_CLAIM_MINUTES`` so that no other operator calls the same citizen. A task
    assigned to an operator whose account has since been deactivated is back in the pool (the
    assignment stays recorded)."""
    user = _require_call_role(caller, "拨打回访电话")
    now = now or timezone.now()
    candidates = (
        caller.scope.filter(CallTask.objects.filter(status=TaskStatus.OPEN, due_at__lte=now), unit_field="unit")
        .filter(Q(assigned_to__isnull=True) | Q(assigned_to=user) | Q(assigned_to__is_active=False))
        .filter(_claim_free(user, now))
    )
    if kind:
        candidates = candidates.filter(kind=kind)
    rows = candidates.annotate(priority=work_priority()).order_by("priority", "due_at", "id")
    ordered = sorted(
        rows.values_list("pk", "claimed_by_id", "assigned_to_id", "priority", "due_at")[:200],
        key=lambda row: (row[1] != user.pk, row[2] != user.pk, row[3], row[4], row[0]),
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
