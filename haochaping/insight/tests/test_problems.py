"""Common problems (制度第十一条): detection on the shared world, the supervisor's decision, the
workflow with its refusals, the deadline watch and 双归零."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from haochaping.analytics.periods import Period
from haochaping.analytics.reports.snapshot import build_snapshot
from haochaping.audit.models import AuditEvent
from haochaping.core.errors import NotFound, PermissionDenied, ValidationFailed
from haochaping.insight.problems.detection import problems_detect
from haochaping.insight.problems.models import ProblemProposal, ProblemState, ProposalState
from haochaping.insight.problems.report import section
from haochaping.insight.problems.selectors import double_zero, problem_get_for
from haochaping.insight.problems.services import (
    AcceptInput,
    StepInput,
    problem_analysis_save,
    problem_scan_deadlines,
    problem_transition,
    proposal_accept,
    proposal_dismiss,
)
from haochaping.organizations.selectors import caller_for_user
from haochaping.testing_world import upload

ONE = {"staff": 1, "window": 1, "item": 1, "phrase": 1, "reason": 1}


def caller(cast, who):
    return caller_for_user(cast.users[who])


@pytest.fixture
def proposals(world):
    with override_settings(INSIGHT_PROBLEM_THRESHOLD=ONE):
        result = problems_detect()
        again = problems_detect()
    assert again.proposed == []  # the same ongoing concentration is not proposed twice
    return {p.unit_id: p for p in result.proposed}


def test_detection_proposes_each_concentration_once(cast, world, proposals):
    # Each unit's one bad rating forms a group of every kind (threshold 1): one is proposed, the
    # others are explained by it (the redundancy rule).
    assert set(proposals) == {cast.unit_a.pk, cast.unit_b.pk}
    assert proposals[cast.unit_a.pk].cases == [world.case_a.pk]
    assert proposals[cast.unit_b.pk].cases == [world.case_b.pk]
    assert ProblemProposal.objects.count() == 2
    assert AuditEvent.objects.filter(action="insight:problem:proposed").count() == 2


def test_the_workflow_to_double_zero_with_its_refusals(cast, world, proposals):
    proposal = proposals[cast.unit_a.pk]
    with pytest.raises(PermissionDenied):
        proposal_accept(
            caller=caller(cast, "admin_a"), proposal_id=proposal.pk, data=AcceptInput("窗口态度", cast.unit_a)
        )
    problem = proposal_accept(
        caller=caller(cast, "supervisor"), proposal_id=proposal.pk, data=AcceptInput("王晓红服务态度问题", cast.unit_a)
    )
    assert ProblemProposal.objects.get(pk=proposal.pk).state == ProposalState.ACCEPTED
    assert list(problem.cases.all()) == [world.case_a]
    with pytest.raises(NotFound):
        problem_get_for(scope=caller(cast, "admin_b").scope, pk=problem.pk)
    admin = caller(cast, "admin_a")
    with pytest.raises(ValidationFailed):
        problem_transition(caller=admin, problem_id=problem.pk, action="analyse", data=StepInput())
    problem_analysis_save(caller=admin, problem_id=problem.pk, root_cause="新人未培训", plan="集中培训并考核")
    problem_transition(caller=admin, problem_id=problem.pk, action="analyse", data=StepInput())
    with pytest.raises(ValidationFailed):  # evidence is required
        problem_transition(caller=admin, problem_id=problem.pk, action="rectify", data=StepInput(text="已培训"))
    problem_transition(caller=admin, problem_id=problem.pk, action="rectify",
                       data=StepInput(text="已培训", files=[upload()]))  # fmt: skip
    with pytest.raises(PermissionDenied):
        problem_transition(caller=admin, problem_id=problem.pk, action="close", data=StepInput(text="办结"))
    problem = problem_transition(
        caller=caller(cast, "supervisor"), problem_id=problem.pk, action="close", data=StepInput(text="同意办结")
    )
    assert problem.state == ProblemState.CLOSED
    zero = double_zero(problem_get_for(scope=caller(cast, "supervisor").scope, pk=problem.pk))
    assert (zero.linked, zero.closed, zero.achieved) == (1, 0, False)  # case A is still open
    world.case_a.state = "closed"  # the case's own workflow is tested in rectification
    world.case_a.save(update_fields=["state"])
    assert double_zero(problem_get_for(scope=caller(cast, "supervisor").scope, pk=problem.pk)).achieved
    # The 通报 section (analytics snapshot key "common_problems", its sentence in the supervision summary).
    today = timezone.localdate()
    part = section(cast.district, today.replace(day=1), today)
    assert (part["opened"], part["closed"], part["double_zero"]) == (1, 1, 1)
    assert part["rows"][0]["double_zero"] == "已双归零" and "实现“双归零”" in part["text"]
    assert section(cast.unit_b, today.replace(day=1), today)["double_zero"] == 0
    snapshot = build_snapshot(cast.district, Period.of("month", today), generated_at=timezone.now())
    assert snapshot["common_problems"]["double_zero"] == 1
    assert snapshot["supervision"]["summary"].endswith(part["text"])
    actions = set(AuditEvent.objects.filter(action__startswith="insight:problem:").values_list("action", flat=True))
    assert {"insight:problem:opened", "insight:problem:analyse", "insight:problem:rectify",
            "insight:problem:close", "insight:problem:analysis_saved"} <= actions  # fmt: skip


def test_a_dismissed_concentration_is_not_proposed_again(cast, world, proposals):
    proposal = proposals[cast.unit_b.pk]
    with pytest.raises(ValidationFailed):
        proposal_dismiss(caller=caller(cast, "supervisor"), proposal_id=proposal.pk, reason="")
    proposal_dismiss(caller=caller(cast, "supervisor"), proposal_id=proposal.pk, reason="个案，非共性问题")
    with override_settings(INSIGHT_PROBLEM_THRESHOLD=ONE):
        assert problems_detect().proposed == []


def test_the_deadline_watch_warns_marks_overdue_and_escalates(cast, world, proposals):
    problem = proposal_accept(
        caller=caller(cast, "supervisor"),
        proposal_id=proposals[cast.unit_b.pk].pk,
        data=AcceptInput("排队时间长", cast.unit_b),
    )
    assert problem_scan_deadlines().warned == 0
    assert problem_scan_deadlines(now=problem.due_at - dt.timedelta(hours=1)).warned == 1
    late = problem_scan_deadlines(now=problem.due_at + dt.timedelta(days=3))
    assert (late.overdue, late.escalated) == (1, 1)
    assert problem_scan_deadlines(now=problem.due_at + dt.timedelta(days=3)).overdue == 0  # once
    problem.refresh_from_db()
    assert problem.is_overdue and problem.escalated_to == cast.district
    assert problem.due_at > timezone.now()


def test_the_command_detects_on_demand(cast, world):
    out = io.StringIO()
    with override_settings(INSIGHT_PROBLEM_THRESHOLD=ONE):
        call_command("problems", "detect", stdout=out)
        call_command("problems", "detect", "--at", "2000-01-01", stdout=out)  # nothing then
    text = out.getvalue()
    assert "新增线索 2 条" in text and "新增线索 0 条" in text
    assert ProblemProposal.objects.count() == 2
