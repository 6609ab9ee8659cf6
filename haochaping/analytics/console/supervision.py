"""重点督办 (制度第十二条, SPEC R22): the marks the rules made, with their evidence and deadline; a
supervisor lifts a mark with a reason or evaluates a month on demand; staff listed for 通报;
Excel. Department admins see the marks of their subtree (read only); window clerks get a 403."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.analytics.models import SupervisionRun, TargetKind, TargetState
from haochaping.analytics.selectors import supervision_target_list
from haochaping.analytics.services import supervision_evaluate, supervision_lift
from haochaping.analytics.supervision import NOTICE_RULE, RULE_LABELS, describe, rules
from haochaping.audit.services import Actor
from haochaping.core.errors import ApplicationError, PermissionDenied
from haochaping.core.pages.excel import ListExport
from haochaping.core.pages.filters import GetFilterForm
from haochaping.core.pages.paging import page_of
from haochaping.organizations.models import Role
from haochaping.organizations.pages import console_page, record_export
from haochaping.organizations.selectors import Scope, caller_for_user

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = MONTH.match(value)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise forms.ValidationError("请按“年-月”填写月份，例如 2026-11")
        return dt.date(int(match.group(1)), int(match.group(2)), 1)


class SupervisionFilterForm(GetFilterForm):
    month = MonthField(label="月份", required=False)
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), *TargetState.choices])
    kind = forms.ChoiceField(label="对象类型", required=False, choices=[("", "全部"), *TargetKind.choices])


class LiftForm(forms.Form):
    target = forms.IntegerField(widget=forms.HiddenInput())
    reason = forms.CharField(label="解除理由", max_length=500, required=False)


class EvaluateForm(forms.Form):
    month = MonthField(label="评估月份", error_messages={"required": "请选择评估月份"})


def _allowed(scope: Scope) -> None:
    if scope.staff_id is not None or scope.role == Role.WINDOW_CLERK:
        raise PermissionDenied("重点督办仅供督查人员和单位管理员查看", code="supervision_forbidden")


def _targets(request, scope: Scope):
    form = SupervisionFilterForm(request.GET)
    values = form.values()
    qs = supervision_target_list(
        scope=scope, month=values.get("month"), state=values.get("state"), kind=values.get("kind")
    )
    return form, qs


@console_page
@require_http_methods(["GET", "POST"])
def supervision_view(request, scope: Scope):
    _allowed(scope)
    if request.method == "POST":
        return _post(request, scope)
    form, qs = _targets(request, scope)
    today = timezone.localdate()
    last_month = f"{(today.replace(day=1) - dt.timedelta(days=1)):%Y-%m}"
    context = {
        "nav": "analytics_supervision",
        "form": form,
        "page_obj": page_of(request, qs),
        "notice": supervision_target_list(scope=scope, state=TargetState.ACTIVE).filter(rule=NOTICE_RULE),
        "rules": [
            (RULE_LABELS[code], describe(code, options))
            for code, options in rules().items()
            if options.get("enabled", True)
        ],
        "runs": SupervisionRun.objects.all()[:3],
        "today": today,
        "can_act": scope.role == Role.SUPERVISOR,
        "evaluate_form": EvaluateForm(initial={"month": last_month}),
        "rule_labels": RULE_LABELS,
        "export_query": request.GET.urlencode(),
    }
    return render(request, "analytics/supervision.html", context)


def _post(request, scope: Scope):
    if scope.role != Role.SUPERVISOR:
        raise PermissionDenied("只有督查人员可以解除重点督办或执行评估", code="supervision_lift_forbidden")
    back = request.get_full_path()
    if request.POST.get("action") == "evaluate":
        form = EvaluateForm(request.POST)
        if not form.is_valid():
            messages.error(request, "评估未执行：" + "；".join(e for errors in form.errors.values() for e in errors))
            return redirect(back)
        month = form.cleaned_data["month"]
        marked = supervision_evaluate(month=month, actor=Actor.for_user(request.user))
        messages.success(request, f"已按规则评估 {month:%Y年%-m月}：新列入重点督办 {len(marked)} 个。")
        return redirect(back)
    lift = LiftForm(request.POST)
    if not lift.is_valid():
        messages.error(request, "解除未执行：请求不完整。")
        return redirect(back)
    try:
        target = supervision_lift(
            target_id=lift.cleaned_data["target"],
            reason=lift.cleaned_data["reason"] or "",
            caller=caller_for_user(request.user),
        )
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, f"解除未执行：{exc.message}")
        return redirect(back)
    messages.success(request, f"已解除对“{target.entity_name}”的重点督办。")
    return redirect(back)


@console_page
@require_GET
def supervision_export(request, scope: Scope):
    _allowed(scope)
    form, qs = _targets(request, scope)
    today = timezone.localdate()

    def rows():
        for t in qs.iterator(chunk_size=500):
            yield [
                f"{t.month:%Y-%m}",
                t.get_kind_display(),
                t.entity_name,
                t.unit.name,
                RULE_LABELS.get(t.rule, t.rule),
                "是" if t.for_notice else "",
                t.evidence_text,
                timezone.localtime(t.marked_at).strftime("%Y-%m-%d %H:%M"),
                f"{t.deadline:%Y-%m-%d}",
                "已逾期" if t.state == TargetState.ACTIVE and t.deadline < today else "",
                t.get_state_display(),
                timezone.localtime(t.lifted_at).strftime("%Y-%m-%d %H:%M") if t.lifted_at else "",
                t.lifted_by.get_username() if t.lifted_by else "",
                t.lift_reason,
            ]

    export = ListExport(
        title="重点督办",
        headers=[
            "月份",
            "对象类型",
            "对象",
            "所属单位",
            "规则",
            "列入通报",
            "依据",
            "列入时间",
            "整改期限",
            "期限状态",
            "状态",
            "解除时间",
            "解除人",
            "解除理由",
        ],
        rows=rows(),
        widths=[9, 9, 24, 24, 22, 9, 80, 17, 12, 9, 8, 17, 12, 40],
    )
    record_export(request, action="analytics:supervision:exported", form=form, rows=export.rows)
    return export.response(filename=f"重点督办_{today:%Y%m%d}.xlsx", fallback=f"supervision-{today:%Y%m%d}.xlsx")
