"""Staff pages of service records (办件服务): the scoped list with its filter bar."""

from __future__ import annotations

from django.shortcuts import render

from haochaping.core.pages.paging import page_of
from haochaping.organizations.models import Role
from haochaping.organizations.pages import RATING_REQUEST_ROLES, console_page
from haochaping.organizations.selectors import Scope, tablet_list_for, tablet_window_ids, unit_list
from haochaping.service_records.console.forms import RecordFilterForm
from haochaping.service_records.selectors import record_ids_awaiting_rating, service_record_list


@console_page
def record_list(request, scope: Scope):
    form = RecordFilterForm(request.GET, units=list(unit_list(scope=scope)))
    filters = form.values()
    records = service_record_list(
        scope=scope,
        unit_code=filters.get("unit"),
        project_no=(filters.get("project_no") or "").strip() or None,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = page_of(request, records)
    context = {"nav": "records", "form": form, "page_obj": page}
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
