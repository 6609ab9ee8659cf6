"""The supervisors' daily digest of overdue work (督办汇总, issue 13 item 8).

An escalation (督办) tells the overdue case's or demand's unit what to do; the supervisors do
not get one message per escalated item, which buried their inbox in near-identical texts.
Instead each active supervisor gets at most one in-app ``supervision_digest`` a day listing the
cases and demands in their scope that are overdue now (number, unit, days overdue), with links
to the two filtered lists; none when nothing is overdue.

It lives in ``outreach``, the lowest app that sees both cases (``rectification``) and demands.
The job (``outreach.supervision_digest``) runs every half hour; from ``SUPERVISION_DIGEST_HOUR``
on it first runs both deadline scans (so the marks and the units' messages are out), then sends
what is not sent yet today: the message's ``dedupe_key`` ``digest:<date>:<user id>`` makes every
later run of the day, and a second worker, a no-op.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from haochaping.audit.services import Actor
from haochaping.core.timeutil import local_date
from haochaping.notifications.models import Notification
from haochaping.notifications.services import notification_queue
from haochaping.organizations.models import Membership, Role
from haochaping.organizations.selectors import scope_for_membership
from haochaping.outreach.selectors import demand_list
from haochaping.outreach.services.demands import demand_scan_deadlines
from haochaping.rectification.selectors import overdue_cases
from haochaping.rectification.services import case_scan_deadlines

DIGEST_TEMPLATE = "supervision_digest"
DIGEST_THREAD = "digest:supervision"  # the inbox shows the day's digest with the earlier ones folded
ITEMS_LISTED = 20  # per kind; the rest is counted ("另有 N 件") and on the linked list


@dataclass
class DigestResult:
    sent: int = 0  # digests queued by this run
    already: int = 0  # supervisors who have today's digest
    nothing: int = 0  # supervisors with nothing overdue in their scope
    early: bool = False  # before SUPERVISION_DIGEST_HOUR: nothing done


def digest_key(day: dt.date, user_id: int) -> str:
    return f"digest:{day.isoformat()}:{user_id}"


def _days_overdue(due_at: dt.datetime, today: dt.date) -> str:
    days = (today - local_date(due_at)).days
    return f"逾期 {days} 天" if days >= 1 else "逾期不足 1 天"


def _lines(kind: str, items: Iterable, total: int, today: dt.date) -> list[str]:
    lines = [f"· {kind} {item.number}（{item.unit.name}）{_days_overdue(item.due_at, today)}" for item in items]
    if total > len(lines):
        lines.append(f"……另有{kind} {total - len(lines)} 件，见逾期清单")
    return lines


def supervision_digest_send(*, now: dt.datetime | None = None) -> DigestResult:
    """Queue today's digest for every active supervisor who has overdue work in scope and no
    digest yet today. Idempotent per supervisor and local day."""
    now = now or timezone.now()
    today = local_date(now)
    actor = Actor.job("督办汇总")
    result = DigestResult()
    cases_url = reverse("console:case_list") + "?tab=overdue"
    demands_url = reverse("console:outreach_demand_list") + "?tab=overdue"
    supervisors = Membership.objects.filter(role=Role.SUPERVISOR, user__is_active=True).select_related("user", "unit")
    for membership in supervisors.order_by("unit__path", "user_id"):
        key = digest_key(today, membership.user_id)
        if Notification.objects.filter(dedupe_key=key).exists():
            result.already += 1
            continue
        scope = scope_for_membership(membership)
        cases, demands = overdue_cases(scope=scope, now=now), demand_list(scope=scope, overdue_at=now)
        n_cases, n_demands = cases.count(), demands.count()
        if not n_cases and not n_demands:
            result.nothing += 1
            continue
        lines = _lines("工单", cases[:ITEMS_LISTED], n_cases, today)
        lines += _lines("诉求", demands[:ITEMS_LISTED], n_demands, today)
        context = {
            "date": today.isoformat(),
            "time": f"{timezone.localtime(now):%Y-%m-%d %H:%M}",
            "cases": n_cases,
            "demands": n_demands,
            "items": "\n".join(lines),
            "cases_url": cases_url if n_cases else "",
            "demands_url": demands_url if n_demands else "",
        }
        with transaction.atomic():
            queued = notification_queue(template=DIGEST_TEMPLATE, to_user=membership.user, context=context,
                                        dedupe_key=key, actor=actor, thread=DIGEST_THREAD)  # fmt: skip
        if queued is not None:
            result.sent += 1
    return result


def supervision_digest_daily(*, now: dt.datetime | None = None) -> DigestResult:
    """The job's run: nothing before ``SUPERVISION_DIGEST_HOUR`` (local); then the deadline scans
    (cases and demands) and the digests not sent yet today."""
    now = now or timezone.now()
    if timezone.localtime(now).hour < settings.SUPERVISION_DIGEST_HOUR:
        return DigestResult(early=True)
    case_scan_deadlines(now=now)
    demand_scan_deadlines(now=now)
    return supervision_digest_send(now=now)
