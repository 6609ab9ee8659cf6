"""Ratings for business systems: submit one (through ``services.rating_receive``), read one, list
with filters, ask a window tablet to show the rating screen (POST /rating-requests)."""

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from haochaping.audit.services import Actor
from haochaping.core.api_errors import READ, READ_ONE, WRITE, error_responses
from haochaping.core.api_render import json_response
from haochaping.core.filters import api_filter, openapi_parameters
from haochaping.core.pagination import Pagination
from haochaping.core.timeutil import aware
from haochaping.evaluations.attribution import auto_attribution
from haochaping.evaluations.choices import DIMENSION_FIELDS, Channel, Level
from haochaping.evaluations.filters import EvaluationFilter
from haochaping.evaluations.selectors import evaluation_get_for, evaluation_list, record_for_rating
from haochaping.evaluations.services import RatingInput
from haochaping.evaluations.tablet import rating_request_create
from haochaping.intake.services import RatingContext, ReceivedRating, rating_receive
from haochaping.organizations.api_auth import SignedRequestWrite, api_write
from haochaping.organizations.selectors import scope_for_system

router = Router(tags=["评价"])

LEVEL_HELP = "5 非常满意 / 4 满意 / 3 基本满意 / 2 不满意 / 1 非常不满意"


class DimensionsIn(Schema):
    commitment: Level | None = Field(None, description="承诺履行")
    attitude: Level | None = Field(None, description="服务态度")
    materials: Level | None = Field(None, description="申请材料")
    efficiency: Level | None = Field(None, description="办事效率")
    trips: Level | None = Field(None, description="跑趟次数")
    mechanism: Level | None = Field(None, description="服务机制")
    integrity: Level | None = Field(None, description="勤政廉洁")

    model_config = {"extra": "forbid"}


class EvaluatorIn(Schema):
    name: str = Field("", max_length=100)
    phone: str = Field("", max_length=20, pattern=r"^[0-9+\-]*$")


class EvaluationIn(Schema):
    project_no: str = Field(..., min_length=1, max_length=50)
    service_no: int = Field(1, ge=1, le=9999)
    level: Level = Field(..., description=LEVEL_HELP)
    dimensions: DimensionsIn = Field(default_factory=DimensionsIn, description="分项评价（可选）")
    reasons: list[str] = Field(default_factory=list, max_length=20, description="评价理由编码（指标体系）")
    text: str = Field("", max_length=500, description="文字评价，≤500 字")
    channel: Channel = Field(..., description="评价渠道 1 PC 2 移动端 3 二维码 4 评价器 5 自助终端 6 电话 7 短信")
    evaluated_at: dt.datetime | None = Field(None, description="评价时间，缺省为接收时间")
    evaluator: EvaluatorIn | None = Field(None, description="评价人（缺省为办件申请人）")
    client_key: str = Field("", max_length=64, description="客户端幂等键（可选）")


class RatingCaseOut(Schema):
    """The case a bad rating opened (GET /api/v1/cases/{id} has the whole case)."""

    id: int = Field(..., description="工单 ID：GET /api/v1/cases/{id} 查看工单详情")
    number: str
    state: str
    state_label: str
    due_at: dt.datetime

    @staticmethod
    def resolve_state_label(obj) -> str:
        return obj.get_state_display()


class AttributionOut(Schema):
    """The automatic attribution of a text-only bad rating (the citizen chose no dimension)."""

    dimension: str = Field(
        ..., description="评价维度字段名：commitment/attitude/materials/efficiency/trips/mechanism/integrity"
    )
    reason: str | None = Field(None, description="评价理由编码（指标体系），无法判断时为 null")
    evidence: list[str] = Field(..., description="依据的关键词")
    source: str = Field("auto", description="auto：系统自动归因（不改变评价人的选择）")


class EvaluationOut(Schema):
    id: int
    project_no: str = Field(..., alias="record.project_no")
    service_no: int = Field(..., alias="record.service_no")
    level: int
    level_label: str
    dimensions: dict[str, int | None]
    reasons: list[str]
    text: str
    channel: int
    channel_label: str
    evaluator_name: str = Field(..., alias="evaluator_name_masked", description="脱敏后的评价人")
    evaluator_phone: str = Field(..., alias="evaluator_phone_masked", description="脱敏后的电话")
    evaluated_at: dt.datetime
    received_at: dt.datetime
    case: RatingCaseOut | None = Field(None, description="该评价产生的差评工单（仅“不满意”“非常不满意”）")
    attribution: AttributionOut | None = Field(
        None, description="自动归因：仅对只有文字、未选维度和理由的差评给出（source=auto），否则为 null"
    )

    @staticmethod
    def resolve_level_label(obj) -> str:
        return obj.get_level_display()

    @staticmethod
    def resolve_channel_label(obj) -> str:
        return obj.get_channel_display()

    @staticmethod
    def resolve_dimensions(obj) -> dict[str, int | None]:
        return {name: getattr(obj, name) for name in DIMENSION_FIELDS}

    @staticmethod
    def resolve_case(obj):
        return getattr(obj, "case", None)

    @staticmethod
    def resolve_attribution(obj):
        return _attribution(obj)


