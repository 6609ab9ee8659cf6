"""Outreach test data, made through the real services (intake, rating, workflow, demands)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from haochaping.audit.services import Actor
from haochaping.evaluations.services import RatingInput
from haochaping.organizations.selectors import caller_for_user
from haochaping.outreach.choices import DemandSource, DemandStep
from haochaping.outreach.models import CallTask, Demand
from haochaping.outreach.services import (
    DemandInput,
    DemandStepInput,
    SubmittedDemand,
    call_lists_generate,
    demand_submit,
    demand_transition,
)
from haochaping.rectification.models import RectificationCase
from haochaping.rectification.services import StepInput, case_transition
from haochaping.rectification.workflow import Action
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import Cast, push_record, submit_rating

UNIT_B = {
    "item_code": "11410404MB0000002B",
    "unit_code": "RSJ",
    "window_code": "W-B1",
    "staff_no": "B001",
    "applicant_name": "赵明远",
    "applicant_id_number": "410404198512125678",
    "applicant_phone": "13987654321",
}


def finished_record(cast: Cast, project_no: str, *, days_ago: float = 5, unit: str = "a", **overrides) -> ServiceRecord:
    """A service of unit A (or B) that finished ``days_ago`` days ago."""
    finished = timezone.now() - dt.timedelta(days=days_ago)
    values = {**(UNIT_B if unit == "b" else {}), **overrides}
    values.setdefault("accepted_at", (finished - dt.timedelta(minutes=30)).isoformat())
    values.setdefault("finished_at", finished.isoformat())
    return push_record(cast, project_no, **values)


def step(cast: Cast, who: str, case: RectificationCase, action: str, text: str = "已处理") -> RectificationCase:
    return case_transition(
        caller=caller_for_user(cast.users[who]), case_id=case.pk, action=action, data=StepInput(text=text)
    )


def fed_back_case(cast: Cast, project_no: str = "SCJG-CB-1", *, unit: str = "a") -> RectificationCase:
    """A bad rating taken by its unit's admin through 核实 → 整改 → 反馈: waiting for the callback."""
    record = finished_record(cast, project_no, days_ago=20, unit=unit)
    evaluation = submit_rating(
        actor=Actor.citizen(),
        record=record,
        data=RatingInput(level=1, channel=4, text="窗口人员态度生硬，让我来回跑了三趟"),
    )
    admin = "admin_b" if unit == "b" else "admin_a"
    case = evaluation.case
    step(cast, admin, case, Action.VERIFY, "经核实情况属实")
    step(cast, admin, case, Action.RECTIFY, "已对窗口人员批评教育，并公开一次性告知材料清单")
    return step(cast, admin, case, Action.FEED_BACK, "已整改：一次性告知材料清单已在窗口公示")


def submitted_demand(
    cast: Cast,
    content: str = "窗口工作人员态度很差，说话不耐烦",
    *,
    phone: str = "13700001111",
    name: str = "钱多多",
    category: str = "",
    source: str = DemandSource.PORTAL,
    **kwargs,
) -> SubmittedDemand:
    """The whole answer of ``demand_submit`` (demand, query code, suggestion)."""
    data = DemandInput(content=content, contact_name=name, contact_phone=phone, category_code=category)
    return demand_submit(actor=Actor.citizen(), data=data, source=source, **kwargs)


def submit_demand(cast: Cast, content: str = "窗口工作人员态度很差，说话不耐烦", **kwargs) -> Demand:
    return submitted_demand(cast, content, **kwargs).demand


def assigned_demand(
    cast: Cast, content: str = "窗口工作人员态度很差，说话不耐烦", *, unit: str = "a", **kwargs
) -> Demand:
    demand = submit_demand(cast, content, **kwargs)
    target = cast.unit_b if unit == "b" else cast.unit_a
    return demand_transition(
        caller=caller_for_user(cast.users["supervisor"]),
        demand_id=demand.pk,
        action=DemandStep.ASSIGNED,
        data=DemandStepInput(unit=target),
    )


def replied_complaint(cast: Cast, *, unit: str = "a") -> Demand:
    demand = assigned_demand(
        cast, "我要投诉！办理营业执照时工作人员暗示要给好处费", unit=unit, category="complaint-integrity"
    )
    admin = "admin_b" if unit == "b" else "admin_a"
    return demand_transition(
        caller=caller_for_user(cast.users[admin]),
        demand_id=demand.pk,
        action=DemandStep.REPLIED,
        data=DemandStepInput(text="经调查，已对相关人员立案处理，并退还相关费用。"),
    )


def generate() -> None:
    call_lists_generate(actor=Actor.job("tests"))


def task_for(*, case=None, record=None, demand=None) -> CallTask:
    if case is not None:
        return CallTask.objects.get(case=case, status="open")
    if demand is not None:
        return CallTask.objects.get(demand=demand)
    return CallTask.objects.get(record=record, kind="invitation_unrated")


def category_ensure_default_for_tests() -> None:
    from haochaping.outreach.services.demands import category_ensure_default

    category_ensure_default()
