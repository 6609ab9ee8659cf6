"""The columns of the work queue's Excel export (``views.case_list_export``).

Masked identity only, and the evaluator only for roles that see it on the case page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from haochaping.core.pages.excel import EXPORT_CHUNK
from haochaping.evaluations.models import Evaluation, masked_evaluator_name, masked_evaluator_phone
from haochaping.organizations.selectors import Scope
from haochaping.rectification.models import DEADLINE_STATES, RectificationCase

HEADERS = ["工单编号", "状态", "责任单位", "事项", "办件编号", "服务序号", "差评等级", "生成时间", "整改期限",
           "是否逾期", "督办单位", "办结时间"]  # fmt: skip
WIDTHS = [22, 14, 24, 30, 24, 9, 11, 17, 17, 9, 20, 17]
EVALUATOR = ["评价人（脱敏）", "评价人电话（脱敏）"]


def case_export_headers(scope: Scope) -> list[str]:
    return HEADERS + (EVALUATOR if scope.sees_evaluator else [])


def case_export_widths(scope: Scope) -> list[int]:
    return WIDTHS + ([14, 16] if scope.sees_evaluator else [])


# The columns read for a row: plain values of one query, no model instances (an export reads up
# to hundreds of thousands of rows); the evaluator's only for roles that see it.
_COLUMNS = ("number", "state", "unit__name", "evaluation__record__item__name", "evaluation__record__project_no",
            "evaluation__record__service_no", "evaluation__level", "opened_at", "due_at", "escalated_to__name",
            "closed_at", "evaluation_id")  # fmt: skip
_EVALUATOR_COLUMNS = (
    "evaluation__evaluator_name",
    "evaluation__evaluator_phone",
    "evaluation__record__applicant_name_masked",
    "evaluation__record__applicant_phone_masked",
)


def case_export_rows(cases: QuerySet[RectificationCase], scope: Scope, now: dt.datetime) -> Iterator[list[Any]]:
    """One row per case of ``cases`` (the queue's filtered queryset, in its order), read in chunks
    of ``EXPORT_CHUNK``."""
    states = dict(RectificationCase._meta.get_field("state").flatchoices)
    levels = dict(Evaluation._meta.get_field("level").flatchoices)
    deadline_states = {str(state) for state in DEADLINE_STATES}
    columns = _COLUMNS + (_EVALUATOR_COLUMNS if scope.sees_evaluator else ())
    for values in cases.values_list(*columns).iterator(chunk_size=EXPORT_CHUNK):
        number, state, unit, item, project_no, service_no, level, opened_at, due_at, escalated_to, closed_at = values[
            :11
        ]
        overdue = state in deadline_states and due_at < now
        row: list[Any] = [number, states.get(state, state), unit, item, project_no, service_no,
                          levels.get(level, level), opened_at, due_at, "逾期" if overdue else "", escalated_to,
                          closed_at]  # fmt: skip
        if scope.sees_evaluator:
            if values[11] is None:  # no rating
                row += ["", ""]
            else:
                name, phone, applicant_name, applicant_phone = values[12:]
                row += [masked_evaluator_name(name, applicant_name), masked_evaluator_phone(phone, applicant_phone)]
        yield row
