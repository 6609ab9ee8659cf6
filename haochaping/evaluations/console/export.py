"""The columns of the 评价记录 Excel export (``views.evaluation_list_export``).

Masked identity only, and the evaluator only for roles that see it on the list.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from django.db.models import QuerySet

from haochaping.core.pages.excel import EXPORT_CHUNK
from haochaping.evaluations.models import Evaluation, masked_evaluator_name, masked_evaluator_phone
from haochaping.evaluations.selectors import reason_texts_of
from haochaping.organizations.selectors import Scope

HEADERS = ["评价时间", "办件编号", "服务序号", "事项", "单位", "工作人员", "工号", "总体评价", "系统默认评价", "理由",
           "评价内容", "渠道", "差评工单"]  # fmt: skip
WIDTHS = [17, 24, 9, 30, 24, 10, 10, 11, 9, 30, 40, 10, 22]
EVALUATOR = ["评价人（脱敏）", "评价人电话（脱敏）"]


def evaluation_export_headers(scope: Scope) -> list[str]:
    return HEADERS + (EVALUATOR if scope.sees_evaluator else [])


def evaluation_export_widths(scope: Scope) -> list[int]:
    return WIDTHS + ([14, 16] if scope.sees_evaluator else [])


# The columns read for a row: plain values of one query, no model instances (an export reads up
# to hundreds of thousands of rows); the evaluator's only for roles that see it.
_COLUMNS = ("pk", "indicator_set_id", "reasons", "evaluated_at", "record__project_no", "record__service_no",
            "record__item__name", "record__unit__name", "record__staff__name", "record__staff__staff_no", "level",
            "is_default", "text", "channel", "case__number")  # fmt: skip
_EVALUATOR_COLUMNS = ("evaluator_name", "evaluator_phone", "record__applicant_name_masked",
                      "record__applicant_phone_masked")  # fmt: skip


def evaluation_export_rows(evaluations: QuerySet[Evaluation], scope: Scope) -> Iterator[list[Any]]:
    """One row per rating of ``evaluations`` (the list's filtered queryset, in its order), read in
    chunks of ``EXPORT_CHUNK`` (the reason texts of a chunk in one query)."""
    levels = dict(Evaluation._meta.get_field("level").flatchoices)
    channels = dict(Evaluation._meta.get_field("channel").flatchoices)
    columns = _COLUMNS + (_EVALUATOR_COLUMNS if scope.sees_evaluator else ())
    source = evaluations.values_list(*columns).iterator(chunk_size=EXPORT_CHUNK)
    while chunk := list(islice(source, EXPORT_CHUNK)):
        reasons = reason_texts_of((values[0], values[1], values[2]) for values in chunk)
        for values in chunk:
            pk, _set, _codes, evaluated_at, project_no, service_no, item, unit, staff, staff_no = values[:10]
            level, is_default, text, channel, case_number = values[10:15]
            row: list[Any] = [evaluated_at, project_no, service_no, item, unit, staff, staff_no,
                              levels.get(level, level), "是" if is_default else "", "；".join(reasons[pk]), text,
                              channels.get(channel, channel), case_number]  # fmt: skip
            if scope.sees_evaluator:
                name, phone, applicant_name, applicant_phone = values[15:]
                row += [masked_evaluator_name(name, applicant_name), masked_evaluator_phone(phone, applicant_phone)]
            yield row
