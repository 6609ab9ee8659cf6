"""业务系统 (SPEC R3): the connected business systems and their API credentials.

* **业务系统** (``/console/systems/``): the systems in the caller's scope with their state and
  last call. The centre (``is_centre``: a supervisor of the root unit) registers, edits, rotates
  secrets and deactivates (SPEC §1: the centre manages systems); other supervisors, department
  admins and auditors only read (a department admin
  sees the systems bound to their own subtree); operators and window clerks get 403.
* **The secret is shown once**: after registering or rotating, the secret is held in the
  session (SM4-encrypted) only until the system's page has rendered it once (post/redirect/get),
  so a reload or the back button never shows it again.
* **Rotation with an overlap**: the replaced secret keeps verifying signatures for the chosen
  number of hours (``organizations.services.business_system_rotate_secret``).
* Usage per system (records, ratings, rating rate, error answers per day) is an analytics page
  (``analytics/console/system_usage.py``), linked from here.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.audit.services import Actor
from haochaping.core.crypto import sm4_decrypt, sm4_encrypt
from haochaping.core.errors import ApplicationError
from haochaping.core.pages.paging import page_of
from haochaping.organizations.console.forms import RotateForm, SystemForm
from haochaping.organizations.models import BusinessSystem
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import (
    Scope,
    business_system_get_for,
    business_system_list,
    can_manage_systems,
    require_system_role,
    unit_list,
)
from haochaping.organizations.services import (
    business_system_register,
    business_system_rotate_secret,
    business_system_set_active,
    business_system_update,
)

SECRET_SESSION_KEY = "console.system_secret"  # noqa: S105  (a session key's name, not a secret)
SECRET_CONTEXT = "console.system_secret"  # noqa: S105  (the SM4 associated data)


def _can_view(scope: Scope) -> None:
    require_system_role(scope)


def _can_manage(scope: Scope) -> None:
    require_system_role(scope, manage=True)


def system_state(system: BusinessSystem, now) -> dict:
    """State and the running overlap in words, for the list and the system page."""
    overlap = bool(system.previous_secret_expires_at and system.previous_secret_expires_at > now and system.is_active)
    if not system.is_active:
        label, tone = "已停用", "tag-refused"
    elif system.last_seen_at is None:
        label, tone = "未接入（从未调用）", "tag-pending"
    else:
        label, tone = "启用", "tag-done"
    return {"label": label, "tone": tone, "overlap": overlap}


@console_page
@require_GET
def system_list(request, scope: Scope):
    _can_view(scope)
    now = timezone.now()
    page = page_of(request, business_system_list(scope=scope))
    rows = [{"system": s, **system_state(s, now)} for s in page.object_list]
    context = {"nav": "systems", "page_obj": page, "rows": rows, "can_manage": can_manage_systems(scope)}
    return render(request, "organizations/systems.html", context)


def _remember_secret(request, system: BusinessSystem, secret: str, *, rotated: bool) -> None:
    request.session[SECRET_SESSION_KEY] = {
        "system": system.pk,
        "secret": sm4_encrypt(secret, context=SECRET_CONTEXT),
        "rotated": rotated,
    }


def _take_secret(request, system: BusinessSystem) -> dict | None:
    """The secret just issued for this system, once (then it is gone from the session)."""
    held = request.session.get(SECRET_SESSION_KEY)
    if not isinstance(held, dict) or held.get("system") != system.pk:
        return None
    del request.session[SECRET_SESSION_KEY]
    return {"secret": sm4_decrypt(str(held.get("secret", "")), context=SECRET_CONTEXT),
            "rotated": bool(held.get("rotated"))}  # fmt: skip


@console_page
@require_http_methods(["GET", "POST"])
def system_new(request, scope: Scope):
    _can_manage(scope)
    form = SystemForm(request.POST if request.method == "POST" else None, units=list(unit_list(scope=scope)))
    if request.method == "POST" and form.is_valid():
        try:
            system, secret = business_system_register(
                actor=Actor.for_user(request.user), name=form.cleaned_data["name"], unit=form.cleaned_data["unit_obj"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            _remember_secret(request, system, secret, rotated=False)
            messages.success(request, f"已注册业务系统“{system.name}”。请立即复制下方的密钥，离开本页后不再显示。")
            return redirect("console:system_detail", pk=system.pk)
    context = {"nav": "systems", "form": form}
    return render(request, "organizations/systems_new.html", context, status=422 if form.is_bound else 200)


@console_page
@require_http_methods(["GET", "POST"])
def system_detail(request, scope: Scope, pk: int):
    _can_view(scope)
    system = business_system_get_for(scope=scope, pk=pk)  # out of scope: 404 before anything else
    units = list(unit_list(scope=scope))
    edit_form = SystemForm(units=units, initial={"name": system.name, "unit": str(system.unit_id or "")})
    rotate_form = RotateForm()
    status = 200
    if request.method == "POST":
        _can_manage(scope)
        actor = Actor.for_user(request.user)
        action = request.POST.get("action", "")
        try:
            if action == "rotate":
                rotate_form = RotateForm(request.POST)
                if rotate_form.is_valid():
                    hours = rotate_form.cleaned_data["overlap_hours"]
                    secret = business_system_rotate_secret(actor=actor, system=system, overlap_hours=hours)
                    _remember_secret(request, system, secret, rotated=True)
                    note = f"旧密钥在 {hours} 小时内仍可使用" if hours else "旧密钥已立即失效"
                    messages.success(request, f"已更换密钥，{note}。请立即复制新密钥，离开本页后不再显示。")
                    return redirect("console:system_detail", pk=system.pk)
                status = 422
            elif action == "edit":
                edit_form = SystemForm(request.POST, units=units)
                if edit_form.is_valid():
                    data = edit_form.cleaned_data
                    business_system_update(actor=actor, system=system, name=data["name"], unit=data["unit_obj"])
                    messages.success(request, "已保存业务系统信息。")
                    return redirect("console:system_detail", pk=system.pk)
                status = 422
            elif action in ("deactivate", "activate"):
                active = action == "activate"
                business_system_set_active(actor=actor, system=system, active=active)
                messages.success(
                    request,
                    "已重新启用该业务系统。"
                    if active
                    else "已停用该业务系统：其接口请求将被拒绝，已推送的数据全部保留。",
                )
                return redirect("console:system_detail", pk=system.pk)
            else:
                messages.error(request, "未知的操作，请刷新页面后重试。")
                return redirect("console:system_detail", pk=system.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("console:system_detail", pk=system.pk)
    now = timezone.now()
    can_manage = can_manage_systems(scope)
    context = {
        "nav": "systems",
        "system": system,
        "state": system_state(system, now),
        "issued": _take_secret(request, system) if can_manage else None,
        "can_manage": can_manage,
        "edit_form": edit_form,
        "rotate_form": rotate_form,
    }
    return render(request, "organizations/systems_detail.html", context, status=status)