def _attribution(evaluation) -> dict | None:
    return auto_attribution(
        level=evaluation.level,
        text=evaluation.text,
        dimensions={name: getattr(evaluation, name) for name in DIMENSION_FIELDS},
        reasons=evaluation.reasons,
    )


@router.post(
    "/evaluations",
    response={200: EvaluationOut, 201: EvaluationOut, **error_responses(*WRITE, 404, 503)},
    summary="提交评价（每次服务仅能评价一次；带相同 client_key 的重发返回原评价 200）",
)
def submit(request: HttpRequest, payload: EvaluationIn):
    system = request.system
    target = record_for_rating(scope=scope_for_system(system), project_no=payload.project_no,
                               service_no=payload.service_no)  # fmt: skip
    evaluator = payload.evaluator or EvaluatorIn()
    data = RatingInput(
        level=int(payload.level),
        channel=int(payload.channel),
        dimensions={k: (int(v) if v is not None else None) for k, v in payload.dimensions.dict().items()},
        reasons=payload.reasons,
        text=payload.text,
        evaluated_at=aware(payload.evaluated_at),
        evaluator_name=evaluator.name,
        evaluator_phone=evaluator.phone,
        client_key=payload.client_key,
    )
    # The nonce is recorded in the rating's transaction (riding on its INSERT on PostgreSQL: the
    # intake's checks all precede its writes); a replayed resend is refused, not answered.
    guard = SignedRequestWrite(request, nonce_rides_along=True)
    received = rating_receive(
        target=target, data=data, context=RatingContext(actor=Actor.for_system(system), system=system, guard=guard)
    )
    # Rendered here by the API's own renderer: the dict needs no response-model validation
    # (it is EvaluationOut's content, tested equal to the GET's validated response).
    return json_response(request, evaluation_out(received), status=201 if received.created else 200)


_LEVEL_LABELS = {int(k): str(v) for k, v in Level.choices}
_CHANNEL_LABELS = {int(k): str(v) for k, v in Channel.choices}


def evaluation_out(received: ReceivedRating) -> dict:
    """The response of a rating just stored or resent (``EvaluationOut``'s fields), built
    directly from the instances.

    Same content as ``GET /evaluations/{id}`` (times in UTC, as loaded from the database; the
    tests compare the two), without ninja's per-attribute resolution and response validation
    on the intake hot path.
    """
    evaluation, case = received.evaluation, received.case
    record = evaluation.record
    return {
        "id": evaluation.pk,
        "project_no": record.project_no,
        "service_no": record.service_no,
        "level": evaluation.level,
        "level_label": _LEVEL_LABELS.get(evaluation.level, ""),
        "dimensions": {name: getattr(evaluation, name) for name in DIMENSION_FIELDS},
        "reasons": evaluation.reasons,
        "text": evaluation.text,
        "channel": evaluation.channel,
        "channel_label": _CHANNEL_LABELS.get(evaluation.channel, ""),
        "evaluator_name": evaluation.evaluator_name_masked,
        "evaluator_phone": evaluation.evaluator_phone_masked,
        "evaluated_at": evaluation.evaluated_at.astimezone(dt.UTC),
        "received_at": evaluation.received_at.astimezone(dt.UTC),
        "case": None
        if case is None
        else {
            "id": case.pk,
            "number": case.number,
            "state": case.state,
            "state_label": case.get_state_display(),
            "due_at": case.due_at.astimezone(dt.UTC),
        },
        "attribution": _attribution(evaluation),
    }


@router.get(
    "/evaluations/{evaluation_id}", response={200: EvaluationOut, **error_responses(*READ_ONE)}, summary="查询一条评价"
)
def get_one(request: HttpRequest, evaluation_id: int):
    system = request.system
    return evaluation_get_for(scope=scope_for_system(system), pk=evaluation_id, system_id=system.pk)


@router.get(
    "/evaluations",
    response={200: list[EvaluationOut], **error_responses(*READ)},
    summary="评价列表（本系统推送或提交的）",
    openapi_extra={"parameters": openapi_parameters(EvaluationFilter)},
)
@paginate(Pagination)
def list_evaluations(request: HttpRequest):
    system = request.system
    ratings = evaluation_list(scope=scope_for_system(system), system_id=system.pk)
    return api_filter(EvaluationFilter, request.GET, ratings)


class RatingRequestIn(Schema):
    project_no: str = Field(..., min_length=1, max_length=50)
    service_no: int = Field(1, ge=1, le=9999)


class RatingRequestOut(Schema):
    id: int
    device: str = Field(..., alias="device.name")
    window_code: str = Field(..., alias="device.window.code")
    status: str
    expires_at: dt.datetime


@router.post("/rating-requests", response={201: RatingRequestOut, **error_responses(*WRITE, 404)},
             summary="请窗口评价器显示某次服务的评价界面（评价器 2 秒内显示）")  # fmt: skip
def request_rating(request: HttpRequest, payload: RatingRequestIn):
    system = request.system
    record = record_for_rating(scope=scope_for_system(system), project_no=payload.project_no,
                               service_no=payload.service_no).record  # fmt: skip
    with api_write(request):
        created = rating_request_create(actor=Actor.for_system(system), record=record)
    return 201, created
