"""The columns of the 评价记录 Excel export (``views.evaluation_list_export``).

Masked identity only, and the evaluator only for roles that see it on the list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from haochaping.core.pages.excel import EXPORT_CHUNK
from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.selectors import reason_texts_bulk
from haochaping.organizations.selectors import Scope

HEADERS = ["评价时间", "办件编号", "服务序号", "事项", "单位", "工作人员", "工号", "总体评价", "系统默认评价", "理由",
           "评价内容", "渠道", "差评工单"]  # fmt: skip
WIDTHS = [17, 24, 9, 30, 24, 10, 10, 11, 9, 30, 40, 10, 22]
EVALUATOR = ["评价人（脱敏）", "评价人电话（脱敏）"]


def evaluation_export_headers(scope: Scope) -> list[str]:
    return HEADERS + (EVALUATOR if scope.sees_evaluator else [])


def evaluation_export_widths(scope: Scope) -> list[int]:
    return WIDTHS + ([14, 16] if scope.sees_evaluator else [])


def evaluation_export_rows(evaluations: Iterable[Evaluation], scope: Scope) -> Iterator[list[Any]]:
    """One row per rating, read in chunks (the reason texts of a chunk in one query)."""
    source = iter(evaluations)
    while chunk := list(islice(source, EXPORT_CHUNK)):
        reasons = reason_texts_bulk(chunk)
        for evaluation in chunk:
            yield _row(evaluation, reasons.get(evaluation.pk, []), scope)


def _row(evaluation: Evaluation, reasons: list[str], scope: Scope) -> list[Any]:
    record = evaluation.record
    case = getattr(evaluation, "case", None)
    row: list[Any] = [
        evaluation.evaluated_at,
        record.project_no,
        record.service_no,
        record.item.name,
        record.unit.name,
        record.staff.name if record.staff else "",
        record.staff.staff_no if record.staff else "",
        evaluation.get_level_display(),
        "是" if evaluation.is_default else "",
        "；".join(reasons),
        evaluation.text,
        evaluation.get_channel_display(),
        case.number if case else "",
    ]
    if scope.sees_evaluator:
        row += [evaluation.evaluator_name_masked, evaluation.evaluator_phone_masked]
    return row
