"""评价质量线索 (``/console/integrity/``, 通知 二(四), 制度第八条): the rating-integrity flags queue.

* The queue (filters: kind, unit, state; open flags first by default) and a flag's page with its
  evidence (counts and the example ratings, identity masked) are for supervisors, department
  admins (their own subtree) and auditors; window clerks and 回访员 get 403; another unit's flag
  is 404.
* Only supervisors act: 排除 (dismiss, reason required), 转督查 (a supervision record of the
  flag's unit, linked), and 立即检测 (run detection now). Everything is audited
  (``insight:integrity:*``); the ratings themselves are never changed.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haochaping.audit.services import Actor
from haochaping.core.errors import ApplicationError
from haochaping.core.pages.filters import GetFilterForm, unit_choices
from haochaping.core.pages.forms import FastSelect
from haochaping.core.pages.paging import page_of
from haochaping.evaluations.choices import Level
from haochaping.insight.integrity_models import FlagState, IntegrityKind
from haochaping.insight.integrity_selectors import (
    integrity_flag_get_for,
    integrity_flag_list,
    may_review,
    require_view,
)
from haochaping.insight.integrity_services import (
    SUPERVISION_KIND,
    integrity_detect_now,
    integrity_flag_dismiss,
    integrity_flag_escalate,
)
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope, unit_list

# The evidence counts' keys (``insight.integrity``), as the page shows them.
COUNT_LABELS = {
    "bursts": "集中评价次数",
    "ratings_in_bursts": "集中评价条数",
    "largest": "单次最多条数",
    "largest_minutes": "单次最多用时（分钟）",
    "requested": "发起请评价的服务次数",
    "quick": "数秒内完成评价次数",
    "share": "占比（%）",
    "ratings": "评价条数",
    "units": "涉及单位数",
    "levels": "评价等级构成",
    "very_satisfied": "“非常满意”条数",
    "peers_share": "其他回访员“非常满意”占比（%）",
    "peers_ratings": "其他回访员电话评价条数",
    "z": "高出的标准误倍数",
    "bad_ratings": "差评条数",
    "defaults": "默认评价条数",
    "overall_share": "全部单位默认评价占比（%）",
    "days": "统计天数",
    "threshold_count": "阈值：条数",
    "threshold_minutes": "阈值：分钟",
    "threshold_seconds": "阈值：秒",
    "threshold_percent": "阈值：占比（%）",
    "threshold_services": "阈值：服务次数",
    "threshold_units": "阈值：单位数",
    "threshold_z": "阈值：标准误倍数",
    "threshold_gap": "阈值：高出百分点",
    "threshold_ratio": "阈值：为全部占比的倍数",
}
LEVELS = dict(Level.choices)


def _count_rows(counts: dict) -> list[tuple[str, str]]:
    rows = []
    for key, value in counts.items():
        if key == "levels" and isinstance(value, dict):
            value = "、".join(f"{LEVELS.get(int(level), level)} {n}" for level, n in value.items())
        rows.append((COUNT_LABELS.get(key, key), "—" if value is None else str(value)))
    return rows


class FlagFilterForm(GetFilterForm):
    kind = forms.ChoiceField(label="线索类型", required=False)
    unit = forms.ChoiceField(label="单位", required=False, widget=FastSelect)
    state = forms.ChoiceField(label="状态", required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "全部类型"), *IntegrityKind.choices]
        self.fields["unit"].choices = unit_choices(units)
        self.fields["state"].choices = [("", "全部状态"), *FlagState.choices]


@console_page
@require_GET
def flag_list(request, scope: Scope):
    require_view(scope)
    units = list(unit_list(scope=scope).order_by("path"))
    data = request.GET.copy() if request.GET else None
    if data is None:
        data = {"state": FlagState.OPEN}  # the queue: open flags first
    form = FlagFilterForm(data, units=units)
    values = form.values()
    unit = {u.code: u for u in units}.get(values.get("unit") or "")
    flags = integrity_flag_list(
        scope=scope,
        kind=values.get("kind") or "",
        unit_path=unit.path if unit else "",
        state=values.get("state") or "",
    )
    context = {
        "nav": "insight_integrity",
        "form": form,
        "page_obj": page_of(request, flags),
        "can_review": may_review(scope),
    }
    return render(request, "insight/integrity_list.html", context)


@console_page
@require_POST
def flag_detect(request, scope: Scope):
    try:
        result = integrity_detect_now(actor=Actor.for_user(request.user), scope=scope)
    except ApplicationError as exc:
        if exc.status == 403:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"检测完成：发现线索 {result.found} 条，其中新增 {result.created_total} 条、更新 {result.updated} 条。",
        )
    return redirect("console:insight_integrity_list")


@console_page
@require_http_methods(["GET", "POST"])
def flag_detail(request, scope: Scope, pk: int):
    flag = integrity_flag_get_for(scope=scope, pk=pk)
    if request.method == "POST":
        actor = Actor.for_user(request.user)
        action = request.POST.get("action")
        try:
            if action == "dismiss":
                integrity_flag_dismiss(
                    actor=actor, scope=scope, flag=flag, reason=request.POST.get("reason", ""), user=request.user
                )
                messages.success(request, "线索已排除。")
            elif action == "escalate":
                flag = integrity_flag_escalate(
                    actor=actor,
                    scope=scope,
                    flag=flag,
                    note=request.POST.get("note", ""),
                    inspector=request.POST.get("inspector", ""),
                    user=request.user,
                )
                messages.success(request, "已转督查，督查记录已登记。")
            else:
                messages.error(request, "未知的操作，请刷新页面后重试。")
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            messages.error(request, exc.message)
        return redirect("console:insight_integrity_detail", pk=flag.pk)
    evidence = flag.evidence or {}
    examples = evidence.get("examples", [])
    context = {
        "nav": "insight_integrity",
        "flag": flag,
        "counts": _count_rows(evidence.get("counts", {})),
        "examples": examples,
        "has_seconds": any("seconds" in e for e in examples),
        "can_review": may_review(scope) and flag.state == FlagState.OPEN,
        "supervision_kind": SUPERVISION_KIND[IntegrityKind(flag.kind)].label,
    }
    return render(request, "insight/integrity_detail.html", context)
