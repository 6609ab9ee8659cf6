"""月度通报: the list (and the generate form), one report as a page (the Word document's content
from the same snapshot), publish, the versions, the downloads, and the Word template.

Supervisors generate, publish and replace the template; department admins (and the centre's
other roles) read what ``analytics.selectors.report_list`` gives them; window clerks nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.analytics.console.forms import ReportGenerateForm, TemplateUploadForm
from haochaping.analytics.models import Report
from haochaping.analytics.reports.charts import CHARTS, placeholder_chart
from haochaping.analytics.selectors import report_get_for, report_list, report_versions
from haochaping.analytics.services import (
    doc_number_text,
    report_generate,
    report_publish,
    report_template_current,
    report_template_reset,
    report_template_upload,
    template_bytes,
)
from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import NotFound, PermissionDenied, ValidationFailed
from haochaping.core.pages.downloads import content_disposition
from haochaping.core.pages.forms import add_service_errors
from haochaping.core.pages.paging import page_of
from haochaping.organizations.models import Role
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_reader(scope: Scope) -> None:
    if scope.role == Role.WINDOW_CLERK or scope.staff_id is not None:
        raise PermissionDenied("窗口工作人员无权查看通报", code="report_forbidden")


def _require_supervisor(scope: Scope) -> None:
    if scope.role != Role.SUPERVISOR:
        raise PermissionDenied("只有督查人员可以生成、印发通报和修改通报模板", code="report_forbidden")


@console_page
@require_http_methods(["GET", "POST"])
def report_list_view(request, scope: Scope):
    _require_reader(scope)
    can_write = scope.role == Role.SUPERVISOR
    form = None
    if can_write:
        form = ReportGenerateForm(request.POST or None, scope=scope, today=timezone.localdate())
    if request.method == "POST":
        _require_supervisor(scope)
        assert form is not None
        if form.is_valid():
            report = report_generate(
                unit=form.unit_obj(), period=form.period(), actor=Actor.for_user(request.user), scope=scope
            )
            assert report is not None
            messages.success(request, f"已生成{report.title}（第 {report.version} 版，草稿）")
            return redirect("console:analytics_report_detail", pk=report.pk)
    page = page_of(
        request, report_list(scope=scope).order_by("-period_first", "-period_last", "unit__path", "-version", "pk")
    )
    return render(
        request,
        "analytics/reports.html",
        {
            "nav": "analytics_reports",
            "page_obj": page,
            "form": form,
            "can_write": can_write,
        },
    )


@console_page
@require_http_methods(["GET", "POST"])
def report_detail(request, scope: Scope, pk: int):
    _require_reader(scope)
    report = report_get_for(scope=scope, pk=pk)
    if request.method == "POST":
        _require_supervisor(scope)
        action = request.POST.get("action")
        actor = Actor.for_user(request.user)
        if action == "publish":
            report = report_publish(report_id=report.pk, actor=actor, scope=scope)
            messages.success(request, f"已印发，文号：{doc_number_text(report)}")
        elif action == "regenerate":
            report = report_generate(unit=report.unit, period=_period(report), actor=actor, scope=scope)
            messages.success(request, f"已重新生成（第 {report.version} 版，草稿）")
        else:
            raise NotFound("未知的操作")
        return redirect("console:analytics_report_detail", pk=report.pk)
    versions = list(report_versions(scope=scope, report=report))
    latest = versions[0] if versions else report
    snapshot = report.snapshot
    return render(
        request,
        "analytics/report_detail.html",
        {
            "nav": "analytics_reports",
            "report": report,
            "s": snapshot,
            "doc_number": doc_number_text(report),
            "date_text": _date_text(report),
            "versions": versions,
            "is_latest": latest.pk == report.pk,
            "can_write": scope.role == Role.SUPERVISOR,
            "charts": [name for name in CHARTS if _has_chart(name, snapshot)],
        },
    )


def _period(report: Report):
    from haochaping.analytics.periods import Period

    return Period(report.period_kind, report.period_first, report.period_last)


def _date_text(report: Report) -> str:
    day = timezone.localtime(report.published_at or report.generated_at).date()
    return f"{day.year}年{day.month}月{day.day}日"


def _has_chart(name: str, snapshot: dict) -> bool:
    if name == "levels":
        return any(level["count"] for level in snapshot["overall"]["levels"])
    return bool(snapshot.get("days"))


def _download_name(report: Report, ext: str) -> tuple[str, str]:
    number = f"（{doc_number_text(report)}）" if report.number else "（草稿）"
    appendix = "数据附表" if ext == "xlsx" else ""
    name = f"{report.title}{appendix}{number}第{report.version}版.{ext}"
    fallback = f"report-{report.period_first:%Y%m%d}-{report.period_last:%Y%m%d}-v{report.version}.{ext}"
    return name, fallback


def _file_response(request, report: Report, field: str, content_type: str) -> FileResponse:
    """The stored Word or Excel file; each download is audited (who took which version)."""
    name, fallback = _download_name(report, field)
    with transaction.atomic():
        audit_record(
            actor=Actor.for_user(request.user),
            action="analytics:report:downloaded",
            target=report,
            data={"file": field, "version": report.version, "published": report.number is not None},
        )
    response = FileResponse(getattr(report, field).open("rb"), content_type=content_type)
    response["Content-Disposition"] = content_disposition(name, fallback=fallback)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@console_page
@require_GET
def report_docx(request, scope: Scope, pk: int):
    _require_reader(scope)
    return _file_response(request, report_get_for(scope=scope, pk=pk), "docx", DOCX)


@console_page
@require_GET
def report_xlsx(request, scope: Scope, pk: int):
    _require_reader(scope)
    return _file_response(request, report_get_for(scope=scope, pk=pk), "xlsx", XLSX)


@console_page
@require_GET
def report_chart(request, scope: Scope, pk: int):
    """A chart of the report as PNG (``?name=levels|trend``), drawn from its snapshot."""
    _require_reader(scope)
    report = report_get_for(scope=scope, pk=pk)
    draw = CHARTS.get(request.GET.get("name") or "levels")
    if draw is None:
        raise NotFound("该通报没有这张图表")
    png = draw(report.snapshot) or placeholder_chart()
    response = HttpResponse(png, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@console_page
@require_http_methods(["GET", "POST"])
def report_template_view(request, scope: Scope):
    _require_supervisor(scope)
    form = TemplateUploadForm()
    if request.method == "POST":
        actor = Actor.for_user(request.user)
        if request.POST.get("action") == "reset":
            template = report_template_reset(actor=actor, scope=scope)
            messages.success(request, f"已恢复默认模板（第 {template.version} 版），此后生成的通报使用该模板")
            return redirect("console:analytics_report_template")
        form = TemplateUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                template = report_template_upload(name=upload.name, content=upload.read(), actor=actor, scope=scope)
            except ValidationFailed as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"已启用新模板（第 {template.version} 版），此后生成的通报使用该模板")
                return redirect("console:analytics_report_template")
    from haochaping.analytics.models import ReportTemplate

    return render(
        request,
        "analytics/report_template.html",
        {
            "nav": "analytics_reports",
            "form": form,
            "current": report_template_current(),
            "history": ReportTemplate.objects.order_by("-version")[:20],
        },
    )


@console_page
@require_GET
def report_template_download(request, scope: Scope):
    _require_supervisor(scope)
    current = report_template_current()
    response = HttpResponse(template_bytes(current), content_type=DOCX)
    version = f"第{current.version}版" if current else "默认"
    response["Content-Disposition"] = content_disposition(
        f"通报模板（{version}）.docx", fallback="report-template.docx"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
