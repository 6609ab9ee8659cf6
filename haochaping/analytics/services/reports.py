"""Writes of the analytics app: the monthly 通报 (generate, publish, the scheduled run) and its
Word template (upload, back to the default). Every write is audited.

``report_generate`` reads the rollups only (``analytics.reports.snapshot``), draws the charts and
renders both files before its transaction, so the write lock is held only to store the rows.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from haochaping.analytics.models import Report, ReportState, ReportTemplate, RollupRun
from haochaping.analytics.periods import Period
from haochaping.analytics.reports.documents import (
    check_template,
    default_template,
    next_steps,
    render_docx,
    render_xlsx,
)
from haochaping.analytics.reports.snapshot import build_snapshot, report_title, sample_snapshot
from haochaping.analytics.rollups import rollup_refresh
from haochaping.audit.services import Actor, audit_record
from haochaping.core.crypto import sm3_hex
from haochaping.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haochaping.organizations.models import Role, Unit
from haochaping.organizations.selectors import Scope

logger = logging.getLogger(__name__)


def require_report_writer(scope: Scope | None, unit: Unit | None = None) -> None:
    """Only the centre's supervisors generate, publish and edit the template (None: a job)."""
    if scope is None:
        return
    if scope.role != Role.SUPERVISOR:
        raise PermissionDenied("只有督查人员可以生成、印发通报和修改通报模板", code="report_forbidden")
    if unit is not None and not scope.allows_unit(unit):
        raise NotFound("单位不存在或不在您的管理范围内", code="unit_not_found")


def report_template_current() -> ReportTemplate | None:
    return ReportTemplate.objects.order_by("-version").first()


def template_bytes(template: ReportTemplate | None) -> bytes:
    if template is None:
        return default_template()
    with template.file.open("rb") as handle:
        return handle.read()


def doc_number_text(report: Report) -> str:
    return report.number_text or "（草稿，印发时编号）"


def _date_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _files(report: Report, template: bytes, *, date: dt.date) -> tuple[bytes, bytes]:
    number = doc_number_text(report)
    return render_docx(template, report.snapshot, doc_number=number, date_text=_date_text(date)), render_xlsx(
        report.snapshot, doc_number=number
    )


def _file_names(report: Report) -> tuple[str, str]:
    # Stored names only (downloads carry their own); the storage keeps each written file apart.
    base = f"report-{report.unit.code}-{report.period_first:%Y%m%d}-{report.period_last:%Y%m%d}"
    return f"{base}.docx", f"{base}.xlsx"


def _write_files(report: Report, docx: bytes, xlsx: bytes) -> list[str]:
    """Write the files to storage, outside any transaction; their stored names (docx, xlsx)."""
    names = []
    for field, content, name in zip((report.docx, report.xlsx), (docx, xlsx), _file_names(report), strict=True):
        names.append(field.storage.save(field.field.generate_filename(report, name), ContentFile(content)))
    return names


def _attach_files(report: Report, names: list[str], docx: bytes, xlsx: bytes) -> list[str]:
    """Point ``report`` (not saved yet) at the files written; the names of the files they replace."""
    old = [f.name for f in (report.docx, report.xlsx) if f]
    report.docx.name, report.xlsx.name = names
    report.docx_sm3, report.xlsx_sm3 = sm3_hex(docx), sm3_hex(xlsx)
    return old


def _discard(names: list[str]) -> None:
    """Files written for a change that did not commit."""
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)


def _delete_later(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    def delete() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete)


def report_generate(
    *, unit: Unit, period: Period, actor: Actor, scope: Scope | None = None, only_if_missing: bool = False
) -> Report | None:
    """Generate the 通报 of ``unit``'s subtree for ``period``.

    No report yet: version 1 (a draft). The latest version a draft: it is replaced (same version,
    new figures and files). The latest published: the next version, a draft; earlier versions
    stay. ``only_if_missing`` (the scheduled run): nothing happens when any version exists.
    """
    require_report_writer(scope, unit)
    existing = Report.objects.filter(
        unit=unit, period_kind=period.kind, period_first=period.first, period_last=period.last
    )
    if only_if_missing and existing.exists():
        return None
    now = timezone.now()
    template = report_template_current()
    snapshot = build_snapshot(unit, period, generated_at=timezone.localtime(now))
    draft = Report(
        unit=unit,
        period_kind=period.kind,
        period_first=period.first,
        period_last=period.last,
        snapshot=snapshot,
        title=report_title(period),
    )
    docx, xlsx = _files(draft, template_bytes(template), date=timezone.localdate(now))
    snapshot["next_steps"] = next_steps(docx)
    written = _write_files(draft, docx, xlsx)
    try:
        with transaction.atomic():
            latest = existing.select_for_update().order_by("-version").first()
            if latest is not None and latest.state == ReportState.DRAFT:
                report, verb = latest, "regenerated"
            else:
                report = draft
                report.version = latest.version + 1 if latest is not None else 1
                verb = "generated" if latest is None else "new_version"
            report.snapshot, report.title, report.template = snapshot, draft.title, template
            report.generated_at, report.generated_by = now, actor.label
            old = _attach_files(report, written, docx, xlsx)
            report.save()
            _delete_later(old)
            audit_record(
                actor=actor,
                action=f"analytics:report:{verb}",
                target=report,
                data={
                    "unit": unit.code,
                    "period": [period.kind, f"{period.first}", f"{period.last}"],
                    "version": report.version,
                    "docx_sm3": report.docx_sm3,
                    "xlsx_sm3": report.xlsx_sm3,
                },
            )
    except IntegrityError as exc:  # another generation of the same report committed first
        _discard(written)
        raise Conflict("该通报正在由他人生成，请稍后刷新", code="report_busy") from exc
    except BaseException:
        _discard(written)
        raise
    return report


