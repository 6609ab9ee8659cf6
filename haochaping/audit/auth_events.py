"""Console sign-in events in the audit chain, and the failed-login limits (等保: 登录失败处理).

Django announces logins, logouts and failed logins with its auth signals; these receivers only
record them. The limits read the same ``console:session:login_failed`` events back, over the last
``LOGIN_LOCK_MINUTES`` (a sliding window; a successful login resets nothing):

* **per username**: ``LOGIN_MAX_FAILURES`` failures lock that username until enough of them have
  left the window;
* **per client address** (``core.http.client_ip``), over all usernames: from
  ``LOGIN_IP_SLOW_AFTER`` failures on, each further try must wait ``LOGIN_IP_BACKOFF_SECONDS`` after
  the last failure, doubling with every failure up to ``LOGIN_IP_BACKOFF_MAX_SECONDS`` (the form
  answers "请 N 秒后再试" at once: no worker sleeps); from ``LOGIN_IP_MAX_FAILURES`` on, no login
  from that address is checked at all until the window has moved on.

A refused attempt (``login_locked``, ``login_throttled``) is recorded but is not a failure: it
extends nothing. An unlock by an administrator (``console:session:unlocked``, recorded by
``organizations.login_locks``) makes both counts ignore the failures before it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from haochaping.audit.models import ActorType, AuditEvent
from haochaping.audit.services import Actor, audit_record
from haochaping.core.http import client_ip

LOGIN_TARGET = "console.login"  # target_id: the username typed
LOGIN_ADDRESS_TARGET = "console.login_address"  # target_id: a client address (its unlocks)
FAILED = "console:session:login_failed"
UNLOCKED = "console:session:unlocked"


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
    audit_record(actor=Actor(ActorType.USER, "", username), action=FAILED,
                 target_type=LOGIN_TARGET, target_id=username, data={"ip": _ip(request)})  # fmt: skip


def login_refused_while_locked(username: str, request) -> None:
    """A sign-in attempt on a locked username is refused unchecked, and still recorded."""
    audit_record(actor=Actor(ActorType.USER, "", username[:64]), action="console:session:login_locked",
                 target_type=LOGIN_TARGET, target_id=username[:64], data={"ip": _ip(request)})  # fmt: skip


# --- the limits ----------------------------------------------------------------------------------


def _window() -> timedelta:
    return timedelta(minutes=settings.LOGIN_LOCK_MINUTES)


@dataclass(frozen=True)
class UsernameLock:
    """One username's state: failures counted (at most ``LOGIN_MAX_FAILURES``), locked until when."""

    username: str
    failures: int
    last_failure: datetime | None
    until: datetime | None  # None: not locked

    @property
    def locked(self) -> bool:
        return self.until is not None


@dataclass(frozen=True)
class AddressThrottle:
    """One client address's state over all usernames."""

    ip: str
    failures: int  # counted, at most LOGIN_IP_MAX_FAILURES
    last_failure: datetime | None
    refused_until: datetime | None  # LOGIN_IP_MAX_FAILURES reached: no login checked until then
    slowed_until: datetime | None  # LOGIN_IP_SLOW_AFTER reached: the next try not before then

    @property
    def refused(self) -> bool:
        return self.refused_until is not None

    @property
    def slowed(self) -> bool:
        return self.slowed_until is not None

    def wait_seconds(self, now: datetime) -> int:
        """Seconds until a try is checked again (0: now)."""
        until = self.refused_until or self.slowed_until
        return max(0, math.ceil((until - now).total_seconds())) if until else 0


def backoff_seconds(failures: int) -> int:
    """The wait after the last failure once an address has ``failures`` (≥ LOGIN_IP_SLOW_AFTER)."""
    steps = min(max(failures - settings.LOGIN_IP_SLOW_AFTER, 0), 30)
    return min(settings.LOGIN_IP_BACKOFF_SECONDS * 2**steps, settings.LOGIN_IP_BACKOFF_MAX_SECONDS)


def _username_state(username: str, newest_first: Sequence[datetime]) -> UsernameLock:
    limit = settings.LOGIN_MAX_FAILURES
    last = newest_first[0] if newest_first else None
    # Locked while LOGIN_MAX_FAILURES failures are in the window: until the limit-th newest leaves it.
    until = newest_first[limit - 1] + _window() if len(newest_first) >= limit else None
    return UsernameLock(username, min(len(newest_first), limit), last, until)


def _address_state(ip: str, newest_first: Sequence[datetime]) -> AddressThrottle:
    n = len(newest_first)
    last = newest_first[0] if newest_first else None
    refused_until = slowed_until = None
    if n >= settings.LOGIN_IP_MAX_FAILURES:
        refused_until = newest_first[settings.LOGIN_IP_MAX_FAILURES - 1] + _window()
    elif n >= settings.LOGIN_IP_SLOW_AFTER and last is not None:
        slowed_until = last + timedelta(seconds=backoff_seconds(n))
    return AddressThrottle(ip, min(n, settings.LOGIN_IP_MAX_FAILURES), last, refused_until, slowed_until)


