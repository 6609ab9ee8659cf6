"""The shared test scenario ("world"): units A and B with services, ratings and cases, created
through the real services (intake and rating), like production. Fixture: ``world``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from haochaping.audit.services import Actor
from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.services import RatingInput
from haochaping.organizations.selectors import caller_for_user
from haochaping.outreach.models import CallTask
from haochaping.outreach.services import call_lists_generate, demand_from_evaluation
from haochaping.outreach.services.demands import category_ensure_default
from haochaping.rectification.models import CaseAttachment, RectificationCase
from haochaping.rectification.services import StepInput, case_transition
from haochaping.rectification.workflow import Action
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import Cast, push_record, submit_rating

# The plaintext identity of the applicants below: it must never appear in any console page.
PLAINTEXT = ["张三丰", "13812345678", "410404199001011234", "赵明远", "13987654321", "410404198512125678"]

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


def push(cast: Cast, project_no: str, **overrides) -> ServiceRecord:
    return push_record(cast, project_no, **overrides)


def push_b(cast: Cast, project_no: str, **overrides) -> ServiceRecord:
    values = {
        "item_code": cast.item_b.code,
        "unit_code": cast.unit_b.code,
        "window_code": cast.window_b.code,
        "staff_no": cast.staff_b.staff_no,
        "applicant_name": "赵明远",
        "applicant_id_number": "410404198512125678",
        "applicant_phone": "13987654321",
    }
    values.update(overrides)
    return push(cast, project_no, **values)


def rate(record: ServiceRecord, level: int, *, reasons=(), text: str = "", days_ago: int = 0, channel: int = 4):
    data = RatingInput(
        level=level,
        channel=channel,
        reasons=list(reasons),
        text=text,
        evaluated_at=timezone.now() - dt.timedelta(days=days_ago),
        dimensions={"attitude": level, "efficiency": level},
    )
    return submit_rating(actor=Actor.citizen(), record=record, data=data)


@dataclass
class World:
    """Unit A: a bad (overdue) rating of clerk A001, a good rating without staff, an unrated
    service. Unit B: a bad rating of clerk B001 and an unrated service."""

    record_a: ServiceRecord
    record_a_nostaff: ServiceRecord
    record_a_unrated: ServiceRecord
    record_b: ServiceRecord
    record_b_unrated: ServiceRecord
    eval_a: Evaluation
    eval_a_nostaff: Evaluation
    eval_b: Evaluation
    case_a: RectificationCase
    case_b: RectificationCase


def build_world(cast: Cast) -> World:
    record_a = push(cast, "SCJG2026110001")
    record_a_nostaff = push(cast, "SCJG2026110002", staff_no=None, window_code=None)
    record_a_unrated = push(cast, "SCJG2026110003")
    record_b = push_b(cast, "RSJ2026110001")
    record_b_unrated = push_b(cast, "RSJ2026110002")
    eval_a = rate(record_a, 1, reasons=["XC-TD-B01"], text="窗口人员态度生硬", days_ago=20)
    eval_a_nostaff = rate(record_a_nostaff, 5, reasons=["XC-ZT-G01"])
    eval_b = rate(record_b, 2, reasons=["XC-XL-B01"], text="排队两个小时")
    return World(
        record_a,
        record_a_nostaff,
        record_a_unrated,
        record_b,
        record_b_unrated,
        eval_a,
        eval_a_nostaff,
        eval_b,
        eval_a.case,
        eval_b.case,
    )


def upload(name: str = "证明材料.pdf", content: bytes = PDF, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def step(cast: Cast, who: str, case: RectificationCase, action: str, **data) -> RectificationCase:
    """One workflow step through the real service, as ``who``."""
    data.setdefault("text", "已处理")
    caller = caller_for_user(cast.users[who])
    return case_transition(caller=caller, case_id=case.pk, action=action, data=StepInput(**data))


def attach_evidence(cast: Cast, who: str, case: RectificationCase) -> CaseAttachment:
    """Ask for the rating to be declared invalid, with a PDF: the case's first attachment."""
    step(cast, who, case, Action.REQUEST_INVALID, text="同一号码多次恶意差评", files=[upload()])
    return CaseAttachment.objects.filter(case=case).latest("id")


@pytest.fixture
def world(cast):
    return build_world(cast)


def outreach_world(cast: Cast, world) -> None:
    """Add to the shared world one invitation task and one demand per unit: the unrated services
    of A and B invited, and each unit's bad rating promoted to a demand by that unit's admin
    (contact: the rating's evaluator)."""
    category_ensure_default()
    with override_settings(OUTREACH_INVITE_MAX_AGE_DAYS=100_000):  # the world's services finished in 2025
        call_lists_generate(actor=Actor.job("tests"))
    world.task_a = CallTask.objects.get(record=world.record_a_unrated, kind="invitation_unrated")
    world.task_b = CallTask.objects.get(record=world.record_b_unrated, kind="invitation_unrated")
    world.demand_a = demand_from_evaluation(
        caller=caller_for_user(cast.users["admin_a"]),
        evaluation_id=world.eval_a.pk,
        content=f"{world.eval_a.text}（办件 {world.record_a.project_no}）",
    )
    world.demand_b = demand_from_evaluation(
        caller=caller_for_user(cast.users["admin_b"]),
        evaluation_id=world.eval_b.pk,
        content=f"{world.eval_b.text}（办件 {world.record_b.project_no}）",
    )


def common_problems_world(cast: Cast, world) -> None:
    """Add to the shared world one detected proposal per unit (every bad rating a concentration:
    thresholds of 1) and a common problem opened from it by the supervisor."""
    from haochaping.insight.problems.detection import problems_detect
    from haochaping.insight.problems.services import AcceptInput, problem_evidence_add, proposal_accept

    with override_settings(INSIGHT_PROBLEM_THRESHOLD=dict.fromkeys(["staff", "window", "item", "phrase", "reason"], 1)):
        proposals = {p.unit_id: p for p in problems_detect().proposed}
    supervisor = caller_for_user(cast.users["supervisor"])
    world.proposal_a, world.proposal_b = proposals[cast.unit_a.pk], proposals[cast.unit_b.pk]
    world.problem_a, world.problem_b = (
        proposal_accept(caller=supervisor, proposal_id=p.pk, data=AcceptInput(f"{unit.name}共性问题", unit))
        for p, unit in ((world.proposal_a, cast.unit_a), (world.proposal_b, cast.unit_b))
    )
    # One evidence file on each (insight/console/problems.py's download).
    world.problem_attachment_a, world.problem_attachment_b = (
        problem_evidence_add(caller=supervisor, problem_id=problem.pk, files=[upload()], text="整改前现场照片")[0]
        for problem in (world.problem_a, world.problem_b)
    )
