"""Login locks (登录锁定) as an administrator sees and undoes them (issue 13 item 25).

The failed-login limits themselves live in ``audit.auth_events`` (a username locked after
``LOGIN_MAX_FAILURES`` failures, a client address slowed and then refused over all usernames).
Anyone who knows a username can lock it, so the account's administrators can lift the lock:

* **usernames**: supervisors and department admins, for the console users of their own subtree
  (the user's membership unit; a user outside it is "not found", as everywhere). Usernames that
  belong to nobody are not listed: there is no account to let back in.
* **client addresses**: supervisors only (an address belongs to no unit).

An unlock is one audit event, ``console:session:unlocked`` (who: the actor; what: the target,
``console.login`` + username or ``console.login_address`` + address), after which the limits
ignore the failures before it. Pages: ``organizations/console/login_locks.py``; command line:
``haochaping unlock <username>`` / ``haochaping unlock --ip <address>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from haochaping.audit.auth_events import (
    LOGIN_ADDRESS_TARGET,
    LOGIN_TARGET,
    UNLOCKED,
    AddressThrottle,
    UsernameLock,
    address_throttle,
    locked_usernames,
    throttled_addresses,
    username_lock,
)
from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import Conflict, NotFound, PermissionDenied
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Scope

UNLOCK_ROLES = (Role.SUPERVISOR, Role.DEPT_ADMIN)
ADDRESS_ROLES = (Role.SUPERVISOR,)


@dataclass(frozen=True)
class LockedUser:
    lock: UsernameLock
    display_name: str
    unit_name: str
    role: str


def may_unlock(scope: Scope) -> bool:
    return scope.role in UNLOCK_ROLES


def may_unlock_addresses(scope: Scope) -> bool:
    return scope.role in ADDRESS_ROLES


def _require(scope: Scope) -> None:
    if not may_unlock(scope):
        raise PermissionDenied("只有区政务服务中心督查和单位管理员可以解除登录锁定", code="login_unlock_forbidden")


def _users_in_scope(scope: Scope, usernames: list[str]):
    User = get_user_model()
    return User.objects.filter(
        username__in=usernames, membership__unit__path__startswith=scope.unit_path
    ).select_related("membership__unit")


def locked_user_list(*, scope: Scope) -> list[LockedUser]:
    """Console users of the caller's subtree whose username is locked now, newest failure first."""
    _require(scope)
    locks = locked_usernames()
    if not locks:
        return []
    users = {user.username: user for user in _users_in_scope(scope, [lock.username for lock in locks])}
    return [
        LockedUser(
            lock=lock,
            display_name=users[lock.username].get_full_name(),
            unit_name=users[lock.username].membership.unit.name,
            role=users[lock.username].membership.get_role_display(),
        )
        for lock in locks
        if lock.username in users
    ]


def throttled_address_list(*, scope: Scope) -> list[AddressThrottle]:
    """Client addresses slowed or refused now (supervisors only; others get nothing)."""
    _require(scope)
    return throttled_addresses() if may_unlock_addresses(scope) else []


def login_unlock(*, actor: Actor, scope: Scope, username: str) -> None:
    """Lift the lock of one console user of the caller's subtree at once."""
    _require(scope)
    with transaction.atomic():
        if not _users_in_scope(scope, [username]).exists():
            raise NotFound("未找到该账号", code="login_lock_not_found")
        lock = username_lock(username)
        if not lock.locked:
            raise Conflict("该账号当前未被锁定（可能已自动解除）", code="login_not_locked")
        audit_record(
            actor=actor,
            action=UNLOCKED,
            target_type=LOGIN_TARGET,
            target_id=username,
            data={"username": username, "failures": lock.failures},
        )


def login_address_unlock(*, actor: Actor, scope: Scope, ip: str) -> None:
    """Lift the slowing or refusal of one client address at once (supervisors only)."""
    _require(scope)
    if not may_unlock_addresses(scope):
        raise PermissionDenied("只有区政务服务中心督查可以解除网络地址的登录限制", code="login_unlock_forbidden")
    with transaction.atomic():
        throttle = address_throttle(ip)
        if not (throttle.refused or throttle.slowed):
            raise Conflict("该地址当前没有登录限制（可能已自动解除）", code="login_not_locked")
        audit_record(
            actor=actor,
            action=UNLOCKED,
            target_type=LOGIN_ADDRESS_TARGET,
            target_id=ip,
            data={"ip": ip, "failures": throttle.failures},
        )
