"""Reads of common problems and their proposals, scoped like every other app's.

Who sees them: the centre's supervisors (their subtree: the whole district), department admins
(their own subtree: the proposals and problems of their units, read-only for proposals) and
auditors (read-only). Window clerks and 回访员 get the 403 page. A problem or proposal outside
the caller's subtree is "not found" (404).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from haochaping.core.errors import NotFound, PermissionDenied
from haochaping.insight.problems.models import (
    CASE_FINAL_STATES,
    CommonProblem,
    ProblemAttachment,
    ProblemProposal,
    ProblemState,
    ProposalState,
)
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Scope
from haochaping.outreach.models import Demand
from haochaping.rectification.models import RectificationCase

VIEW_ROLES = (Role.SUPERVISOR, Role.DEPT_ADMIN, Role.AUDITOR)
CASE_FINAL = [str(s) for s in CASE_FINAL_STATES]


def may_view(scope: Scope) -> bool:
    return scope.role in VIEW_ROLES and scope.staff_id is None


def may_decide(scope: Scope) -> bool:
    """Detect now, accept or dismiss a proposal, close or return a problem: supervisors."""
    return scope.role == Role.SUPERVISOR and scope.staff_id is None


def may_handle(scope: Scope, problem: CommonProblem) -> bool:
    """Analyse, rectify, upload evidence: the responsible unit's admins and supervisors."""
    return (
        scope.role in (Role.SUPERVISOR, Role.DEPT_ADMIN) and scope.staff_id is None and scope.allows_unit(problem.unit)
    )


def require_view(scope: Scope) -> None:
    if not may_view(scope):
        raise PermissionDenied("只有督查、单位管理员和审计员可以查看共性问题", code="problem_forbidden")


def require_decide(scope: Scope) -> None:
    if not may_decide(scope):
        raise PermissionDenied("只有区政务服务中心督查可以研判共性问题线索", code="problem_forbidden")


def with_double_zero(qs: QuerySet[CommonProblem]) -> QuerySet[CommonProblem]:
    """Annotate ``linked`` (cases linked) and ``linked_closed`` (in a final state: 办结 or
    无效评价); 双归零 = ``linked == linked_closed`` and the problem 办结."""
    return qs.annotate(
        linked=Count("case_links", distinct=True),
        linked_closed=Count("case_links", filter=Q(case_links__case__state__in=CASE_FINAL), distinct=True),
    )


def double_zero_q() -> Q:
    return Q(state=ProblemState.CLOSED) & Q(linked=F("linked_closed"))


@dataclass(frozen=True)
class DoubleZero:
    """双归零 of one problem: every linked bad-rating case closed, and the problem closed."""

    linked: int
    closed: int
    problem_closed: bool

    @property
    def cases_zero(self) -> bool:
        return self.closed == self.linked

    @property
    def achieved(self) -> bool:
        return self.problem_closed and self.cases_zero

    @property
    def label(self) -> str:
        if self.achieved:
            return "已双归零"
        if self.cases_zero:
            return "工单已清零，问题未办结"
        if self.problem_closed:
            return f"问题已办结，工单未清零（{self.linked - self.closed} 件未办结）"
        return "未归零"


def double_zero(problem: CommonProblem) -> DoubleZero:
    linked = getattr(problem, "linked", None)
    closed = getattr(problem, "linked_closed", None)
    if linked is None or closed is None:
        links = problem.case_links.all()
        linked = links.count()
        closed = links.filter(case__state__in=CASE_FINAL).count()
    return DoubleZero(linked=linked, closed=closed, problem_closed=problem.state == ProblemState.CLOSED)


def problem_list(
    *, scope: Scope, state: str = "", kind: str = "", unit_path: str = "", double_zero_only: str = ""
) -> QuerySet[CommonProblem]:
    require_view(scope)
    qs = with_double_zero(scope.filter(CommonProblem.objects.select_related("unit")))
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if unit_path:
        qs = qs.filter(unit__path__startswith=unit_path)
    if double_zero_only == "yes":
        qs = qs.filter(double_zero_q())
    elif double_zero_only == "no":
        qs = qs.exclude(double_zero_q())
    return qs.order_by("-opened_at", "-id")


