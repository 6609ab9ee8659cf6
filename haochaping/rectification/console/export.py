"""The columns of the work queue's Excel export (``views.case_list_export``).

Masked identity only, and the evaluator only for roles that see it on the case page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

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


def case_export_row(case: RectificationCase, scope: Scope, now: dt.datetime) -> list[Any]:
    evaluation = case.evaluation
    record = evaluation.record if evaluation else None
    overdue = case.state in DEADLINE_STATES and case.due_at < now
    row: list[Any] = [
        case.number,
        case.get_state_display(),
        case.unit.name,
        record.item.name if record else "",
        record.project_no if record else "",
        record.service_no if record else "",
        evaluation.get_level_display() if evaluation else "",
        case.opened_at,
        case.due_at,
        "逾期" if overdue else "",
        case.escalated_to.name if case.escalated_to else "",
        case.closed_at,
    ]
    if scope.sees_evaluator:
        row += [evaluation.evaluator_name_masked, evaluation.evaluator_phone_masked] if evaluation else ["", ""]
    return row
