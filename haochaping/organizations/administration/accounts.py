"""Console accounts (账号): invite, edit role and scope, deactivate, re-enable, one-time links,
and a user's own password.

* **Invite.** An administrator creates the account inactive, with no usable password, and hands
  its one-time link (``password_link_issue``) to the person, who sets a password on the link's
  page (``password_link_use``); the account is active from then on.
* **Reset.** The same link for an active account: issuing it makes the old password unusable at
  once (and so ends the account's sessions, whose hash follows the password); the person sets a
  new one through the link. A link is Django's ``default_token_generator`` token: it expires
  after ``PASSWORD_RESET_TIMEOUT`` and dies as soon as the password changes, so it works once, and
  issuing a new link kills the previous one.
* **Deactivate.** ``is_active`` false and the password made unusable: the account can no longer
  log in, its open sessions are refused on their next request (Django's ``ModelBackend`` loads no
  inactive user, and the session hash no longer matches), every link is dead, and every place
  that picks a user to assign work to (call operators, notification recipients, supervisors)
  reads active users only. Nothing is deleted: the membership, its staff link and everything the
  account did stay. ``Membership.deactivated_at`` tells a deactivated account from one waiting
  for its first password; re-enabling clears it and issues a new link.
* **Roles.** Nobody grants a role above their own or places an account outside their subtree
  (``rules``); nobody changes their own role or unit, or deactivates or resets themselves.

Audit data name the username, role, unit and 工号, never a password, a link or a person's name.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from haochaping.audit.models import ActorType
from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.organizations.administration.checks import name_clean
from haochaping.organizations.administration.rules import (
    grantable_roles,
    require_administrator,
    require_grantable,
    require_unit_in_scope,
)
from haochaping.organizations.models import Membership, Role, Staff, Unit
from haochaping.organizations.selectors import Scope

ACTIVE, PENDING, DEACTIVATED = "active", "pending", "deactivated"
STATUS_LABELS = {ACTIVE: "启用", PENDING: "待激活", DEACTIVATED: "已停用"}
DISPLAY_NAME_MAX = 50


def account_status(user) -> str:
    """启用 / 待激活 (invited or re-enabled, no password set yet) / 已停用."""
    if user.is_active:
        return ACTIVE
    membership = getattr(user, "membership", None)
    return DEACTIVATED if membership is not None and membership.deactivated_at else PENDING


def link_hours() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)


# --- checks ---------------------------------------------------------------------------------------


def _username_clean(value: str) -> str:
    username = (value or "").strip()
    if not username:
        raise ValidationFailed("用户名不能为空", fields={"username": ["用户名不能为空"]})
    if len(username) > 150:
        raise ValidationFailed("用户名最多 150 个字符", fields={"username": ["用户名最多 150 个字符"]})
    try:
        UnicodeUsernameValidator()(username)
    except DjangoValidationError as exc:
        problem = "用户名只能包含字母、数字和 @ . + - _"
        raise ValidationFailed(problem, fields={"username": [problem]}) from exc
    return username


def _display_name_clean(value: str) -> str:
    if not (value or "").strip():
        return ""
    return name_clean(value, field="display_name", label="姓名", max_length=DISPLAY_NAME_MAX)


def _is_self(actor: Actor, user) -> bool:
    return actor.type == ActorType.USER and actor.id == str(user.pk)


def _check_grant(scope: Scope, *, role: str, unit: Unit, staff: Staff | None, user=None) -> None:
    """A role and a scope the caller may give, and a staff link that fits them."""
    if role not in Role.values:
        raise ValidationFailed(f"角色 {role} 无效", fields={"role": ["无效的角色"]})
    require_grantable(scope, role)
    require_unit_in_scope(scope, unit, label="所属单位")
    if not unit.is_active:
        raise ValidationFailed(f"单位“{unit.name}”已停用", fields={"unit": ["该单位已停用"]})
    if role == Role.WINDOW_CLERK and staff is None:
        raise ValidationFailed("窗口工作人员账号必须关联工作人员", fields={"staff": ["请选择对应的工作人员"]})
    if staff is None:
        return
    if not staff.is_active:
        raise ValidationFailed(
            f"工作人员 {staff.staff_no} 已离岗，不能关联账号", fields={"staff": ["该工作人员已离岗"]}
        )
    if not staff.unit.path.startswith(unit.path):
        raise ValidationFailed(
            f"工作人员 {staff.staff_no} 不属于“{unit.name}”",
            fields={"staff": ["工作人员须属于账号的所属单位或其下级单位"]},
        )
    other = Membership.objects.filter(staff=staff).exclude(user=user).select_related("user").first()
    if other is not None:
        problem = f"工作人员 {staff.staff_no} 已关联账号“{other.user.username}”"
        raise ValidationFailed(problem, code="staff_has_account", fields={"staff": [problem]})


def _membership(user) -> Membership:
    membership = Membership.objects.select_related("unit", "staff").filter(user=user).first()
    if membership is None:
        raise PermissionDenied("该账号未分配单位和角色", code="account_without_membership")
    return membership


def _require_manageable(scope: Scope, user) -> Membership:
    """The account is in the caller's subtree and holds a role the caller could grant."""
    require_administrator(scope)
    membership = _membership(user)
    require_unit_in_scope(scope, membership.unit, label="账号所属单位")
    if membership.role not in grantable_roles(scope):
        raise PermissionDenied(f"您不能管理“{membership.get_role_display()}”角色的账号", code="role_not_grantable")
    return membership


