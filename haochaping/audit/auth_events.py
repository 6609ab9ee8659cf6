"""Console sign-in events in the audit chain, and the failed-login lockout (等保: 登录失败处理).

Django announces logins, logouts and failed logins with its auth signals; these receivers only
record them. The lockout reads the same events back: ``LOGIN_MAX_FAILURES`` failures for one
username within ``LOGIN_LOCK_MINUTES`` lock that username until the window has passed.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from haochaping.audit.models import ActorType, AuditEvent
from haochaping.audit.services import Actor, audit_record
from haochaping.core.http import client_ip

LOGIN_TARGET = "console.login"


def _ip(request) -> str:
    return client_ip(request)


def on_logged_in(sender, request, user, **kwargs):
    audit_record(actor=Actor.for_user(user), action="console:session:login", target_type=LOGIN_TARGET,
                 target_id=user.get_username(), data={"ip": _ip(request)})  # fmt: skip


def on_logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=Actor.for_user(user), action="console:session:logout", target_type=LOGIN_TARGET,
                     target_id=user.get_username(), data={"ip": _ip(request)})  # fmt: skip


def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:64]
    audit_record(actor=Actor(ActorType.USER, "", username), action="console:session:login_failed",
                 target_type=LOGIN_TARGET, target_id=username, data={"ip": _ip(request)})  # fmt: skip


def login_refused_while_locked(username: str, request) -> None:
    """A sign-in attempt on a locked username is refused unchecked, and still recorded."""
    audit_record(actor=Actor(ActorType.USER, "", username[:64]), action="console:session:login_locked",
                 target_type=LOGIN_TARGET, target_id=username[:64], data={"ip": _ip(request)})  # fmt: skip


def login_locked(username: str) -> bool:
    """Too many recent failures for this username (successful logins do not reset the window)."""
    since = timezone.now() - timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
    failures = AuditEvent.objects.filter(
        action="console:session:login_failed", target_type=LOGIN_TARGET, target_id=username[:64],
        occurred_at__gte=since,
    ).count()  # fmt: skip
    return failures >= settings.LOGIN_MAX_FAILURES
