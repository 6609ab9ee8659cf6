"""Staff pages of service records (办件服务): the scoped list with its filter bar."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from haochaping.core.pages.excel import ListExport, export_stamp
from haochaping.core.pages.paging import page_of
from haochaping.organizations.models import Role
from haochaping.organizations.pages import RATING_REQUEST_ROLES, console_page, record_export
from haochaping.organizations.selectors import Scope, tablet_list_for, tablet_window_ids, unit_list
from haochaping.service_records.console.export import record_export_headers, record_export_rows, record_export_widths
from haochaping.service_records.console.forms import RecordFilterForm
from haochaping.service_records.models import ServiceRecord
from haochaping.service_records.selectors import record_ids_awaiting_rating, service_record_list


def _filtered(request, scope: Scope, *, paged: bool = False) -> tuple[RecordFilterForm, QuerySet[ServiceRecord]]:
    form = RecordFilterForm(request.GET, units=list(unit_list(scope=scope)))
    filters = form.values()
    records = service_record_list(
        scope=scope,
        unit_code=filters.get("unit"),
        project_no=(filters.get("project_no") or "").strip() or None,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        paged=paged,
    )
    for name, lookup in (("window_code", "window__code"), ("staff_no", "staff__staff_no"), ("item_code", "item__code")):
        if filters.get(name):
            records = records.filter(**{lookup: filters[name].strip()})
    return form, records


@console_page
def record_list(request, scope: Scope):
    form, records = _filtered(request, scope, paged=True)
    page = page_of(request, records)
    context = {"nav": "records", "form": form, "page_obj": page, "export_url": reverse("console:record_list_export")}
    # The applicant is usually the evaluator: a clerk must not be able to join the two.
    context["sees_applicant"] = scope.sees_evaluator
    # 请评价 (evaluations/console/tablet.py): for unrated services of windows with a paired tablet.
    can_request = scope.role in RATING_REQUEST_ROLES
    window_ids = {r.window_id for r in page.object_list}
    context["tablet_windows"] = tablet_window_ids(window_ids=window_ids) if can_request else set()
    context["awaiting_rating"] = (
        record_ids_awaiting_rating(record_ids={r.pk for r in page.object_list}) if can_request else set()
    )
    # 暂停服务 / 恢复服务 of the clerk's own window tablet (admins use the device pages).
    context["my_tablets"] = list(tablet_list_for(scope=scope)) if scope.role == Role.WINDOW_CLERK else []
    return render(request, "service_records/records.html", context)


@console_page
@require_GET
def record_list_export(request, scope: Scope):
    """The filtered services as Excel: the same rows as the list, masked identity only."""
    form, records = _filtered(request, scope)
    export = ListExport(
        title="办件服务",
        headers=record_export_headers(scope),
        rows=record_export_rows(records, scope),
        widths=record_export_widths(scope),
    )
    record_export(request, action="service_records:service_record:exported", form=form, rows=export.rows)
    stamp = export_stamp()
    return export.response(filename=f"办件服务_{stamp}.xlsx", fallback=f"service-records-{stamp}.xlsx")
