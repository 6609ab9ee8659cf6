"""督查记录 (``/console/supervision/``, 制度第十条): spot checks (抽查), archive reviews (档案核查),
site visits (明察暗访) and callbacks (回访核实) of a unit, with findings and follow-up.

* The list (filters: kind, unit, period, open follow-ups) and a record's page are for
  supervisors, department admins (their own subtree) and auditors; clerks and 回访员 get 403.
* Only supervisors record: the new-record page, a spot check's results, a follow-up's completion.
  A spot check's sample is drawn by the server (``insight.services``), with a stored seed.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.audit.services import Actor
from haochaping.core.errors import ApplicationError
from haochaping.core.pages.paging import page_of
from haochaping.insight.console.forms import RecordFilterForm, RecordForm
from haochaping.insight.models import SpotCheckItem, SpotCheckResult, SupervisionKind
from haochaping.insight.selectors import (
    may_record,
    require_record,
    require_view,
    supervision_record_get_for,
    supervision_record_list,
)
from haochaping.insight.services import (
    RecordInput,
    spot_check_results_record,
    supervision_followup_complete,
    supervision_record_create,
)
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope, unit_list


@console_page
@require_GET
def record_list(request, scope: Scope):
    require_view(scope)
    units = list(unit_list(scope=scope).order_by("path"))
    form = RecordFilterForm(request.GET or None, units=units)
    values = form.values() if form.is_bound else {}
    by_code = {u.code: u for u in units}
    unit = by_code.get(values.get("unit") or "")
    records = supervision_record_list(
        scope=scope,
        kind=values.get("kind") or "",
        unit_path=unit.path if unit else "",
        first=values.get("date_from"),
        last=values.get("date_to"),
        open_followups=bool(values.get("open_followups")),
    )
    context = {
        "nav": "insight_supervision",
        "form": form,
        "page_obj": page_of(request, records),
        "can_record": may_record(scope),
    }
    return render(request, "insight/supervision_list.html", context)


@console_page
@require_http_methods(["GET", "POST"])
def record_new(request, scope: Scope):
    require_record(scope)
    units = list(unit_list(scope=scope).order_by("path"))
    form = RecordForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        unit = next((u for u in units if u.code == d["unit"]), None)
        data = RecordInput(
            kind=d["kind"],
            unit=unit,  # type: ignore[arg-type]  # the choice is one of ``units``
            held_on=d["held_on"],
            inspector=d["inspector"],
            findings=d["findings"],
            followup_required=d["followup_required"],
            followup_due=d["followup_due"],
            period_first=d["period_first"],
            period_last=d["period_last"],
            sample_size=d["sample_size"],
        )
        try:
            record = supervision_record_create(
                actor=Actor.for_user(request.user), scope=scope, data=data, user=request.user
            )
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            if not exc.fields:
                form.add_error(None, exc.message)
        else:
            if record.kind == SupervisionKind.SPOT_CHECK:
                messages.success(
                    request,
                    f"已从 {record.population} 件办结工单中随机抽取 {record.items.count()} 件，请逐件记录抽查结果。",
                )
            else:
                messages.success(request, "督查记录已登记。")
            return redirect("console:insight_supervision_detail", pk=record.pk)
    return render(request, "insight/supervision_new.html", {"nav": "insight_supervision", "form": form})


@console_page
@require_http_methods(["GET", "POST"])
def record_detail(request, scope: Scope, pk: int):
    record = supervision_record_get_for(scope=scope, pk=pk)
    if request.method == "POST":
        actor = Actor.for_user(request.user)
        try:
            if request.POST.get("action") == "results":
                results = {
                    item.pk: (
                        request.POST.get(f"result-{item.pk}", item.result),
                        request.POST.get(f"remarks-{item.pk}", item.remarks),
                    )
                    for item in record.items.all()
                }
                spot_check_results_record(
                    actor=actor, scope=scope, record=record, results=results, findings=request.POST.get("findings", "")
                )
                messages.success(request, "抽查结果已保存。")
            elif request.POST.get("action") == "followup_done":
                supervision_followup_complete(
                    actor=actor, scope=scope, record=record, note=request.POST.get("note", "")
                )
                messages.success(request, "整改要求已标记为完成。")
            else:
                messages.error(request, "未知的操作，请刷新页面后重试。")
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            messages.error(request, exc.message)
        return redirect("console:insight_supervision_detail", pk=record.pk)
    items = list(SpotCheckItem.objects.filter(record=record).select_related("case", "case__unit"))
    context = {
        "nav": "insight_supervision",
        "record": record,
        "items": items,
        "results": [c for c in SpotCheckResult.choices if c[0]],
        "failed": sum(1 for i in items if i.result == SpotCheckResult.FAILED),
        "pending": sum(1 for i in items if not i.result),
        "can_record": may_record(scope),
        "is_spot": record.kind == SupervisionKind.SPOT_CHECK,
    }
    return render(request, "insight/supervision_detail.html", context)
