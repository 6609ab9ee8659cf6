"""登录锁定 (``/console/login-locks/``): the console users of the caller's subtree locked out by
failed logins, and (for supervisors) the client addresses slowed or refused, each with a 解除锁定
button. The rules and the services are in ``organizations.login_locks``; the page is for
supervisors and department admins (others get the 403 page)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from haochaping.audit.services import Actor
from haochaping.core.errors import Conflict
from haochaping.organizations.login_locks import (
    locked_user_list,
    login_address_unlock,
    login_unlock,
    may_unlock_addresses,
    throttled_address_list,
)
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope


@console_page
@require_http_methods(["GET", "POST"])
def login_locks(request, scope: Scope):
    if request.method == "POST":
        return _unlock(request, scope)
    now = timezone.now()
    context = {
        "nav": "login_locks",
        "users": locked_user_list(scope=scope),
        "addresses": [(state, state.wait_seconds(now)) for state in throttled_address_list(scope=scope)],
        "sees_addresses": may_unlock_addresses(scope),
        "max_failures": settings.LOGIN_MAX_FAILURES,
        "lock_minutes": settings.LOGIN_LOCK_MINUTES,
        "ip_slow_after": settings.LOGIN_IP_SLOW_AFTER,
        "ip_max_failures": settings.LOGIN_IP_MAX_FAILURES,
    }
    return render(request, "organizations/login_locks.html", context)


def _unlock(request, scope: Scope):
    actor = Actor.for_user(request.user)
    username = request.POST.get("username", "").strip()
    ip = request.POST.get("ip", "").strip()
    try:
        if username:
            login_unlock(actor=actor, scope=scope, username=username)
            messages.success(request, f"已解除账号“{username}”的登录锁定，该用户现在可以重新登录。")
        elif ip:
            login_address_unlock(actor=actor, scope=scope, ip=ip)
            messages.success(request, f"已解除地址 {ip} 的登录限制。")
        else:
            messages.error(request, "请选择要解除锁定的账号或地址。")
    except Conflict as exc:
        messages.warning(request, exc.message)
    return redirect("console:login_locks")
