"""Rectification cases for business systems that handle them in their own UI.

Same rules and audit as the console: a system acts as its unit (department-admin steps only);
supervision steps stay with the centre's supervisors.
"""

import base64
import binascii
import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from haochaping.core.api_errors import READ, READ_ONE, WRITE, error_responses
from haochaping.core.errors import ValidationFailed
from haochaping.core.filters import api_filter, openapi_parameters
from haochaping.core.pagination import Pagination
from haochaping.organizations.api_auth import api_write
from haochaping.organizations.selectors import caller_for_system, scope_for_system
from haochaping.rectification.attachments import MAX_FILES, file_name_problem
from haochaping.rectification.filters import CaseFilter
from haochaping.rectification.selectors import case_get_for, case_list
from haochaping.rectification.services import MAX_TEXT, StepInput, case_transition
from haochaping.rectification.workflow import Action, allowed_actions

router = Router(tags=["差评工单"])


class CaseStepOut(Schema):
    action: str
    from_state: str
    to_state: str
    actor: str = Field(..., alias="actor_label")
    occurred_at: dt.datetime
    text: str
    data: dict


class CaseOut(Schema):
    id: int
    number: str
    state: str
    state_label: str
    unit_code: str = Field(..., alias="unit.code")
    project_no: str | None = Field(None, alias="evaluation.record.project_no")
    service_no: int | None = Field(None, alias="evaluation.record.service_no")
    level: int | None = Field(None, alias="evaluation.level")
    opened_at: dt.datetime
    due_at: dt.datetime
    original_due_at: dt.datetime | None
    overdue: bool
    escalated_at: dt.datetime | None
    closed_at: dt.datetime | None
    allowed_actions: list[str]

    @staticmethod
    def resolve_state_label(obj) -> str:
        return obj.get_state_display()

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return obj.overdue_at is not None and obj.is_open

    @staticmethod
    def resolve_allowed_actions(obj, context) -> list[str]:
        caller = caller_for_system(context["request"].system)
        return [t.action.value for t in allowed_actions(obj.state, caller.role)]


class CaseDetailOut(CaseOut):
    timeline: list[CaseStepOut]

    @staticmethod
    def resolve_timeline(obj):
        return list(obj.actions.order_by("occurred_at", "id"))


class AttachmentIn(Schema):
    name: str = Field(..., max_length=200, description="文件名（含扩展名）")
    content_base64: str = Field(..., description="文件内容，Base64 编码")


class TransitionIn(Schema):
    action: Action = Field(
        ..., description="操作：verify / request_invalid / request_extension / rectify / feed_back …"
    )
    text: str = Field("", max_length=MAX_TEXT, description="核实情况、整改措施、反馈内容等")
    new_due: dt.date | None = Field(None, description="申请延期时的新整改期限")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=MAX_FILES)


def _files(attachments: list[AttachmentIn]) -> list[SimpleUploadedFile]:
    files = []
    for i, item in enumerate(attachments):
        # Checked before Django sees the name: it refuses "", ".", ".." with SuspiciousFileOperation.
        if problem := file_name_problem(item.name):
            raise ValidationFailed(fields={f"attachments.{i}.name": [problem]})
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationFailed(fields={f"attachments.{i}": ["不是合法的 Base64 内容"]}) from exc
        files.append(SimpleUploadedFile(item.name, content))
    return files


@router.get(
    "/cases",
    response={200: list[CaseOut], **error_responses(*READ)},
    summary="差评工单列表（本系统所属单位范围）",
    openapi_extra={"parameters": openapi_parameters(CaseFilter)},
)
@paginate(Pagination)
def list_cases(request: HttpRequest):
    return api_filter(CaseFilter, request.GET, case_list(scope=scope_for_system(request.system)))


@router.get(
    "/cases/{case_id}",
    response={200: CaseDetailOut, **error_responses(*READ_ONE)},
    summary="差评工单详情（含处理时间线）",
)
def get_case(request: HttpRequest, case_id: int):
    return case_get_for(scope=scope_for_system(request.system), pk=case_id)


@router.post(
    "/cases/{case_id}/transitions",
    response={200: CaseDetailOut, **error_responses(*WRITE, 403, 404)},
    summary="执行工单处理步骤",
)
def transition(request: HttpRequest, case_id: int, payload: TransitionIn):
    caller = caller_for_system(request.system)
    data = StepInput(text=payload.text, new_due=payload.new_due, files=_files(payload.attachments))
    with api_write(request):
        case = case_transition(caller=caller, case_id=case_id, action=payload.action, data=data)
    return case_get_for(scope=caller.scope, pk=case.pk)
