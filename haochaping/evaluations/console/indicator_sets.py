"""评价指标体系 (``/console/indicator-sets/``): the centre lists the versions, imports a
province's set as a new version (预检, then 确认导入), compares a version with the one in use and
activates it. Only the centre's supervisors (a root unit); everyone else gets the 403 page. The
rules and the audited writes are in ``evaluations.indicator_sets``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core import signing
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haochaping.audit.services import Actor
from haochaping.core.errors import Conflict, ValidationFailed
from haochaping.evaluations.indicator_sets import (
    compare_specs,
    indicator_set_activate,
    indicator_set_active,
    indicator_set_check,
    indicator_set_compare,
    indicator_set_create,
    indicator_set_get,
    indicator_set_list,
    indicator_set_specs,
    plan_from_payload,
    require_centre,
)
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope

PLAN_SALT = "haochaping.indicator_sets.import"
PLAN_MAX_AGE = 3600


class ImportForm(forms.Form):
    file = forms.FileField(label="指标体系文件（.xlsx、.csv 或 .json）")
    code = forms.CharField(label="体系编码", max_length=40, required=False, help_text="如 henan；JSON 文件可不填")
    version = forms.CharField(label="版本", max_length=20, required=False, help_text="如 2027.1；JSON 文件可不填")
    name = forms.CharField(label="名称", max_length=100, required=False, help_text="如 河南省政务服务评价指标体系")
    source = forms.CharField(
        label="来源", max_length=200, required=False, help_text="如 省政务服务和大数据管理局文件号"
    )


@console_page
@require_GET
def indicator_set_list_view(request, scope: Scope):
    context = {"nav": "indicator_sets", "sets": indicator_set_list(scope=scope)}
    return render(request, "evaluations/indicator_sets.html", context)


@console_page
@require_GET
def indicator_set_detail(request, scope: Scope, pk: int):
    indicator_set = indicator_set_get(scope=scope, set_id=pk)
    context = {
        "nav": "indicator_sets",
        "set": indicator_set,
        "indicators": indicator_set_specs(scope=scope, set_id=pk),
        "comparison": None if indicator_set.is_active else indicator_set_compare(scope=scope, set_id=pk),
    }
    return render(request, "evaluations/indicator_set_detail.html", context)


@console_page
@require_POST
def indicator_set_activate_view(request, scope: Scope, pk: int):
    try:
        indicator_set = indicator_set_activate(actor=Actor.for_user(request.user), scope=scope, set_id=pk)
    except Conflict as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(
            request,
            f"已启用“{indicator_set.name} {indicator_set.version}”：此后的评价使用该版本，已有评价保留原版本",
        )
    return redirect("console:indicator_sets")


@console_page
@require_http_methods(["GET", "POST"])
def indicator_set_import(request, scope: Scope):
    """GET: the form. POST with a file: 预检 (nothing written). POST with ``plan``: 确认导入."""
    require_centre(scope)
    if request.method == "POST" and "plan" in request.POST:
        return _confirm(request, scope)
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict = {"nav": "indicator_sets", "form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = {k: form.cleaned_data[k] for k in ("code", "version", "name", "source")}
        try:
            plan = indicator_set_check(scope=scope, content=upload.read(), filename=upload.name, **data)
        except ValidationFailed as exc:
            form.add_error("file", exc.message)
        else:
            context["plan"] = plan
            context["filename"] = upload.name
            if not plan.errors:
                context["comparison"] = compare_specs(indicator_set_active(), plan.indicators)
                context["token"] = signing.dumps(plan.payload(), salt=PLAN_SALT, compress=True)
    return render(request, "evaluations/indicator_set_import.html", context)


def _confirm(request, scope: Scope):
    try:
        payload = signing.loads(request.POST["plan"], salt=PLAN_SALT, max_age=PLAN_MAX_AGE)
        plan = plan_from_payload(payload)
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        messages.error(request, "预检结果已失效（超过 1 小时或内容被改动），请重新上传文件预检")
        return redirect("console:indicator_set_import")
    activate = request.POST.get("activate") == "1"
    try:
        indicator_set = indicator_set_create(
            actor=Actor.for_user(request.user), scope=scope, plan=plan, activate=activate
        )
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, exc.message)
        return redirect("console:indicator_set_import")
    state = "并已启用" if activate else "（未启用，可在列表中启用）"
    messages.success(
        request, f"已导入“{indicator_set.name} {indicator_set.version}”，共 {len(plan.indicators)} 项{state}"
    )
    return redirect("console:indicator_sets")
