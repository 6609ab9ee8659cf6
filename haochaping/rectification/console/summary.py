"""Per-unit summary of bad-rating handling for a period (制度第十条), as a page and as Excel."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from haochaping.core.pages.downloads import xlsx_response
from haochaping.core.pages.excel import write_table_sheet
from haochaping.core.pages.filters import PeriodForm
from haochaping.core.templatetags.pages import percent
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope
from haochaping.rectification.selectors import CaseSummary, case_summary

# (header, SummaryRow attribute, is a rate) — the page and the workbook show the same columns.
COLUMNS: list[tuple[str, str, bool]] = [
    ("差评数", "bad", False),
    ("待核实", "pending", False),
    ("整改中", "rectifying", False),
    ("已整改/已反馈", "rectified", False),
    ("办结", "closed", False),
    ("无效", "invalidated", False),
    ("按期整改", "on_time", False),
    ("逾期", "overdue", False),
    ("督办数", "escalated", False),
    ("整改率", "rectify_rate", True),
    ("按期整改率", "on_time_rate", True),
]

DEFINITIONS: list[tuple[str, str]] = [
    ("统计口径", "统计期内生成的差评工单（按评价时间），各项为截至导出时的处理情况；单位行含其下级单位。"),
    ("差评数", "评价等级为“不满意”“非常不满意”的评价数（每条差评生成一张整改工单）。"),
    ("待核实", "待核实，以及单位已申请认定无效、等待审核的工单。"),
    ("整改中", "核实属实后正在整改，以及申请延期等待审核的工单。"),
    ("已整改/已反馈", "已提交整改结果，或已反馈评价人、等待回访的工单。"),
    ("办结", "回访满意后办结的工单。"),
    ("无效", "经审核认定为恶意或误评、不计入考核的差评（评价本身保留备查）。"),
    ("按期整改", "整改完成时间不晚于整改期限（含经批准延期后的期限）。"),
    ("逾期", "超过整改期限仍未整改，或超过期限才完成整改的工单。"),
    ("督办数", "因逾期被督办的工单数。"),
    ("整改率", "（已整改＋已反馈＋办结）÷（差评数－无效）。"),
    ("按期整改率", "按期整改 ÷（按期整改＋逾期），即已到期限或已整改的工单中按期整改的比例。"),
]


def _cells(row, *, total: bool = False) -> list[tuple[str, str]]:
    """A table row's cells as (CSS class, text), built here rather than by the template: a city's
    300 units make 3,300 cells, each a lookup, a filter and a branch in the template language."""
    cells = []
    for _, attribute, is_rate in COLUMNS:
        value = getattr(row, attribute)
        css = "num"
        if not total and attribute == "overdue" and value:
            css += " num-bad"
        if not total and not value and not is_rate:
            css += " num-zero"
        cells.append((css, percent(value) if is_rate else str(value)))
    return cells


def _scope_label(summary: CaseSummary, scope: Scope) -> str:
    return f"{summary.scope_name}（本人经办）" if scope.staff_id is not None else summary.scope_name


@console_page
@require_GET
def case_summary_view(request, scope: Scope):
    form = PeriodForm(request.GET)
    period = form.bounds(timezone.localdate())
    now = timezone.now()
    summary = case_summary(scope=scope, start=period.start, end=period.end, now=now)
    context = {
        "nav": "summary",
        "form": form,
        "date_from": period.date_from,
        "date_to": period.date_to,
        "summary": summary,
        "rows": [(row, _cells(row)) for row in summary.rows],
        "total_cells": _cells(summary.total, total=True),
        "scope_label": _scope_label(summary, scope),
        "columns": COLUMNS,
        "definitions": DEFINITIONS,
        "now": now,
    }
    return render(request, "rectification/case_summary.html", context)


@console_page
@require_GET
def case_summary_export(request, scope: Scope):
    date_from, date_to, start, end = PeriodForm(request.GET).bounds(timezone.localdate())
    now = timezone.now()
    summary = case_summary(scope=scope, start=start, end=end, now=now)
    content = summary_workbook(summary, date_from=date_from, date_to=date_to, scope_label=_scope_label(summary, scope),
                               now=now)  # fmt: skip
    period = f"{date_from:%Y%m%d}-{date_to:%Y%m%d}"
    return xlsx_response(content, filename=f"差评整改情况汇总_{period}.xlsx", fallback=f"case-summary-{period}.xlsx")


def summary_workbook(
    summary: CaseSummary, *, date_from: dt.date, date_to: dt.date, scope_label: str, now: dt.datetime
) -> bytes:
    """The summary table as an .xlsx: title, period and scope, headers, unit rows, totals, definitions."""
    wb = Workbook()
    ws = wb.active
    ws.title = "差评整改汇总"
    write_table_sheet(
        ws,
        title="差评整改情况汇总表",
        subtitle=(
            f"统计期间：{date_from:%Y-%m-%d} 至 {date_to:%Y-%m-%d}　统计范围：{scope_label}"
            f"　导出时间：{timezone.localtime(now):%Y-%m-%d %H:%M}"
        ),
        first_header="单位",
        columns=COLUMNS,
        rows=summary.rows,
        total=summary.total,
        value=getattr,
        definitions=DEFINITIONS,
    )
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
