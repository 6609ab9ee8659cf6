"""Service-record intake for business systems: one record or a batch of up to 1,000; the item
catalogue (GET /items)."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from pydantic import ValidationError as PydanticValidationError
from pydantic import field_validator

from haochaping.audit.services import Actor
from haochaping.core.api_errors import READ, WRITE, error_responses, pydantic_fields
from haochaping.core.errors import ApplicationError, ValidationFailed
from haochaping.core.pagination import Pagination
from haochaping.core.timeutil import aware
from haochaping.organizations.api_auth import api_write
from haochaping.organizations.selectors import scope_for_system
from haochaping.service_records.choices import ApplicantKind, HandlingMode, IdType, Stage
from haochaping.service_records.selectors import item_list
from haochaping.service_records.services import (
    RecordInput,
    rating_link_for,
    service_record_push,
    service_record_push_batch,
)

router = Router(tags=["办件"])


class RecordIn(Schema):
    project_no: str = Field(..., min_length=1, max_length=50, description="办件编号（≤50 位）")
    service_no: int = Field(1, ge=1, le=9999, description="服务次数：同一办件的第几次服务，每次服务可评价一次")
    stage: Stage = Field(..., description="服务环节：1 咨询预约 2 申请受理 3 审查决定 4 结果送达")
    item_code: str = Field(..., min_length=1, max_length=24, description="事项实施编码")
    unit_code: str = Field(..., min_length=1, max_length=40, description="办理单位编码（GET /units）")
    window_code: str | None = Field(None, max_length=40, description="窗口编码（线下办理时）")
    staff_no: str | None = Field(None, max_length=32, description="窗口工作人员工号")
    mode: HandlingMode = Field(..., description="办理渠道：online 线上 / offline 线下")
    applicant_kind: ApplicantKind = Field(..., description="申请人类型：1 自然人 2 企业法人 …")
    applicant_name: str = Field(..., min_length=1, max_length=100, description="申请人姓名或单位名称")
    applicant_id_type: IdType = Field(..., description="证件类型：111 身份证 001 统一社会信用代码 …")
    applicant_id_number: str = Field(..., min_length=4, max_length=40, description="证件号码")
    applicant_phone: str = Field("", max_length=20, pattern=r"^[0-9+\-]*$", description="联系电话")
    accepted_at: dt.datetime | None = Field(None, description="受理时间（ISO 8601，无时区视为北京时间）")
    finished_at: dt.datetime | None = Field(None, description="办结时间")
    promised_days: int | None = Field(None, ge=0, le=3650, description="承诺时限（工作日）")

    @field_validator("project_no", "item_code", "unit_code", "applicant_name", "applicant_id_number")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("empty")
        return value

    def to_input(self) -> RecordInput:
        return RecordInput(
            project_no=self.project_no,
            service_no=self.service_no,
            stage=self.stage.value,
            item_code=self.item_code,
            unit_code=self.unit_code,
            window_code=self.window_code or None,
            staff_no=self.staff_no or None,
            mode=self.mode.value,
            applicant_kind=self.applicant_kind.value,
            applicant_name=self.applicant_name,
            applicant_id_type=self.applicant_id_type.value,
            applicant_id_number=self.applicant_id_number.upper(),
            applicant_phone=self.applicant_phone,
            accepted_at=aware(self.accepted_at),
            finished_at=aware(self.finished_at),
            promised_days=self.promised_days,
        )


class RecordOut(Schema):
    id: int
    project_no: str
    service_no: int
    created: bool
    rated: bool
    rating_url: str


class BatchIn(Schema):
    records: list[dict[str, Any]] = Field(
        ...,
        min_length=1,
        max_length=settings.API_BATCH_MAX,
        description=f"办件数组，每批 1–{settings.API_BATCH_MAX} 条",
    )


class BatchItemOut(Schema):
    index: int
    status: int
    id: int | None = None
    project_no: str | None = None
    service_no: int | None = None
    rating_url: str | None = None
    error: dict[str, Any] | None = None


class BatchOut(Schema):
    created: int
    existing: int
    failed: int
    results: list[BatchItemOut]


def _record_out(record, created: bool) -> dict[str, Any]:
    return {
        "id": record.pk,
        "project_no": record.project_no,
        "service_no": record.service_no,
        "created": created,
        "rated": hasattr(record, "evaluation"),
        "rating_url": rating_link_for(record),
    }


@router.post(
    "/service-records",
    response={200: RecordOut, 201: RecordOut, **error_responses(*WRITE, 403)},
    summary="推送一条办件服务（幂等：重复推送返回已有记录）",
)
def push_record(request: HttpRequest, payload: RecordIn):
    with api_write(request):
        result = service_record_push(
            system=request.system,
            actor=Actor.for_system(request.system),
            scope=scope_for_system(request.system),
            data=payload.to_input(),
        )
    return (201 if result.created else 200), _record_out(result.record, result.created)


@router.post(
    "/service-records/batch",
    response={200: BatchOut, **error_responses(400, 401, 422)},
    summary="批量推送办件服务（每批最多 1000 条，逐条返回结果）",
)
def push_batch(request: HttpRequest, payload: BatchIn):
    system = request.system
    parsed: dict[int, RecordInput] = {}
    results: list[dict[str, Any]] = []
    for index, raw in enumerate(payload.records):
        try:
            parsed[index] = RecordIn.model_validate(raw).to_input()
        except PydanticValidationError as exc:
            err = ValidationFailed(fields=pydantic_fields(exc.errors()))
            results.append({"index": index, "status": 422, "error": err.as_dict()["error"]})
    with api_write(request):
        pushed = service_record_push_batch(
            system=system, actor=Actor.for_system(system), scope=scope_for_system(system), items=list(parsed.values())
        )
    indexes = list(parsed.keys())
    for outcome in pushed:
        index = indexes[outcome.index]
        if outcome.record is not None:
            out = _record_out(outcome.record, outcome.status == 201)
            results.append(
                {
                    "index": index,
                    "status": outcome.status,
                    "id": out["id"],
                    "project_no": out["project_no"],
                    "service_no": out["service_no"],
                    "rating_url": out["rating_url"],
                }
            )
        else:
            error: ApplicationError = outcome.error  # type: ignore[assignment]
            results.append({"index": index, "status": error.status, "error": error.as_dict()["error"]})
    results.sort(key=lambda r: r["index"])
    return {
        "created": sum(1 for r in results if r["status"] == 201),
        "existing": sum(1 for r in results if r["status"] == 200),
        "failed": sum(1 for r in results if r["status"] >= 400),
        "results": results,
    }


class ItemOut(Schema):
    code: str
    name: str
    item_type: str
    item_type_label: str
    department_code: str = Field(..., alias="department.code")
    online: bool
    offline: bool
    promised_days: int | None

    @staticmethod
    def resolve_item_type_label(obj) -> str:
        return obj.get_item_type_display()


# Reference data, listed with the units (GET /units) in the API documentation.
@router.get(
    "/items", response={200: list[ItemOut], **error_responses(*READ)}, summary="政务服务事项目录", tags=["参考数据"]
)
@paginate(Pagination)
def items(request):
    return item_list()
