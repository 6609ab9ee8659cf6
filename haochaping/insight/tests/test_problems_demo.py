"""The demo year's common problems (demo/problems.py): proposals to decide, one problem handled
to 双归零 and one still open, and the 通报 section counting them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from haochaping.demo.seed import seed_demo
from haochaping.insight.problems.models import CommonProblem, ProblemProposal, ProblemState, ProposalState
from haochaping.insight.problems.report import section
from haochaping.insight.problems.selectors import double_zero, with_double_zero
from haochaping.organizations.models import Unit


@pytest.mark.django_db
def test_the_demo_has_proposals_a_problem_at_double_zero_and_an_open_one(settings):
    settings.RECTIFICATION_DAYS = 15
    assert seed_demo(months=1, scale=0.2, out=lambda _: None).created
    problems = list(with_double_zero(CommonProblem.objects.all()).order_by("opened_at"))
    assert [p.state for p in problems] == [ProblemState.CLOSED, ProblemState.RECTIFYING]
    done, running = problems
    assert double_zero(done).achieved and done.case_links.count() >= 7 and done.attachments.count() == 1
    assert not double_zero(running).achieved and "空调" in running.title and running.root_cause
    assert ProblemProposal.objects.filter(state=ProposalState.PROPOSED).exists()
    district = Unit.objects.order_by("path").first()
    today = timezone.localdate()
    part = section(district, today.replace(day=1), today)
    assert part["opened"] >= 1 and "双归零" in part["text"]