def _locked_user(user):
    return get_user_model().objects.select_for_update().get(pk=user.pk)


# --- invite, edit ---------------------------------------------------------------------------------


@transaction.atomic
def account_invite(
    *,
    actor: Actor,
    scope: Scope,
    username: str,
    role: str,
    unit: Unit,
    staff: Staff | None = None,
    display_name: str = "",
):
    """A new account, inactive until its person sets a password through a one-time link."""
    require_administrator(scope)
    username = _username_clean(username)
    display_name = _display_name_clean(display_name)
    _check_grant(scope, role=role, unit=unit, staff=staff)
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise Conflict(
            f"用户名 {username} 已存在", code="user_exists", fields={"username": [f"用户名 {username} 已存在"]}
        )
    user = user_model.objects.create_user(username=username, password=None, first_name=display_name, is_active=False)
    Membership.objects.create(user=user, unit=unit, role=role, staff=staff)
    audit_record(
        actor=actor,
        action="organizations:user:invited",
        target=user,
        data={"username": username, "unit": unit.code, "role": role, "staff": staff.staff_no if staff else None},
    )
    return user


@transaction.atomic
def account_update(*, actor: Actor, scope: Scope, user, role: str, unit: Unit, staff: Staff | None, display_name: str):
    """Change an account's role, unit (its scope), staff link or shown name."""
    membership = _require_manageable(scope, user)
    display_name = _display_name_clean(display_name)
    user = _locked_user(user)
    changes: dict[str, object] = {}
    if membership.role != role:
        changes["role"] = [membership.role, role]
    if membership.unit_id != unit.pk:
        changes["unit"] = [membership.unit.code, unit.code]
    if membership.staff_id != (staff.pk if staff else None):
        changes["staff"] = [membership.staff.staff_no if membership.staff else None, staff.staff_no if staff else None]
    if _is_self(actor, user) and ("role" in changes or "unit" in changes):
        raise PermissionDenied("不能修改自己的角色和所属单位，请联系上级管理员", code="account_is_self")
    if changes:
        _check_grant(scope, role=role, unit=unit, staff=staff, user=user)
    if user.first_name != display_name:
        changes["display_name"] = True  # whether, not what
    if not changes:
        return user
    Membership.objects.filter(pk=membership.pk).update(role=role, unit=unit, staff=staff)
    if "display_name" in changes:
        user.first_name = display_name
        user.save(update_fields=["first_name"])
    audit_record(actor=actor, action="organizations:user:updated", target=user,
                 data={"username": user.username, "changes": changes})  # fmt: skip
    return user


# --- deactivate, re-enable ------------------------------------------------------------------------


@transaction.atomic
def account_deactivate(*, actor: Actor, scope: Scope, user):
    """No more logins, sessions or links; kept, with everything that refers to it."""
    membership = _require_manageable(scope, user)
    if _is_self(actor, user):
        raise PermissionDenied("不能停用自己的账号", code="account_is_self")
    user = _locked_user(user)
    if membership.deactivated_at is not None and not user.is_active:
        return user
    user.is_active = False
    user.set_unusable_password()  # every link and session of the account dies with the old hash
    user.save(update_fields=["is_active", "password"])
    Membership.objects.filter(pk=membership.pk).update(deactivated_at=timezone.now())
    audit_record(actor=actor, action="organizations:user:deactivated", target=user, data={"username": user.username})
    return user


@dataclass(frozen=True)
class PasswordLink:
    """A one-time link's parts: ``uid`` and ``token`` go into ``/console/password/?u=…&t=…``."""

    uid: str
    token: str
    purpose: str  # "activate" (the account is not active yet) or "reset"
    hours: int


