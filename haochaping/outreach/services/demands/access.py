"""Who may read a demand: the citizen with its 受理编号 and 查询码, the operator's audited reveal
of the contact phone, and the rate limits of the public form."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.core.crypto import blind_index, constant_time_equal
from haochaping.core.errors import PermissionDenied
from haochaping.organizations.selectors import Caller
from haochaping.outreach.models import Demand, PortalAttempt
from haochaping.outreach.selectors import demand_get_for
from haochaping.outreach.services.demands.rules import REVEAL_ROLES, query_code_hash


def demand_find_for_citizen(*, number: str, code: str) -> Demand | None:
    """The demand with this 受理编号 if the 查询码 fits; None otherwise (same answer for both)."""
    demand = Demand.objects.filter(number=(number or "").strip().upper()).first()
    if demand is None or not demand.query_code_hash:
        return None
    if not constant_time_equal(demand.query_code_hash, query_code_hash(demand.number, (code or "").strip())):
        return None
    return demand


def demand_reveal_contact(*, caller: Caller, demand_id: int) -> str:
    """The contact phone in clear, for an operator or supervisor about to call; audited."""
    if caller.role not in REVEAL_ROLES:
        raise PermissionDenied("只有回访员和督查人员可以查看完整联系电话", code="reveal_not_allowed")
    demand = demand_get_for(scope=caller.scope, pk=demand_id)
    with transaction.atomic():
        audit_record(
            actor=Actor.for_caller(caller),
            action="outreach:contact:revealed",
            target=demand,
            data={"number": demand.number, "field": "contact_phone"},
        )
    return demand.contact_phone


def client_key(client_ip: str) -> str:
    """A keyed hash of the client address: the rate limits count it, nobody can read it back."""
    return blind_index("client_ip", client_ip or "unknown")


def portal_attempt_record(*, kind: str, client_ip: str, now: dt.datetime | None = None) -> None:
    """Count one public-form event (``submit``, ``honeypot``, ``track_failed``) for this client."""
    PortalAttempt.objects.create(kind=kind, key=client_key(client_ip), at=now or timezone.now())


def portal_attempts_purge(*, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
    return PortalAttempt.objects.filter(at__lt=timezone.now() - older_than).delete()[0]