def problem_get_for(*, scope: Scope, pk: int) -> CommonProblem:
    require_view(scope)
    problem = (
        with_double_zero(scope.filter(CommonProblem.objects.select_related("unit", "escalated_to", "created_by")))
        .filter(pk=pk)
        .first()
    )
    if problem is None:
        raise NotFound("共性问题不存在或无权查看", code="problem_not_found")
    return problem


def problem_attachment_get_for(*, scope: Scope, pk: int) -> ProblemAttachment:
    """An evidence file to download: only if its problem is visible to the scope (the same rule
    as ``problem_get_for``: another unit's file is ``NotFound``)."""
    problem_ids = scope.filter(CommonProblem.objects.all()).values("pk")
    require_view(scope)
    attachment = ProblemAttachment.objects.select_related("problem").filter(pk=pk, problem_id__in=problem_ids).first()
    if attachment is None:
        raise NotFound("附件不存在或无权查看", code="attachment_not_found")
    return attachment


def problem_cases(problem: CommonProblem) -> QuerySet[RectificationCase]:
    """The linked cases, with what their rows show (number, state, masked evaluator, text)."""
    return (
        RectificationCase.objects.filter(problem_links__problem=problem)
        .select_related("unit", "evaluation", "evaluation__record")
        .order_by("opened_at", "id")
    )


def problem_demands(problem: CommonProblem) -> QuerySet[Demand]:
    return Demand.objects.filter(problem_links__problem=problem).select_related("unit").order_by("received_at", "id")


def proposal_list(*, scope: Scope, state: str = ProposalState.PROPOSED, kind: str = "", unit_path: str = ""):
    require_view(scope)
    qs = scope.filter(ProblemProposal.objects.select_related("unit", "problem"))
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if unit_path:
        qs = qs.filter(unit__path__startswith=unit_path)
    return qs.order_by("-last_at", "-id")


def proposal_get_for(*, scope: Scope, pk: int) -> ProblemProposal:
    require_view(scope)
    proposal = scope.filter(ProblemProposal.objects.select_related("unit", "problem")).filter(pk=pk).first()
    if proposal is None:
        raise NotFound("共性问题线索不存在或无权查看", code="proposal_not_found")
    return proposal


def proposal_members(proposal: ProblemProposal) -> tuple[list[RectificationCase], list[Demand]]:
    cases = list(
        RectificationCase.objects.filter(pk__in=proposal.cases)
        .select_related("evaluation", "evaluation__record")
        .order_by("opened_at", "id")
    )
    demands = list(Demand.objects.filter(pk__in=proposal.demands).order_by("received_at", "id"))
    return cases, demands


def proposals_pending_count(scope: Scope) -> int:
    if not may_view(scope):
        return 0
    return scope.filter(ProblemProposal.objects.filter(state=ProposalState.PROPOSED)).count()


def problem_counts(unit_path: str, first: dt.date, last: dt.date, *, start: Any, end: Any) -> dict[str, Any]:
    """For the 通报 (``report``): proposals detected, problems opened and closed in the period
    (``start`` ≤ t < ``end``, the period's local bounds), and the 双归零 state of the problems of
    the unit's subtree open at any time in it. No scope check (the caller's)."""
    in_tree = Q(unit__path__startswith=unit_path)
    detected = ProblemProposal.objects.filter(in_tree, detected_at__gte=start, detected_at__lt=end).count()
    relevant = CommonProblem.objects.filter(in_tree, opened_at__lt=end).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=start)
    )
    rows = list(relevant.select_related("unit").order_by("opened_at", "id"))
    if rows:  # the linked cases' states: one more query, only when there are problems
        counts = {
            p.pk: (getattr(p, "linked", 0), getattr(p, "linked_closed", 0))
            for p in with_double_zero(CommonProblem.objects.filter(pk__in=[r.pk for r in rows]))
        }
        for row in rows:
            row.linked, row.linked_closed = counts[row.pk]  # type: ignore[attr-defined]
    return {
        "detected": detected,
        "opened": sum(1 for p in rows if start <= p.opened_at < end),
        "closed": sum(1 for p in rows if p.closed_at is not None and start <= p.closed_at < end),
        "problems": rows,
    }
