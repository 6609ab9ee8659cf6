"""The columns of the 办件服务 Excel export (``views.record_list_export``).

Masked identity only, and the applicant only for roles that see it on the list (the applicant
is usually the evaluator: a window clerk must not be able to join the two).
"""

from __future__ import annotations

from typing import Any

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


def record_export_row(record: ServiceRecord, scope: Scope) -> list[Any]:
    row: list[Any] = [
        record.project_no,
        record.service_no,
        record.item.name,
        record.unit.name,
        record.window.name if record.window else "",
        record.staff.name if record.staff else "",
        record.staff.staff_no if record.staff else "",
        record.get_stage_display(),
        record.get_mode_display(),
        record.accepted_at,
        record.finished_at,
        record.created_at,
        "已评价" if hasattr(record, "evaluation") else "未评价",
    ]
    if scope.sees_evaluator:
        row += [record.applicant_name_masked, record.applicant_phone_masked]
    return row
