"""Demands for business systems: submit one (统一受理) and follow it.

A system submits a demand it received (a hotline system, a unit's own service platform) and
reads back the demands it submitted, with their state, time limit and reply. Contacts are
answered masked. Writes run inside ``api_write`` (the nonce is stored in the write
transaction); a resend with the same ``external_id`` answers 200 with the stored demand.
"""

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from haochaping.audit.services import Actor
from haochaping.core.api_errors import READ_ONE, WRITE, error_responses
from haochaping.organizations.api_auth import api_write
from haochaping.organizations.selectors import scope_for_system
from haochaping.outreach.choices import DEMAND_RUNNING, DemandSource
from haochaping.outreach.selectors import demand_get_for_system
from haochaping.outreach.services.demands import (
    MAX_CONTENT,
    MAX_NAME,
    MIN_CONTENT,
    DemandInput,
    demand_submit,
    intake_unit_default,
)

router = Router(tags=["诉求与意见建议"])


class ContactIn(Schema):
    name: str = Field(..., min_length=1, max_length=MAX_NAME, description="联系人姓名")
    phone: str = Field(..., min_length=7, max_length=20, pattern=r"^[0-9+\- ]+$", description="联系电话")


class DemandIn(Schema):
    content: str = Field(
        ...,
        min_length=MIN_CONTENT,
        max_length=MAX_CONTENT,
        description=f"诉求内容（群众原话），{MIN_CONTENT}–{MAX_CONTENT} 字",
    )
    contact: ContactIn
    category_code: str = Field("", max_length=40, description="分类编码（可选；缺省时平台按关键词自动建议）")
    project_no: str = Field("", max_length=50, description="相关办件编号（可选）")
    external_id: str = Field("", max_length=64, description="本系统内的诉求编号（可选，用于幂等：重发返回原诉求）")

    model_config = {"extra": "forbid"}


class DemandOut(Schema):
    id: int
    number: str = Field(..., description="受理编号")
    query_code: str | None = Field(None, description="查询码（仅在首次提交的应答中返回，供群众在网上查询）")
    state: str
    state_label: str
    source: str
    category_code: str | None = Field(None, alias="category.code")
    category_name: str | None = Field(None, alias="category.name")
    suggested_category_code: str | None = Field(None, alias="suggested_category.code")
    content: str
    contact_name: str = Field(..., alias="contact_name_masked", description="脱敏后的联系人")
    contact_phone: str = Field(..., alias="contact_phone_masked", description="脱敏后的联系电话")
    project_no: str
    external_id: str
    unit_code: str = Field(..., alias="unit.code", description="当前承办（或受理）单位")
    received_at: dt.datetime
    due_at: dt.datetime = Field(..., description="答复期限（按工作日计算）")
    overdue: bool
    replied_at: dt.datetime | None
    reply: str
    closed_at: dt.datetime | None
    satisfaction: str

    @staticmethod
    def resolve_state_label(obj) -> str:
        return obj.get_state_display()

    @staticmethod
    def resolve_query_code(obj) -> str | None:
        return None  # never stored in clear: only ``submit`` fills it in, from demand_submit's answer

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return obj.state in DEMAND_RUNNING and obj.due_at < timezone.now()


@router.post(
    "/demands",
    response={200: DemandOut, 201: DemandOut, **error_responses(*WRITE)},
    summary="提交诉求或意见建议（带相同 external_id 的重发返回原诉求 200）",
)
def submit(request: HttpRequest, payload: DemandIn):
    system = request.system
    scope = scope_for_system(system)
    data = DemandInput(
        content=payload.content,
        contact_name=payload.contact.name,
        contact_phone=payload.contact.phone,
        category_code=payload.category_code,
        project_no=payload.project_no,
        external_id=payload.external_id,
    )
    unit = system.unit if system.unit_id else intake_unit_default()
    with api_write(request):
        submitted = demand_submit(
            actor=Actor.for_system(system),
            data=data,
            source=DemandSource.API,
            intake_unit=unit,
            scope=scope,
            system=system,
        )
    out = DemandOut.from_orm(submitted.demand).model_copy(update={"query_code": submitted.query_code})
    return (201 if submitted.created else 200), out


@router.get(
    "/demands/{demand_id}",
    response={200: DemandOut, **error_responses(*READ_ONE)},
    summary="查询本系统提交的一条诉求（状态、期限、答复）",
)
def get_one(request: HttpRequest, demand_id: int):
    return demand_get_for_system(system=request.system, pk=demand_id)
