"""共性问题 pages per role (insight/console/problems.py), with the cross-unit refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haochaping.insight.problems.models import CommonProblem, ProblemProposal, ProblemState, ProposalState
from haochaping.testing import login
from haochaping.testing_world import build_world, common_problems_world, upload


@pytest.fixture
def w(cast):
    world = build_world(cast)
    common_problems_world(cast, world)
    return world


def url(name, obj=None):
    return reverse(f"console:{name}", kwargs={"pk": obj.pk} if obj is not None else None)


def test_lists_per_role(cast, w):
    html = login(Client(), cast, "supervisor").get(url("insight_problem_list")).content.decode()
    assert w.problem_a.number in html and w.problem_b.number in html and "未归零" in html
    admin = login(Client(), cast, "admin_a")
    html = admin.get(url("insight_problem_list")).content.decode()
    assert w.problem_a.number in html and w.problem_b.number not in html
    assert admin.get(url("insight_proposal_list"), {"state": ""}).status_code == 200
    assert "立即检测" not in admin.get(url("insight_proposal_list")).content.decode()
    for who in ("clerk_a", "operator"):
        client = login(Client(), cast, who)
        assert client.get(url("insight_problem_list")).status_code == 403, who
        assert client.get(url("insight_problem_detail", w.problem_a)).status_code == 403, who


def test_another_units_problem_and_proposal_are_not_found_nor_actionable(cast, w):
    admin_b = login(Client(), cast, "admin_b")
    assert admin_b.get(url("insight_problem_detail", w.problem_a)).status_code == 404
    assert admin_b.get(url("insight_proposal_detail", w.proposal_a)).status_code == 404
    response = admin_b.post(url("insight_problem_detail", w.problem_a), {"action": "analysis", "root_cause": "x"})
    assert response.status_code == 404
    assert CommonProblem.objects.get(pk=w.problem_a.pk).root_cause == ""


def test_only_supervisors_detect_and_decide(cast, w):
    assert login(Client(), cast, "supervisor").get(url("insight_problems_detect")).status_code == 405
    for who in ("admin_a", "auditor"):
        assert login(Client(), cast, who).post(url("insight_problems_detect")).status_code == 403, who
    response = login(Client(), cast, "auditor").post(
        url("insight_problem_detail", w.problem_a), {"action": "analysis", "root_cause": "x", "plan": "y"}
    )
    assert response.status_code == 403
    response = login(Client(), cast, "supervisor").post(url("insight_problems_detect"))
    assert response.status_code == 302 and response["Location"] == url("insight_proposal_list")


def test_supervisor_accepts_a_proposal_and_the_unit_handles_it(cast, w, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    proposal = ProblemProposal.objects.create(
        kind="reason",
        key="XC-TD-B01",
        label="态度生硬、冷漠",
        unit=cast.unit_a,
        first_at=w.eval_a.evaluated_at,
        last_at=w.eval_a.evaluated_at,
        window_days=30,
        count=1,
        cases=[],
        demands=[],
        detected_at=w.eval_a.evaluated_at,
        updated_at=w.eval_a.evaluated_at,
    )
    supervisor = login(Client(), cast, "supervisor")
    page = supervisor.get(url("insight_proposal_detail", proposal)).content.decode()
    assert "立为共性问题" in page
    response = supervisor.post(
        url("insight_proposal_detail", proposal),
        {"action": "accept", "title": "窗口态度问题", "unit": cast.unit_a.code, "due": "2099-01-01"},
    )
    assert response.status_code == 200  # the date is too far: the form shows the error
    due = timezone.localdate() + dt.timedelta(days=20)
    response = supervisor.post(
        url("insight_proposal_detail", proposal),
        {"action": "accept", "title": "窗口态度问题", "unit": cast.unit_a.code, "due": due},
    )
    problem = CommonProblem.objects.get(title="窗口态度问题")
    assert response["Location"] == url("insight_problem_detail", problem)
    assert ProblemProposal.objects.get(pk=proposal.pk).state == ProposalState.ACCEPTED
    admin = login(Client(), cast, "admin_a")
    detail = url("insight_problem_detail", problem)
    admin.post(detail, {"action": "analysis", "root_cause": "培训不足", "plan": "集中培训"})
    admin.post(detail, {"action": "analyse", "text": ""})
    admin.post(detail, {"action": "rectify", "text": "已培训", "files": upload()})
    assert CommonProblem.objects.get(pk=problem.pk).state == ProblemState.RECTIFIED
    assert admin.post(detail, {"action": "close", "text": "办结"}).status_code == 403
    supervisor.post(detail, {"action": "close", "text": "同意"})
    html = supervisor.get(detail).content.decode()
    assert "已双归零" in html and "培训不足" in html and "证明材料.pdf" in html


def test_an_evidence_file_is_downloaded_from_the_problem_page_within_scope(cast, w):
    from haochaping.testing_world import PDF

    attachment = w.problem_attachment_a
    link = url("insight_problem_attachment", attachment)
    admin_a = login(Client(), cast, "admin_a")
    assert link in admin_a.get(url("insight_problem_detail", w.problem_a)).content.decode()
    response = admin_a.get(link)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
    assert login(Client(), cast, "admin_b").get(link).status_code == 404
    assert login(Client(), cast, "clerk_a").get(link).status_code == 403
