"""The columns of the 办件服务 Excel export (``views.record_list_export``).

Masked identity only, and the applicant only for roles that see it on the list (the applicant
is usually the evaluator: a window clerk must not be able to join the two).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from haochaping.core.pages.excel import EXPORT_CHUNK
from haochaping.organizations.selectors import Scope
from haochaping.service_records.models import ServiceRecord

HEADERS = ["办件编号", "服务序号", "事项", "办理单位", "窗口", "工作人员", "工号", "服务环节", "办理渠道", "受理时间",
           "办结时间", "接收时间", "是否已评价"]  # fmt: skip
WIDTHS = [24, 9, 30, 24, 16, 10, 10, 9, 9, 17, 17, 17, 10]
APPLICANT = ["申请人（脱敏）", "联系电话（脱敏）"]


def record_export_headers(scope: Scope) -> list[str]:
    return HEADERS + (APPLICANT if scope.sees_evaluator else [])


def record_export_widths(scope: Scope) -> list[int]:
    return WIDTHS + ([14, 16] if scope.sees_evaluator else [])


# The columns read for a row, in the order of HEADERS (then the masked applicant): plain values
# of one query, no model instances (an export reads up to hundreds of thousands of rows).
_COLUMNS = ("project_no", "service_no", "item__name", "unit__name", "window__name", "staff__name", "staff__staff_no",
            "stage", "mode", "accepted_at", "finished_at", "created_at", "evaluation__id")  # fmt: skip
_APPLICANT_COLUMNS = ("applicant_name_masked", "applicant_phone_masked")
_STAGE, _MODE, _RATED = _COLUMNS.index("stage"), _COLUMNS.index("mode"), _COLUMNS.index("evaluation__id")


def record_export_rows(records: QuerySet[ServiceRecord], scope: Scope) -> Iterator[list[Any]]:
    """One row per service of ``records`` (the list's filtered queryset, in its order), read in
    chunks of ``EXPORT_CHUNK``."""
    stages = dict(ServiceRecord._meta.get_field("stage").flatchoices)
    modes = dict(ServiceRecord._meta.get_field("mode").flatchoices)
    columns = _COLUMNS + (_APPLICANT_COLUMNS if scope.sees_evaluator else ())
    for values in records.values_list(*columns).iterator(chunk_size=EXPORT_CHUNK):
        row = list(values)
        row[_STAGE] = stages.get(row[_STAGE], row[_STAGE])
        row[_MODE] = modes.get(row[_MODE], row[_MODE])
        row[_RATED] = "未评价" if row[_RATED] is None else "已评价"
        yield row
