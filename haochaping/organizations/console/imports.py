"""批量导入 (``/console/import/``): Excel import of units, matters, windows and staff.

One page for the four kinds: the templates to download, an upload form, and after the upload a
preview — the row errors (第 N 行, column, what is wrong), or the planned changes (新增 / 更新 /
未变) with a 确认导入 button. The upload is validated and stored on the server under a token
(``organizations.imports.pending_store``); nothing is written until the confirm, which applies
that stored file only if it still plans exactly as previewed. Supervisors import every kind,
department admins windows, staff and matters of their own subtree; others get the 403 page.
The rules, the writes and the audit event are in ``organizations.imports``.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haochaping.audit.services import Actor
from haochaping.core.errors import ApplicationError, PermissionDenied
from haochaping.core.pages.downloads import xlsx_response
from haochaping.organizations.imports import (
    IMPORT_ROLES,
    import_apply,
    import_plan,
    importer_get,
    importers_for,
    pending_discard,
    pending_load,
    pending_store,
)
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope

SHOWN_CHANGES = 500
SHOWN_ERRORS = 1000


def _require(scope: Scope) -> None:
    if scope.role not in IMPORT_ROLES:
        raise PermissionDenied("只有区政务服务中心和单位管理员可以批量导入数据", code="import_forbidden")


def _page(request, scope: Scope, **context):
    kinds = importers_for(scope)
    status = context.pop("status", 200)
    selected = context.pop("selected", kinds[0].kind)
    return render(
        request,
        "organizations/import.html",
        {"nav": "import", "kinds": kinds, "selected": selected, **context},
        status=status,
    )


@console_page
@require_http_methods(["GET", "POST"])
def import_page(request, scope: Scope):
    _require(scope)
    if request.method == "GET":
        return _page(request, scope)
    kind = request.POST.get("kind", "")
    upload = request.FILES.get("file")
    importer = importer_get(kind=kind, scope=scope)
    content = upload.read() if upload is not None else b""
    file_name = upload.name if upload is not None else ""
    try:
        plan = import_plan(kind=importer.kind, content=content, scope=scope, file_name=file_name)
    except ApplicationError as exc:
        return _page(request, scope, selected=importer.kind, file_error=exc.message, status=422)
    token = ""
    if plan.ok and plan.pending:
        token = pending_store(content=content, user_id=request.user.pk, kind=plan.kind, file_name=file_name)
    return _page(
        request,
        scope,
        selected=importer.kind,
        plan=plan,
        file_name=file_name,
        token=token,
        digest=plan.digest() if token else "",
        counts=plan.counts,
        errors=plan.errors[:SHOWN_ERRORS],
        more_errors=max(0, len(plan.errors) - SHOWN_ERRORS),
        changes=plan.pending[:SHOWN_CHANGES],
        more_changes=max(0, len(plan.pending) - SHOWN_CHANGES),
        status=422 if plan.errors else 200,
    )


@console_page
@require_POST
def import_confirm(request, scope: Scope):
    _require(scope)
    token = request.POST.get("token", "")
    content, meta = pending_load(token=token, user_id=request.user.pk)
    try:
        plan = import_apply(
            actor=Actor.for_user(request.user),
            kind=meta["kind"],
            content=content,
            scope=scope,
            file_name=meta["file_name"],
            expected_digest=request.POST.get("digest", "") or "-",
        )
    except ApplicationError as exc:
        messages.error(request, f"未导入任何数据：{exc.message}")
        return redirect("console:import")
    pending_discard(token=token)
    messages.success(request, f"已导入{plan.title}（{meta['file_name']}）：{plan.counts}。")
    return redirect("console:import")


@console_page
@require_GET
def import_template(request, scope: Scope):
    """``?kind=units|matters|windows|staff``: the template (without a kind: the first the caller may import)."""
    _require(scope)
    kind = request.GET.get("kind") or importers_for(scope)[0].kind
    importer = importer_get(kind=kind, scope=scope)
    return xlsx_response(
        importer.template(), filename=f"{importer.title}导入模板.xlsx", fallback=f"{kind}-template.xlsx"
    )
