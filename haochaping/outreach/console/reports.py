"""Supervisor views of outreach coverage: 回访率, 邀评转化, 未评价积压, 诉求分类统计, each as a table
on one page and as Excel (one sheet per report; ``?report=`` picks one), following the case summary."""

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
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope
from haochaping.outreach.reports import Report, outreach_reports, scope_name
from haochaping.outreach.selectors import require_reader


@console_page
@require_GET
def report_view(request, scope: Scope):
    require_reader(scope)
    form = PeriodForm(request.GET)
    date_from, date_to, start, end = form.bounds(timezone.localdate())
    now = timezone.now()
    context = {
        "nav": "outreach_reports",
        "form": form,
        "date_from": date_from,
        "date_to": date_to,
        "reports": outreach_reports(scope=scope, start=start, end=end, now=now),
        "scope_label": scope_name(scope),
        "now": now,
    }
    return render(request, "outreach/reports.html", context)


@console_page
@require_GET
def report_export(request, scope: Scope):
    require_reader(scope)
    date_from, date_to, start, end = PeriodForm(request.GET).bounds(timezone.localdate())
    now = timezone.now()
    wanted = request.GET.get("report")
    reports = outreach_reports(scope=scope, start=start, end=end, now=now, only=wanted)
    content = reports_workbook(reports, date_from=date_from, date_to=date_to, scope_label=scope_name(scope), now=now)
    period = f"{date_from:%Y%m%d}-{date_to:%Y%m%d}"
    title = reports[0].title if len(reports) == 1 else "回访邀评与诉求统计"
    return xlsx_response(
        content,
        filename=f"{title}_{period}.xlsx",
        fallback=f"outreach-{wanted if len(reports) == 1 else 'all'}-{period}.xlsx",
    )


def reports_workbook(
    reports: list[Report], *, date_from: dt.date, date_to: dt.date, scope_label: str, now: dt.datetime
) -> bytes:
    """One sheet per report: title, period and scope, headers, rows, total, definitions."""
    wb = Workbook()
    wb.remove(wb.active)
    subtitle = (
        f"统计期间：{date_from:%Y-%m-%d} 至 {date_to:%Y-%m-%d}　统计范围：{scope_label}"
        f"　导出时间：{timezone.localtime(now):%Y-%m-%d %H:%M}"
    )
    for report in reports:
        write_table_sheet(
            wb.create_sheet(report.title[:31]),
            title=report.title,
            subtitle=subtitle,
            first_header=report.first_header,
            columns=report.columns,
            rows=report.rows,
            total=report.total,
            value=report.cell,
            definitions=report.definitions,
        )
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