def _since(target_type: str, target_id: str, now: datetime) -> datetime:
    """The window's start, or the latest unlock of this target if it is later."""
    start = now - _window()
    unlocked = (
        AuditEvent.objects.filter(action=UNLOCKED, target_type=target_type, target_id=target_id, occurred_at__gt=start)
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    return max(start, unlocked) if unlocked else start


def _failures(since: datetime):
    return AuditEvent.objects.filter(action=FAILED, target_type=LOGIN_TARGET, occurred_at__gt=since)


def username_lock(username: str, *, now: datetime | None = None) -> UsernameLock:
    now = now or timezone.now()
    username = username[:64]
    since = _since(LOGIN_TARGET, username, now)
    times = _failures(since).filter(target_id=username).order_by("-occurred_at")
    return _username_state(username, list(times.values_list("occurred_at", flat=True)[: settings.LOGIN_MAX_FAILURES]))


def login_locked(username: str) -> bool:
    """Too many recent failures for this username (successful logins do not reset the window)."""
    return username_lock(username).locked


def address_throttle(ip: str, *, now: datetime | None = None) -> AddressThrottle:
    """The client address's failures over all usernames since the window's start or its unlock."""
    if not ip:  # no address known (a sign-in without a request): nothing to count it by
        return AddressThrottle("", 0, None, None, None)
    now = now or timezone.now()
    since = _since(LOGIN_ADDRESS_TARGET, ip, now)
    times = _failures(since).filter(data__ip=ip).order_by("-occurred_at")
    return _address_state(ip, list(times.values_list("occurred_at", flat=True)[: settings.LOGIN_IP_MAX_FAILURES]))


def login_throttled(username: str, request, throttle: AddressThrottle, *, wait: int) -> None:
    """A sign-in attempt from a slowed or refused address is refused unchecked, and recorded."""
    data = {"ip": throttle.ip, "failures": throttle.failures, "refused": throttle.refused, "wait_seconds": wait}
    audit_record(actor=Actor(ActorType.USER, "", username[:64]), action="console:session:login_throttled",
                 target_type=LOGIN_TARGET, target_id=username[:64], data=data)  # fmt: skip


# --- what an administrator sees and undoes (organizations.login_locks) ----------------------------


def _unlocks(target_type: str, targets: Iterable[str], start: datetime) -> dict[str, datetime]:
    rows = (
        AuditEvent.objects.filter(action=UNLOCKED, target_type=target_type, target_id__in=list(targets))
        .filter(occurred_at__gt=start)
        .values("target_id")
        .annotate(at=Max("occurred_at"))
    )
    return {row["target_id"]: row["at"] for row in rows}


def locked_usernames(*, now: datetime | None = None) -> list[UsernameLock]:
    """Every username locked now, newest failure first (three queries whatever their number)."""
    now = now or timezone.now()
    start = now - _window()
    candidates = list(
        _failures(start)
        .values("target_id")
        .annotate(n=Count("id"))
        .filter(n__gte=settings.LOGIN_MAX_FAILURES)
        .values_list("target_id", flat=True)
    )
    if not candidates:
        return []
    unlocked = _unlocks(LOGIN_TARGET, candidates, start)
    times: dict[str, list[datetime]] = {name: [] for name in candidates}
    for name, at in _failures(start).filter(target_id__in=candidates).order_by("-occurred_at").values_list(
        "target_id", "occurred_at"
    ):  # fmt: skip
        if at > unlocked.get(name, start):
            times[name].append(at)
    locks = [_username_state(name, newest) for name, newest in times.items()]
    return sorted((lock for lock in locks if lock.locked), key=lambda lock: lock.last_failure or now, reverse=True)


def throttled_addresses(*, now: datetime | None = None) -> list[AddressThrottle]:
    """Every client address slowed or refused now, newest failure first (three queries)."""
    now = now or timezone.now()
    start = now - _window()
    with_ip = _failures(start).annotate(ip=KeyTextTransform("ip", "data"))
    # (No lookup on the annotation itself: SQLite's JSON functions refuse it; "" is dropped here.)
    candidates = [
        ip
        for ip in with_ip.values("ip")
        .annotate(n=Count("id"))
        .filter(n__gte=settings.LOGIN_IP_SLOW_AFTER)
        .values_list("ip", flat=True)
        if ip
    ]
    if not candidates:
        return []
    unlocked = _unlocks(LOGIN_ADDRESS_TARGET, candidates, start)
    times: dict[str, list[datetime]] = {ip: [] for ip in candidates}
    rows = with_ip.filter(data__ip__in=candidates).order_by("-occurred_at").values_list("ip", "occurred_at")
    for ip, at in rows:
        if at > unlocked.get(ip, start):
            times[ip].append(at)
    states = [_address_state(ip, newest) for ip, newest in times.items()]
    states = [state for state in states if state.refused or state.slowed]
    return sorted(states, key=lambda state: state.last_failure or now, reverse=True)


# --- a user's own sign-in history (我的账户) ----------------------------------------------------------

LOGIN_HISTORY_LABELS = {
    "console:session:login": "登录成功",
    "console:session:logout": "退出登录",
    FAILED: "登录失败（用户名或密码不正确）",
    "console:session:login_locked": "登录被拒绝（账号已暂时锁定）",
    "console:session:login_throttled": "登录被拒绝（本机失败次数过多）",
    UNLOCKED: "管理员解除了登录锁定",
}


@dataclass(frozen=True)
class LoginEntry:
    occurred_at: datetime
    action: str
    label: str
    ip: str
    ok: bool


def login_history(username: str, *, limit: int = 50) -> list[LoginEntry]:
    """The newest sign-in events recorded for a username (one indexed query on the target)."""
    events = (
        AuditEvent.objects.filter(target_type=LOGIN_TARGET, target_id=username[:64])
        .order_by("-occurred_at", "-id")
        .only("occurred_at", "action", "data")[:limit]
    )
    return [
        LoginEntry(
            occurred_at=event.occurred_at,
            action=event.action,
            label=LOGIN_HISTORY_LABELS.get(event.action, event.action),
            ip=str((event.data or {}).get("ip", "")),
            ok=event.action in ("console:session:login", "console:session:logout", UNLOCKED),
        )
        for event in events
    ]
