"""Writes of the analytics app: the 重点督办 marks (制度第十二条, SPEC R22).

``supervision_evaluate`` applies the rules of ``analytics.supervision`` to a month and marks what
they find; ``supervision_lift`` ends a mark with a reason. Both are audited.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from haochaping.analytics.models import SupervisionRun, SupervisionTarget, TargetState
from haochaping.analytics.periods import Period
from haochaping.analytics.supervision import findings
from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Caller

LIFT_REASON_MAX = 500


def supervision_evaluate(*, month: dt.date, actor: Actor) -> list[SupervisionTarget]:
    """Mark what the rules find for the month containing ``month``; returns the new marks.

    Idempotent: an entity is marked at most once per rule and month (a unique constraint), and
    not again while an earlier mark of the same rule is still active (督办中). A lifted mark
    stays lifted; a later month's finding makes a new mark.
    """
    period = Period.of("month", month)
    found = findings(period)
    now = timezone.now()
    deadline = timezone.localdate() + dt.timedelta(days=settings.ANALYTICS_SUPERVISION_DEADLINE_DAYS)
    created: list[SupervisionTarget] = []
    with transaction.atomic():
        for finding in found:
            existing = SupervisionTarget.objects.filter(
                kind=finding.kind, entity_id=finding.entity_id, rule=finding.rule
            )
            if existing.filter(month=period.first).exists() or existing.filter(state=TargetState.ACTIVE).exists():
                continue
            try:
                with transaction.atomic():  # a concurrent run may have marked it just now
                    target = SupervisionTarget.objects.create(
                        kind=finding.kind,
                        entity_id=finding.entity_id,
                        entity_name=finding.name[:200],
                        unit=finding.unit,
                        rule=finding.rule,
                        month=period.first,
                        evidence=finding.evidence,
                        marked_at=now,
                        deadline=deadline,
                    )
            except IntegrityError:
                continue
            created.append(target)
        SupervisionRun.objects.update_or_create(
            month=period.first, defaults={"evaluated_at": now, "marked": len(created), "actor": actor.label[:100]}
        )
        for target in created:
            audit_record(
                actor=actor,
                action="analytics:supervision:marked",
                target=target,
                data={
                    "kind": target.kind,
                    "entity_id": target.entity_id,
                    "rule": target.rule,
                    "month": f"{period.first:%Y-%m}",
                    "deadline": f"{target.deadline:%Y-%m-%d}",
                },
            )
    return created


def supervision_lift(*, target_id: int, reason: str, caller: Caller) -> SupervisionTarget:
    """End a mark (解除督办): supervisors only, with a reason; the mark keeps its history."""
    if caller.role != Role.SUPERVISOR:
        raise PermissionDenied("只有督查人员可以解除重点督办", code="supervision_lift_forbidden")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "请填写解除理由", code="supervision_reason_required", fields={"reason": ["请填写解除理由"]}
        )
    if len(reason) > LIFT_REASON_MAX:
        raise ValidationFailed(
            f"解除理由不能超过 {LIFT_REASON_MAX} 字",
            code="supervision_reason_too_long",
            fields={"reason": [f"解除理由不能超过 {LIFT_REASON_MAX} 字"]},
        )
    with transaction.atomic():
        target = (
            caller.scope.filter(SupervisionTarget.objects.select_for_update(), unit_field="unit")
            .filter(pk=target_id)
            .first()
        )
        if target is None:
            raise NotFound("重点督办记录不存在或不在您的管理范围内", code="supervision_target_not_found")
        if target.state != TargetState.ACTIVE:
            raise Conflict("该重点督办已解除", code="supervision_already_lifted")
        target.state = TargetState.LIFTED
        target.lifted_at = timezone.now()
        target.lifted_by = caller.user
        target.lift_reason = reason
        target.save(update_fields=["state", "lifted_at", "lifted_by", "lift_reason"])
        audit_record(
            actor=Actor.for_caller(caller),
            action="analytics:supervision:lifted",
            target=target,
            data={
                "kind": target.kind,
                "entity_id": target.entity_id,
                "rule": target.rule,
                "month": f"{target.month:%Y-%m}",
            },
        )
    return target


def supervision_monthly(*, today: dt.date | None = None) -> list[SupervisionTarget] | None:
    """The scheduled run: evaluate last month once, after the rollups have passed its end.
    Returns None when there was nothing to do (already evaluated, or rollups not yet there)."""
    today = today or timezone.localdate()
    month = Period.of("month", today).previous()
    if SupervisionRun.objects.filter(month=month.first).exists():
        return None
    from haochaping.analytics.models import RollupRun

    month_end = timezone.make_aware(dt.datetime.combine(month.last + dt.timedelta(days=1), dt.time()))
    if not RollupRun.objects.filter(finished_at__isnull=False, started_at__gte=month_end).exists():
        return None
    return supervision_evaluate(month=month.first, actor=Actor.job("analytics.supervision_monthly"))
