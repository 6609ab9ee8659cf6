"""Reads for ratings, always through a Scope; identity is only ever shown masked."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from haochaping.core.errors import NotFound
from haochaping.evaluations.models import Evaluation, Indicator
from haochaping.organizations.selectors import Scope


def evaluation_list(
    *,
    scope: Scope,
    unit_code: str | None = None,
    level: int | None = None,
    channel: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    system_id: int | None = None,
    project_no: str | None = None,
    bad_only: bool = False,
) -> QuerySet[Evaluation]:
    qs = scope.filter(
        Evaluation.objects.select_related(
            "record", "record__unit", "record__item", "record__staff", "record__window", "case"
        ),
        unit_field="record__unit",
        staff_field="record__staff_id",
    )
    if unit_code:
        qs = qs.filter(record__unit__path__contains=f"/{unit_code}/")
    if level:
        qs = qs.filter(level=level)
    if bad_only:
        qs = qs.filter(level__lte=2)
    if channel:
        qs = qs.filter(channel=channel)
    if date_from:
        qs = qs.filter(evaluated_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(evaluated_at__date__lte=date_to)
    if system_id is not None:
        # A business system sees what it pushed or rated itself, nothing else.
        qs = qs.filter(Q(record__system_id=system_id) | Q(system_id=system_id))
    if project_no:
        qs = qs.filter(record__project_no=project_no)
    return qs


def evaluation_get_for(*, scope: Scope, pk: int, system_id: int | None = None) -> Evaluation:
    evaluation = evaluation_list(scope=scope, system_id=system_id).filter(pk=pk).first()
    if evaluation is None:
        raise NotFound("评价不存在或无权查看", code="evaluation_not_found")
    return evaluation


def reason_texts(evaluation: Evaluation) -> list[str]:
    """The human text of each reason code the rating cites, in order."""
    by_code = dict(
        Indicator.objects.filter(indicator_set_id=evaluation.indicator_set_id, code__in=evaluation.reasons).values_list(
            "code", "text"
        )
    )
    return [by_code.get(code, code) for code in evaluation.reasons]
