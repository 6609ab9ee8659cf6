"""Supervisor views of outreach coverage: 回访率, 邀评转化, 未评价积压, 诉求分类统计, each as a table
on one page and as Excel (one sheet per report; ``?report=`` picks one), following summary.py."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from haochaping.console.downloads import content_disposition
from haochaping.console.forms import SummaryForm
from haochaping.console.outreach_forms import require_reader
from haochaping.console.views import console_page
from haochaping.organizations.models import Unit
from haochaping.organizations.selectors import Scope
from haochaping.outreach.reports import REPORTS, Report, outreach_reports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(request) -> tuple[SummaryForm, dt.date, dt.date, dt.datetime, dt.datetime]:
    form = SummaryForm(request.GET)
    date_from, date_to = form.period(timezone.localdate())
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return form, date_from, date_to, start, end


def _scope_name(scope: Scope) -> str:
    unit = Unit.objects.filter(path=scope.unit_path).first()
    return unit.name if unit else ""


@console_page
@require_GET
def report_view(request, scope: Scope):
    require_reader(scope)
    form, date_from, date_to, start, end = _period(request)
    now = timezone.now()
    context = {
        "nav": "outreach_reports",
        "form": form,
        "date_from": date_from,
        "date_to": date_to,
        "reports": outreach_reports(scope=scope, start=start, end=end, now=now),
        "scope_label": _scope_name(scope),
        "now": now,
    }
    return render(request, "console/outreach/reports.html", context)


@console_page
@require_GET
def report_export(request, scope: Scope):
    require_reader(scope)
    _, date_from, date_to, start, end = _period(request)
    now = timezone.now()
    reports = outreach_reports(scope=scope, start=start, end=end, now=now)
    wanted = request.GET.get("report")
    if wanted in REPORTS:
        reports = [r for r in reports if r.key == wanted]
    content = reports_workbook(reports, date_from=date_from, date_to=date_to, scope_label=_scope_name(scope), now=now)
    period = f"{date_from:%Y%m%d}-{date_to:%Y%m%d}"
    title = reports[0].title if len(reports) == 1 else "回访邀评与诉求统计"
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition(
        f"{title}_{period}.xlsx", fallback=f"outreach-{wanted if len(reports) == 1 else 'all'}-{period}.xlsx"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def reports_workbook(
    reports: list[Report], *, date_from: dt.date, date_to: dt.date, scope_label: str, now: dt.datetime
) -> bytes:
    """One sheet per report: title, period and scope, headers, rows, total, definitions."""
    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin", color="C9D1DD")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_fill = PatternFill("solid", fgColor="EEF2F8")
    total_fill = PatternFill("solid", fgColor="E8F0FC")
    for report in reports:
        ws = wb.create_sheet(report.title[:31])
        width = 1 + len(report.columns)
        last = get_column_letter(width)
        ws["A1"] = report.title
        ws["A1"].font = Font(size=16, bold=True)
        ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
        ws.merge_cells(f"A1:{last}1")
        ws.row_dimensions[1].height = 30
        ws["A2"] = (
            f"统计期间：{date_from:%Y-%m-%d} 至 {date_to:%Y-%m-%d}　统计范围：{scope_label}"
            f"　导出时间：{timezone.localtime(now):%Y-%m-%d %H:%M}"
        )
        ws["A2"].alignment = Alignment(horizontal="center")
        ws.merge_cells(f"A2:{last}2")
        header_row = 4
        for col, title in enumerate([report.first_header, *(title for title, _, _ in report.columns)], start=1):
            cell = ws.cell(row=header_row, column=col, value=title)
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.border = border
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

        def write(row_number: int, row, *, bold: bool = False, fill=None, report=report, ws=ws) -> None:
            name = ws.cell(row=row_number, column=1, value=row.name)
            name.alignment = Alignment(indent=row.depth)
            cells = [name]
            for col, (_, key, is_rate) in enumerate(report.columns, start=2):
                value = report.cell(row, key)
                cell = ws.cell(row=row_number, column=col, value="—" if value is None else value)
                if is_rate and value is not None:
                    cell.number_format = "0.0%"
                cell.alignment = Alignment(horizontal="right")
                cells.append(cell)
            for cell in cells:
                cell.border = border
                if bold:
                    cell.font = Font(bold=True)
                if fill is not None:
                    cell.fill = fill

        row_number = header_row
        for row in report.rows:
            row_number += 1
            write(row_number, row)
        row_number += 1
        write(row_number, report.total, bold=True, fill=total_fill)
        row_number += 2
        ws.cell(row=row_number, column=1, value="指标说明").font = Font(bold=True)
        for term, text in report.definitions:
            row_number += 1
            ws.cell(row=row_number, column=1, value=term)
            ws.cell(row=row_number, column=2, value=text)
            ws.merge_cells(start_row=row_number, start_column=2, end_row=row_number, end_column=width)
        ws.column_dimensions["A"].width = 30
        for col, (title, _, is_rate) in enumerate(report.columns, start=2):
            ws.column_dimensions[get_column_letter(col)].width = 12 if is_rate or len(title) > 4 else 9
        ws.freeze_panes = ws.cell(row=header_row + 1, column=2)
        ws.print_title_rows = f"{header_row}:{header_row}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
