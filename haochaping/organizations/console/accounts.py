"""账号 (``/console/accounts/``): the console accounts of the caller's subtree.

Supervisors and department admins invite accounts (created inactive, with a one-time link to
set the password), change role, unit and staff link, reset a forgotten password (a new one-time
link), deactivate and re-enable — each within their subtree and never granting a role above
their own (``administration.accounts``, audited there). The link is shown once, on the page the
action leads to (kept in the session only until then, like a device's pairing code): the
administrator hands it over; nothing is e-mailed.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.audit.auth_events import login_history
from haochaping.audit.services import Actor
from haochaping.core.errors import Conflict, ValidationFailed
from haochaping.core.pages.forms import add_service_errors
from haochaping.core.pages.paging import page_of
from haochaping.organizations.administration.accounts import (
    BATCH_LINKS_MAX,
    DEACTIVATED,
    PENDING,
    STATUS_LABELS,
    PasswordLink,
    account_deactivate,
    account_invite,
    account_reactivate,
    account_status,
    account_update,
    link_hours,
    password_link_issue,
    password_links_issue_pending,
)
from haochaping.organizations.administration.history import change_history
from haochaping.organizations.administration.rules import grantable_roles, require_administrator
from haochaping.organizations.console.admin_forms import AccountForm
from haochaping.organizations.models import Role
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope, account_get_for, account_list, staff_admin_list, unit_admin_list

LINK_SESSION_KEY = "console.password_link"
LOGINS_SHOWN = 10


def _form(scope: Scope, data=None, *, account=None, **kwargs) -> AccountForm:
    free = Q(membership__isnull=True)
    if account is not None and getattr(account, "membership", None) is not None and account.membership.staff_id:
        free |= Q(pk=account.membership.staff_id)
    staff = staff_admin_list(scope=scope).filter(free, is_active=True).order_by("unit__path", "staff_no")
    return AccountForm(data, roles=grantable_roles(scope), units=unit_admin_list(scope=scope).filter(is_active=True),
                       staff=staff, editing=account is not None, **kwargs)  # fmt: skip


def _remember_link(request, user, link: PasswordLink) -> None:
    query = urlencode({"u": link.uid, "t": link.token})
    url = request.build_absolute_uri(reverse("console:password_link")) + f"?{query}"
    request.session[LINK_SESSION_KEY] = {"user": user.pk, "url": url, "purpose": link.purpose, "hours": link.hours}


def _take_link(request, user) -> dict | None:
    """The link just issued for this account, once (then it is gone from the session)."""
    held = request.session.get(LINK_SESSION_KEY)
    if not isinstance(held, dict) or held.get("user") != user.pk:
        return None
    del request.session[LINK_SESSION_KEY]
    return held


@console_page
@require_GET
def account_list_view(request, scope: Scope):
    require_administrator(scope)
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    accounts = _searched(scope, q, role)
    pending = accounts.filter(is_active=False, membership__deactivated_at__isnull=True).count()
    status = request.GET.get("status", "")
    if status == "active":
        accounts = accounts.filter(is_active=True)
    elif status == PENDING:
        accounts = accounts.filter(is_active=False, membership__deactivated_at__isnull=True)
    elif status == DEACTIVATED:
        accounts = accounts.filter(is_active=False, membership__deactivated_at__isnull=False)
    page = page_of(request, accounts.order_by("membership__unit__path", "username", "pk"))
    rows = [{"user": user, "status": account_status(user), "status_label": STATUS_LABELS[account_status(user)]}
            for user in page.object_list]  # fmt: skip
    context = {
        "nav": "accounts",
        "page_obj": page,
        "rows": rows,
        "q": q,
        "role": role,
        "status": status,
        "roles": Role.choices,
        "statuses": list(STATUS_LABELS.items()),
        "hours": link_hours(),
        "pending": pending,
        "batch_max": BATCH_LINKS_MAX,
    }
    return render(request, "organizations/accounts.html", context)


def _searched(scope: Scope, q: str, role: str):
    accounts = account_list(scope=scope)
    if q:
        accounts = accounts.filter(
            Q(username__icontains=q) | Q(first_name__icontains=q) | Q(membership__staff__staff_no__icontains=q)
        )
    if role in Role.values:
        accounts = accounts.filter(membership__role=role)
    return accounts


@console_page
@require_http_methods(["POST"])
def account_links_batch(request, scope: Scope):
    """Activation links for every 待激活 account of the list's search (an Excel import's new
    accounts), shown once on this page: the administrator prints or copies them and hands each
    to its person. Nothing is kept; a second batch issues new links and kills these."""
    require_administrator(scope)
    q = request.POST.get("q", "").strip()
    role = request.POST.get("role", "")
    accounts = _searched(scope, q, role).order_by("membership__unit__path", "username")
    issued = password_links_issue_pending(actor=Actor.for_user(request.user), scope=scope, users=accounts)
    rows = []
    for user, link in issued:
        query = urlencode({"u": link.uid, "t": link.token})
        rows.append({"user": user, "url": request.build_absolute_uri(reverse("console:password_link")) + f"?{query}"})
    return render(request, "organizations/account_links.html",
                  {"nav": "accounts", "rows": rows, "hours": link_hours(), "batch_max": BATCH_LINKS_MAX})  # fmt: skip


@console_page
@require_http_methods(["GET", "POST"])
def account_new(request, scope: Scope):
    require_administrator(scope)
    initial: dict = {}
    staff_id = request.GET.get("staff", "")
    if staff_id.isdigit():
        person = staff_admin_list(scope=scope).filter(pk=int(staff_id)).first()
        if person is not None:
            initial = {"staff": person.pk, "unit": person.unit_id, "role": Role.WINDOW_CLERK}
    form = _form(scope, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actor = Actor.for_user(request.user)
        try:
            with transaction.atomic():  # the account and its first link, or neither
                user = account_invite(actor=actor, scope=scope, username=data["username"], role=data["role"],
                                      unit=data["unit"], staff=data["staff"],
                                      display_name=data["display_name"])  # fmt: skip
                link = password_link_issue(actor=actor, scope=scope, user=user)
        except (ValidationFailed, Conflict) as exc:
            add_service_errors(form, exc)
        else:
            _remember_link(request, user, link)
            messages.success(request, f"已创建账号“{user.username}”（待激活），请把下方的一次性激活链接交给本人。")
            return redirect("console:account_detail", pk=user.pk)
    context = {"nav": "accounts", "form": form, "hours": link_hours()}
    return render(request, "organizations/account_new.html", context, status=422 if form.errors else 200)


@console_page
@require_http_methods(["GET", "POST"])
def account_detail(request, scope: Scope, pk: int):
    require_administrator(scope)
    account = account_get_for(scope=scope, pk=pk)  # another subtree's account: 404 first
    form = None
    if request.method == "POST":
        actor = Actor.for_user(request.user)
        action = request.POST.get("action", "")
        try:
            if action == "edit":
                form = _form(scope, request.POST, account=account)
                if form.is_valid():
                    account_update(actor=actor, scope=scope, user=account, **form.cleaned_data)
                    messages.success(request, "已保存账号信息。")
                    return redirect("console:account_detail", pk=account.pk)
            elif action == "link":
                link = password_link_issue(actor=actor, scope=scope, user=account)
                _remember_link(request, account, link)
                messages.success(request, "已生成一次性链接：原密码和之前生成的链接已失效。")
                return redirect("console:account_detail", pk=account.pk)
            elif action == "deactivate":
                account_deactivate(actor=actor, scope=scope, user=account)
                messages.success(
                    request, f"已停用账号“{account.username}”：不能再登录，也不会再被分配任务；其操作记录全部保留。"
                )
                return redirect("console:account_detail", pk=account.pk)
            elif action == "reactivate":
                link = account_reactivate(actor=actor, scope=scope, user=account)
                _remember_link(request, account, link)
                messages.success(
                    request, f"已重新启用账号“{account.username}”，本人通过下方的一次性链接设置密码后即可登录。"
                )
                return redirect("console:account_detail", pk=account.pk)
            else:
                messages.error(request, "未知的操作，请刷新页面后重试。")
                return redirect("console:account_detail", pk=account.pk)
        except (ValidationFailed, Conflict) as exc:
            if form is None:
                messages.error(request, exc.message)
                return redirect("console:account_detail", pk=account.pk)
            add_service_errors(form, exc)
    membership = account.membership
    roles = grantable_roles(scope)
    manageable = membership.role in roles
    is_self = account.pk == request.user.pk
    if form is None and manageable:
        initial = {"display_name": account.first_name, "role": membership.role, "unit": membership.unit_id,
                   "staff": membership.staff_id}  # fmt: skip
        form = _form(scope, account=account, initial=initial)
    status = account_status(account)
    context = {
        "nav": "accounts",
        "account": account,
        "role_of": membership,  # not "membership": the shell's top bar and menu read that one
        "status": status,
        "status_label": STATUS_LABELS[status],
        "manageable": manageable,
        "is_self": is_self,
        "form": form,
        "link": _take_link(request, account),
        "hours": link_hours(),
        "logins": login_history(account.username, limit=LOGINS_SHOWN),
        "history": change_history(account),
    }
    return render(request, "organizations/account_detail.html", context, status=422 if form and form.errors else 200)
