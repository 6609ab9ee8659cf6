"""Staff pages of ratings: the scoped list with its filter bar, one rating."""

from __future__ import annotations

from django import forms
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from haochaping.core.filters import with_aliases
from haochaping.core.pages.excel import ListExport, export_stamp
from haochaping.core.pages.paging import page_of
from haochaping.evaluations.choices import Dimension
from haochaping.evaluations.console.export import (
    evaluation_export_headers,
    evaluation_export_rows,
    evaluation_export_widths,
)
from haochaping.evaluations.filters import EvaluationFilter
from haochaping.evaluations.selectors import evaluation_get_for, evaluation_list, reason_texts, reason_texts_bulk
from haochaping.organizations.pages import console_page, record_export
from haochaping.organizations.selectors import Scope, business_system_list, unit_list


def _filtered(request, scope: Scope) -> EvaluationFilter:
    filters = EvaluationFilter(
        with_aliases(request.GET, {"unit": "unit_code"}),  # ?unit= of older links and bookmarks
        queryset=evaluation_list(scope=scope, paged=True),
        units=unit_list(scope=scope),
    )
    # A box to tick (sent as "on"), as the work queue's 已逾期; the API's flag is typed (true/false).
    filters.form.fields["invalid"].widget = forms.CheckboxInput()
    # The API takes a system's number; a person picks it by name among the systems they may see
    # (none for a clerk, who then has no such filter).
    systems = [(str(pk), name) for pk, name in business_system_list(scope=scope).values_list("pk", "name")]
    if systems:
        filters.form.fields["system"] = forms.TypedChoiceField(
            label="业务系统", choices=[("", "全部业务系统"), *systems], coerce=int, empty_value=None, required=False
        )
    else:
        del filters.form.fields["system"]
    return filters


@console_page
def evaluation_list_view(request, scope: Scope):
    filters = _filtered(request, scope)
    evaluations = filters.qs
    page = page_of(request, evaluations)
    context = {
        "nav": "evaluations",
        "form": filters.form,
        "page_obj": page,
        "reason_texts": reason_texts_bulk(page.object_list),
        "sees_evaluator": scope.sees_evaluator,
        "export_url": reverse("console:evaluation_list_export"),
    }
    return render(request, "evaluations/evaluations.html", context)


@console_page
@require_GET
def evaluation_list_export(request, scope: Scope):
    """The filtered ratings as Excel: the same rows as the list, masked identity only."""
    filters = _filtered(request, scope)
    export = ListExport(
        title="评价记录",
        headers=evaluation_export_headers(scope),
        rows=evaluation_export_rows(filters.qs, scope),
        widths=evaluation_export_widths(scope),
    )
    record_export(request, action="evaluations:evaluation:exported", form=filters.form, rows=export.rows)
    stamp = export_stamp()
    return export.response(filename=f"评价记录_{stamp}.xlsx", fallback=f"evaluations-{stamp}.xlsx")


@console_page
def evaluation_detail(request, scope: Scope, pk: int):
    evaluation = evaluation_get_for(scope=scope, pk=pk)
    dimensions = [(d.label, getattr(evaluation, d.value)) for d in Dimension]
    context = {
        "nav": "evaluations",
        "evaluation": evaluation,
        "record": evaluation.record,
        "case": getattr(evaluation, "case", None),
        "reasons": reason_texts(evaluation),
        "dimensions": dimensions,
        "sees_evaluator": scope.sees_evaluator,
        "now": timezone.now(),
    }
    return render(request, "evaluations/evaluation_detail.html", context)
