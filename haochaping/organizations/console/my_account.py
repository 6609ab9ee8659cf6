"""我的账户 (``/console/me/``) and the one-time link's page (``/console/password/``).

* **我的账户**, for every console user: change the own password with the current one (Django's
  ``PasswordChangeForm``: the current password, the validators of ``AUTH_PASSWORD_VALIDATORS``;
  the session stays signed in, every other session of the account ends), the own sign-ins from
  the audit chain (``audit.auth_events.login_history``) and the account's change history.
* **设置密码** (no login): an administrator's one-time link (``?u=…&t=…``) to activate an account or
  reset a forgotten password. As Django's own reset view does, the token is moved from the
  address into the session at once and the browser redirected to the bare page, so it never
  stays in the address bar, the history or a Referer. Setting the password activates the
  account and kills the link (``administration.accounts.password_link_use``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from haochaping.audit.auth_events import login_history
from haochaping.audit.services import Actor
from haochaping.core.errors import ValidationFailed
from haochaping.core.pages.forms import add_service_errors
from haochaping.organizations.administration.accounts import (
    account_password_change,
    link_hours,
    password_link_use,
    password_link_user,
)
from haochaping.organizations.administration.history import change_history
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope

LINK_KEY = "console.password_link_token"
LOGINS_SHOWN = 30


def _chinese(form) -> None:
    form.error_messages = {
        **form.error_messages,
        "password_incorrect": "当前密码不正确，请重新输入。",
        "password_mismatch": "两次输入的新密码不一致。",
    }
    for name, label, placeholder in (
        ("old_password", "当前密码", "请输入当前密码"),
        ("new_password1", "新密码", "至少 10 位，不能全是数字，不能与用户名相近"),
        ("new_password2", "确认新密码", "再输入一次新密码"),
    ):
        if name in form.fields:
            form.fields[name].label = label
            form.fields[name].widget.attrs["placeholder"] = placeholder
            form.fields[name].help_text = ""


@console_page
@require_http_methods(["GET", "POST"])
def my_account(request, scope: Scope):
    form = PasswordChangeForm(request.user, request.POST or None)
    _chinese(form)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_password_change(actor=Actor.for_user(request.user), user=request.user,
                                           password=form.cleaned_data["new_password1"])  # fmt: skip
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            update_session_auth_hash(request, user)  # this session stays; the account's others end
            messages.success(request, "密码已修改，下次登录请使用新密码。")
            return redirect("console:my_account")
    context = {
        "nav": "my_account",
        "form": form,
        "logins": login_history(request.user.username, limit=LOGINS_SHOWN),
        "history": change_history(request.user, limit=10),
    }
    return render(request, "organizations/my_account.html", context, status=422 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def password_link(request):
    """The one-time link's page: set a password (no login needed, the link is the proof)."""
    if "u" in request.GET or "t" in request.GET:
        request.session[LINK_KEY] = {"u": request.GET.get("u", ""), "t": request.GET.get("t", "")}
        return redirect("console:password_link")
    held = request.session.get(LINK_KEY) or {}
    uid, token = str(held.get("u", "")), str(held.get("t", ""))
    user = password_link_user(uid=uid, token=token) if uid and token else None
    if user is None:
        request.session.pop(LINK_KEY, None)
        return render(request, "organizations/password_link.html", {"invalid": True, "hours": link_hours()}, status=410)
    form = SetPasswordForm(user, request.POST or None)
    _chinese(form)
    if request.method == "POST" and form.is_valid():
        try:
            password_link_use(uid=uid, token=token, password=form.cleaned_data["new_password1"])
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            request.session.pop(LINK_KEY, None)
            return render(request, "organizations/password_link.html", {"done": True, "account": user})
    context = {"form": form, "account": user, "activating": not user.is_active}
    return render(request, "organizations/password_link.html", context, status=422 if form.errors else 200)