PUBLISH_ATTEMPTS = 3


class _NumberTaken(Exception):
    """The 文号 the files were rendered with was taken meanwhile."""


def _last_number(year: int) -> int:
    return Report.objects.filter(number_year=year).aggregate(last=Max("number"))["last"] or 0


def report_publish(*, report_id: int, actor: Actor, scope: Scope | None = None) -> Report:
    """Publish (印发) a draft: it takes the year's next 文号 and its files are rendered again
    with the number and the date (the figures are the snapshot's, unchanged)."""
    report = Report.objects.select_related("unit", "template").filter(pk=report_id).first()
    if report is None or (scope is not None and not scope.allows_unit(report.unit)):
        raise NotFound("通报不存在或不在您的管理范围内", code="report_not_found")
    require_report_writer(scope, report.unit)
    today = timezone.localdate()
    template = template_bytes(report.template)
    for _attempt in range(PUBLISH_ATTEMPTS):
        # The documents carry the 文号: rendered and written with the next free number outside the
        # transaction, which then takes that number only if it is still the next one.
        number = _last_number(today.year) + 1
        report.number_year, report.number = today.year, number
        docx, xlsx = _files(report, template, date=today)
        written = _write_files(report, docx, xlsx)
        try:
            with transaction.atomic():
                locked = Report.objects.select_for_update().select_related("unit").get(pk=report.pk)
                if locked.state != ReportState.DRAFT:
                    raise Conflict("该通报已印发；如需更正请重新生成新版本", code="report_published")
                newer = Report.objects.filter(
                    unit=locked.unit,
                    period_kind=locked.period_kind,
                    period_first=locked.period_first,
                    period_last=locked.period_last,
                    version__gt=locked.version,
                ).exists()
                if newer:
                    raise Conflict("已有更新的版本，请印发最新版本", code="report_outdated")
                if _last_number(today.year) + 1 != number:
                    raise _NumberTaken
                locked.number_year, locked.number = today.year, number
                locked.state, locked.published_at, locked.published_by = (
                    ReportState.PUBLISHED, timezone.now(), actor.label
                )  # fmt: skip
                old = _attach_files(locked, written, docx, xlsx)
                locked.save()
                _delete_later(old)
                audit_record(
                    actor=actor,
                    action="analytics:report:published",
                    target=locked,
                    data={
                        "number": doc_number_text(locked),
                        "version": locked.version,
                        "docx_sm3": locked.docx_sm3,
                        "xlsx_sm3": locked.xlsx_sm3,
                    },
                )
            return locked
        except (_NumberTaken, IntegrityError):  # the number went to a concurrent publication
            _discard(written)
        except BaseException:
            _discard(written)
            raise
    raise Conflict("文号已被占用，请重试", code="report_number_taken")


def report_template_upload(*, name: str, content: bytes, actor: Actor, scope: Scope | None = None) -> ReportTemplate:
    """A new version of the 通报 template, used from now on. Refused (the current one stays) unless
    it is a .docx that renders the sample data without error."""
    require_report_writer(scope)
    if not name.lower().endswith(".docx"):
        raise ValidationFailed(
            "请上传 .docx 格式的 Word 模板", code="template_invalid", fields={"file": ["请上传 .docx 格式的 Word 模板"]}
        )
    try:
        check_template(content, sample_snapshot())
    except ValidationError as exc:
        message = exc.messages[0]
        raise ValidationFailed(message, code="template_invalid", fields={"file": [message]}) from exc
    with transaction.atomic():
        version = (ReportTemplate.objects.aggregate(last=Max("version"))["last"] or 0) + 1
        template = ReportTemplate(
            version=version, name=name[:200], sm3=sm3_hex(content), uploaded_at=timezone.now(), uploaded_by=actor.label
        )
        template.file.save(f"report-template-v{version}.docx", ContentFile(content), save=False)
        template.save()
        audit_record(
            actor=actor,
            action="analytics:report_template:uploaded",
            target=template,
            data={"version": version, "sm3": template.sm3},
        )
    return template


def report_template_reset(*, actor: Actor, scope: Scope | None = None) -> ReportTemplate:
    """Back to the default template: it becomes the newest version."""
    return report_template_upload(name="默认通报模板.docx", content=default_template(), actor=actor, scope=scope)


def report_generate_due(*, now: dt.datetime | None = None) -> list[Report]:
    """The scheduled run: from ``ANALYTICS_REPORT_HOUR`` on the 1st (or any later day of the
    month, catching up), the previous month's 通报 of every root unit, once (drafts for the
    centre to check and publish). The rollups are refreshed first, so the month is complete."""
    now = timezone.localtime(now or timezone.now())
    if now.day == 1 and now.hour < settings.ANALYTICS_REPORT_HOUR:
        return []
    month = Period.of("month", now.date()).previous()
    roots = list(Unit.objects.filter(parent__isnull=True, is_active=True).order_by("path"))
    missing = [
        u for u in roots if not Report.objects.filter(unit=u, period_kind="month", period_first=month.first).exists()
    ]
    if not missing:
        return []
    rollup_refresh()
    if not RollupRun.objects.filter(finished_at__isnull=False).exists():
        return []
    actor = Actor.job("analytics.monthly_report")
    made = []
    for unit in missing:
        report = report_generate(unit=unit, period=month, actor=actor, only_if_missing=True)
        if report is not None:
            made.append(report)
            logger.info("monthly report generated: unit %s, %s", unit.code, month.label)
    return made
