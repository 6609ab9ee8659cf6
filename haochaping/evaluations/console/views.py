"""Staff pages of ratings: the scoped list with its filter bar, one rating."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone

from haochaping.core.filters import with_aliases
from haochaping.core.pages.paging import page_of
from haochaping.evaluations.choices import Dimension
from haochaping.evaluations.filters import EvaluationFilter
from haochaping.evaluations.selectors import evaluation_get_for, evaluation_list, reason_texts, reason_texts_bulk
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope, unit_list


@console_page
def evaluation_list_view(request, scope: Scope):
    filters = EvaluationFilter(
        with_aliases(request.GET, {"unit": "unit_code"}),  # ?unit= of older links and bookmarks
        queryset=evaluation_list(scope=scope),
        units=unit_list(scope=scope),
    )
    evaluations = filters.qs
    page = page_of(request, evaluations)
    context = {
        "nav": "evaluations",
        "form": filters.form,
        "page_obj": page,
        "reason_texts": reason_texts_bulk(page.object_list),
        "sees_evaluator": scope.sees_evaluator,
    }
    return render(request, "evaluations/evaluations.html", context)


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
