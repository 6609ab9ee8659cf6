"""The deadline watch of demands (限时办理): warn before the time limit, mark overdue at it,
escalate (督办) after the grace period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.audit.timeline import timeline_append
from haochaping.outreach import notify
from haochaping.outreach.choices import DEMAND_RUNNING, DemandStep
from haochaping.outreach.models import Demand, DemandAction
from haochaping.rectification.services import supervising_unit


@dataclass
class ScanResult:
    warned: int = 0
    overdue: int = 0
    escalated: int = 0


def demand_scan_deadlines(*, now: dt.datetime | None = None) -> ScanResult:
    """Warn before the time limit, mark overdue at it, escalate (督办) after the grace period.

    The same mechanism as the rectification deadline watch: conditional UPDATEs, so several
    workers never double-mark; only the winner writes the timeline, audit and messages.
    """
    now = now or timezone.now()
    actor = Actor.job("诉求到期检查")
    result = ScanResult()
    running = Demand.objects.filter(state__in=DEMAND_RUNNING).select_related("unit", "category")
    warn_before = dt.timedelta(hours=settings.DEMAND_WARN_HOURS)
    for demand in running.filter(warned_at__isnull=True, due_at__gt=now, due_at__lte=now + warn_before):
        with transaction.atomic():
            if Demand.objects.filter(pk=demand.pk, warned_at__isnull=True).update(warned_at=now):
                timeline_append(
                    DemandAction,
                    demand,
                    DemandStep.WARNED,
                    actor=actor,
                    data={"due_at": demand.due_at.isoformat()},
                    at=now,
                )
                audit_record(
                    actor=actor,
                    action="outreach:demand:warned",
                    target=demand,
                    data={"number": demand.number, "due_at": demand.due_at.isoformat()},
                )
                notify.deadline_warning(demand=demand)
                result.warned += 1
    for demand in running.filter(overdue_at__isnull=True, due_at__lte=now):
        with transaction.atomic():
            if Demand.objects.filter(pk=demand.pk, overdue_at__isnull=True).update(overdue_at=now):
                timeline_append(
                    DemandAction,
                    demand,
                    DemandStep.OVERDUE,
                    actor=actor,
                    data={"due_at": demand.due_at.isoformat()},
                    at=now,
                )
                audit_record(
                    actor=actor,
                    action="outreach:demand:overdue",
                    target=demand,
                    data={"number": demand.number, "due_at": demand.due_at.isoformat()},
                )
                result.overdue += 1
    grace = dt.timedelta(hours=settings.DEMAND_ESCALATE_AFTER_HOURS)
    for demand in running.filter(escalated_at__isnull=True, due_at__lte=now - grace):
        target = supervising_unit(demand.unit)
        with transaction.atomic():
            if Demand.objects.filter(pk=demand.pk, escalated_at__isnull=True).update(
                escalated_at=now, escalated_to=target
            ):
                data = {"to": target.code, "due_at": demand.due_at.isoformat()}
                timeline_append(DemandAction, demand, DemandStep.ESCALATED, actor=actor, data=data, at=now)
                audit_record(
                    actor=actor,
                    action="outreach:demand:escalated",
                    target=demand,
                    data={"number": demand.number, **data},
                )
                notify.escalated(demand=demand, to=target)
                result.escalated += 1
    return result