def _issue(actor: Actor, user, *, purpose: str) -> PasswordLink:
    user.set_unusable_password()  # the old password and every earlier link stop working now
    user.save(update_fields=["password"])
    link = PasswordLink(
        uid=urlsafe_base64_encode(force_bytes(user.pk)),
        token=default_token_generator.make_token(user),
        purpose=purpose,
        hours=link_hours(),
    )
    audit_record(actor=actor, action="organizations:user:password_link_issued", target=user,
                 data={"username": user.username, "purpose": purpose, "hours": link.hours})  # fmt: skip
    return link


@transaction.atomic
def account_reactivate(*, actor: Actor, scope: Scope, user) -> PasswordLink:
    """Re-enable a deactivated account: it waits for its person to set a password through the
    one-time link returned (the role, unit and staff link must still be grantable and valid)."""
    membership = _require_manageable(scope, user)
    user = _locked_user(user)
    if membership.deactivated_at is None:
        raise Conflict("该账号未停用", code="account_not_deactivated")
    _check_grant(scope, role=membership.role, unit=membership.unit, staff=membership.staff, user=user)
    Membership.objects.filter(pk=membership.pk).update(deactivated_at=None)
    audit_record(actor=actor, action="organizations:user:reactivated", target=user, data={"username": user.username})
    return _issue(actor, user, purpose="activate")


@transaction.atomic
def password_link_issue(*, actor: Actor, scope: Scope, user) -> PasswordLink:
    """A one-time link to set the account's password: the invitation of an account not yet
    active, or an administrator's reset (the old password stops working at once)."""
    membership = _require_manageable(scope, user)
    if _is_self(actor, user):
        raise PermissionDenied("不能为自己生成重置链接，请在“我的账户”中修改密码", code="account_is_self")
    if membership.deactivated_at is not None:
        raise Conflict("该账号已停用，请先重新启用", code="account_deactivated")
    user = _locked_user(user)
    return _issue(actor, user, purpose="reset" if user.is_active else "activate")


BATCH_LINKS_MAX = 200


def password_links_issue_pending(*, actor: Actor, scope: Scope, users) -> list[tuple[object, PasswordLink]]:
    """Activation links for the accounts of ``users`` still waiting for their first password (待激活:
    not active, not deactivated), at most ``BATCH_LINKS_MAX``, in the order given; accounts the
    caller may not manage (a role above their grant) are left out. An Excel import creates its
    accounts this way, so a department hands out the links of a whole import at once. Each link
    is issued (and audited) as ``password_link_issue`` issues one; an earlier link of the same
    account stops working."""
    issued = []
    for user in users.filter(is_active=False, membership__deactivated_at__isnull=True)[:BATCH_LINKS_MAX]:
        try:
            with transaction.atomic():
                issued.append((user, password_link_issue(actor=actor, scope=scope, user=user)))
        except PermissionDenied:
            continue
    return issued


# --- the link's page and the user's own password ----------------------------------------------------


def password_link_user(*, uid: str, token: str):
    """The account a link is valid for now, or None (unknown, expired, used, or deactivated)."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    user = get_user_model().objects.filter(pk=pk).select_related("membership").first()
    if user is None or not token or not default_token_generator.check_token(user, token):
        return None
    membership = getattr(user, "membership", None)
    if membership is None or membership.deactivated_at is not None:
        return None
    return user


def _validate_password(password: str, user, field: str) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed("新密码不符合要求", code="weak_password", fields={field: list(exc.messages)}) from exc


@transaction.atomic
def password_link_use(*, uid: str, token: str, password: str, field: str = "new_password1"):
    """Set the password through a one-time link; the account is active from now on and the link
    dead (the token follows the password hash). The person acts, not the administrator."""
    user = password_link_user(uid=uid, token=token)
    if user is not None:
        _locked_user(user)
        user = password_link_user(uid=uid, token=token)  # again under the lock: used once only
    if user is None:
        raise ValidationFailed("该链接无效、已使用或已过期，请联系管理员重新生成", code="password_link_invalid")
    _validate_password(password, user, field)
    activated = not user.is_active
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])
    audit_record(actor=Actor.for_user(user), action="organizations:user:password_set", target=user,
                 data={"username": user.username, "activated": activated})  # fmt: skip
    return user


@transaction.atomic
def account_password_change(*, actor: Actor, user, password: str, field: str = "new_password1"):
    """A user's own new password (the page has checked the current one: ``PasswordChangeForm``)."""
    _validate_password(password, user, field)
    user = _locked_user(user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, action="organizations:user:password_changed", target=user,
                 data={"username": user.username})  # fmt: skip
    return user
