"""工作日历 (``/console/calendar/``): the centre lists a year's holidays and make-up working days
(the entered days and what the ``chinesecalendar`` package knows), enters, changes and removes a
day, and imports a year's schedule from a table (预检, then 确认导入). Only the centre's
supervisors (a root unit) may use these pages; everyone else gets the 403 page. The rules and
the audited writes are in ``organizations.work_calendar``.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haochaping.audit.services import Actor
from haochaping.core.errors import NotFound, ValidationFailed
from haochaping.core.models import CalendarDay
from haochaping.core.pages.downloads import content_disposition
from haochaping.core.pages.forms import add_service_errors
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope
from haochaping.organizations.work_calendar import (
    NOTE_MAX,
    ImportRow,
    calendar_day_delete,
    calendar_day_get,
    calendar_day_save,
    calendar_import_apply,
    calendar_import_check,
    calendar_year,
    require_centre,
)

PLAN_SALT = "haochaping.calendar.import"
PLAN_MAX_AGE = 3600
KIND_CHOICES = [("rest", "休息日（放假）"), ("work", "工作日（调休上班）")]


class DayForm(forms.Form):
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    kind = forms.ChoiceField(label="类型", choices=KIND_CHOICES, widget=forms.RadioSelect)
    note = forms.CharField(label="说明", max_length=NOTE_MAX, required=False, help_text="如：春节、国庆节、调休上班")


class ImportForm(forms.Form):
    file = forms.FileField(label="节假日安排表（.xlsx 或 .csv）")


def _year(request) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Http404("日期格式有误") from None


def _back_to(year: int):
    return redirect(f"{reverse('console:calendar')}?year={year}")


@console_page
@require_GET
def calendar_view(request, scope: Scope):
    year = _year(request)
    data = calendar_year(scope=scope, year=year)
    form = DayForm(initial={"kind": "rest"})
    context = {"nav": "calendar", "cal": data, "year": year, "form": form}
    return render(request, "organizations/calendar.html", context)


def _save(request, scope: Scope, form: DayForm) -> bool:
    try:
        _, created = calendar_day_save(
            actor=Actor.for_user(request.user),
            scope=scope,
            date=form.cleaned_data["date"],
            is_workday=form.cleaned_data["kind"] == "work",
            note=form.cleaned_data["note"],
        )
    except ValidationFailed as exc:
        add_service_errors(form, exc)
        return False
    day = form.cleaned_data["date"]
    kind = "工作日" if form.cleaned_data["kind"] == "work" else "休息日"
    messages.success(request, f"已{'录入' if created else '保存'} {day.isoformat()}：{kind}")
    return True


@console_page
@require_POST
def calendar_day_add(request, scope: Scope):
    require_centre(scope)
    form = DayForm(request.POST)
    if form.is_valid() and _save(request, scope, form):
        return _back_to(form.cleaned_data["date"].year)
    year = form.cleaned_data["date"].year if form.is_valid() else _year(request)
    context = {"nav": "calendar", "cal": calendar_year(scope=scope, year=year), "year": year, "form": form}
    return render(request, "organizations/calendar.html", context, status=422)


@console_page
@require_http_methods(["GET", "POST"])
def calendar_day_edit(request, scope: Scope, day: str):
    require_centre(scope)
    date = _parse_day(day)
    try:
        row: CalendarDay | None = calendar_day_get(scope=scope, date=date)
    except NotFound:
        row = None  # a day the package decides, or an ordinary day: editing enters it
    if request.method == "POST":
        form = DayForm(request.POST)
        if form.is_valid() and _save(request, scope, form):
            return _back_to(form.cleaned_data["date"].year)
    else:
        entry = next((e for e in calendar_year(scope=scope, year=date.year).entries if e.date == date), None)
        is_workday = row.is_workday if row else (entry.is_workday if entry else date.weekday() >= 5)
        note = row.note if row else (entry.note if entry else "")
        form = DayForm(initial={"date": date, "kind": "work" if is_workday else "rest", "note": note})
    context = {"nav": "calendar", "form": form, "day": date, "row": row}
    return render(request, "organizations/calendar_day.html", context)


@console_page
@require_POST
def calendar_day_remove(request, scope: Scope, day: str):
    date = _parse_day(day)
    calendar_day_delete(actor=Actor.for_user(request.user), scope=scope, date=date)
    messages.success(request, f"已删除 {date.isoformat()} 的录入，该日恢复按软件包或周一至周五计算")
    return _back_to(date.year)


@console_page
@require_http_methods(["GET", "POST"])
def calendar_import(request, scope: Scope):
    """GET: the upload form. POST with a file: 预检 (nothing written). POST ``confirm`` with the
    signed plan of a 预检: write it."""
    require_centre(scope)
    if request.method == "POST" and "plan" in request.POST:
        return _confirm(request, scope)
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict = {"nav": "calendar", "form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            plan = calendar_import_check(scope=scope, content=upload.read(), filename=upload.name)
        except ValidationFailed as exc:
            form.add_error("file", exc.message)
        else:
            context["plan"] = plan
            context["filename"] = upload.name
            if not plan.errors:
                context["token"] = signing.dumps([r.payload() for r in plan.rows], salt=PLAN_SALT, compress=True)
    return render(request, "organizations/calendar_import.html", context)


def _confirm(request, scope: Scope):
    try:
        items = signing.loads(request.POST["plan"], salt=PLAN_SALT, max_age=PLAN_MAX_AGE)
        rows = [ImportRow.from_payload(item) for item in items]
    except (signing.BadSignature, ValueError, TypeError, IndexError):
        messages.error(request, "预检结果已失效（超过 1 小时或内容被改动），请重新上传文件预检")
        return redirect("console:calendar_import")
    counts = calendar_import_apply(actor=Actor.for_user(request.user), scope=scope, rows=rows)
    messages.success(
        request,
        f"导入完成：新增 {counts['created']} 天，修改 {counts['updated']} 天，"
        f"{counts['unchanged']} 天与已录入的相同未改动",
    )
    years = sorted({row.date.year for row in rows})
    return _back_to(years[0] if years else timezone.localdate().year)


EXAMPLE_ROWS = [
    ("日期", "类型", "说明"),
    ("2027-01-01", "休息日", "元旦（示例）"),
    ("2027-02-05", "休息日", "春节（示例）"),
]


@console_page
@require_GET
def calendar_template(request, scope: Scope):
    """The table's layout as a CSV file with two example rows (UTF-8 with BOM, so Excel reads it)."""
    require_centre(scope)
    body = "\r\n".join(",".join(row) for row in EXAMPLE_ROWS) + "\r\n"
    response = HttpResponse(("\ufeff" + body).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition("节假日安排模板.csv", fallback="calendar-template.csv")
    return response
