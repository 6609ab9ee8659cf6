"""Reads for rectification cases, always through a Scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When

from haochaping.audit.models import AuditEvent
from haochaping.core.errors import NotFound, PermissionDenied
from haochaping.organizations.selectors import Scope, unit_tree
from haochaping.rectification.models import (
    DEADLINE_STATES,
    OPEN_STATES,
    CaseAction,
    CaseAttachment,
    CaseState,
    RectificationCase,
)
from haochaping.rectification.workflow import Action
from haochaping.service_records.models import encrypted_identity


def case_list(*, scope: Scope) -> QuerySet[RectificationCase]:
    """Cases in scope, newest first (``opened_at``, then id; the API narrows them with
    ``rectification.filters.CaseFilter``). The console's work queue is ``case_queue``."""
    qs = scope.filter(
        RectificationCase.objects.select_related(
            "unit", "evaluation", "evaluation__record", "evaluation__record__item", "evaluation__record__staff"
        ),
        staff_field="evaluation__record__staff_id",
    )
    return qs.order_by("-opened_at", "-id")


def case_get_for(*, scope: Scope, pk: int) -> RectificationCase:
    case = case_list(scope=scope).filter(pk=pk).first()
    if case is None:
        raise NotFound("工单不存在或无权查看", code="case_not_found")
    return case


def requested_due(case: RectificationCase) -> dt.date | None:
    """The date the case's latest extension request asked for; None without one (or unreadable).

    Reads ``case.actions`` (oldest first): prefetched by ``case_get_for_detail``, else one query.
    """
    requests = [a for a in case.actions.all() if a.action == Action.REQUEST_EXTENSION]
    if not requests:
        return None
    try:
        return dt.date.fromisoformat(requests[-1].data["requested_due"])
    except (KeyError, TypeError, ValueError):
        return None


def latest_step_text(case: RectificationCase, action: str) -> str:
    """The text of the case's latest ``action`` step ("" without one); reads ``case.actions``
    like ``requested_due``."""
    texts = [a.text for a in case.actions.all() if a.action == action]
    return texts[-1] if texts else ""


def case_timeline(*, scope: Scope, case: RectificationCase) -> QuerySet[AuditEvent]:
    """Audit events of a case, its rating and the rated service, oldest first.

    ``case`` must come from ``case_get_for``; the scope is checked again so that a case fetched
    some other way cannot leak its timeline.
    """
    evaluation = case.evaluation if case.evaluation_id is not None else None
    record_staff_id = evaluation.record.staff_id if evaluation is not None else None
    if not scope.allows_unit(case.unit) or (scope.staff_id is not None and record_staff_id != scope.staff_id):
        raise NotFound("工单不存在或无权查看", code="case_not_found")
    targets = Q(target_type=RectificationCase._meta.label_lower, target_id=str(case.pk))
    if evaluation is not None:
        targets |= Q(target_type=evaluation._meta.label_lower, target_id=str(evaluation.pk))
        targets |= Q(target_type=evaluation.record._meta.label_lower, target_id=str(evaluation.record_id))
    return AuditEvent.objects.filter(targets).order_by("occurred_at", "id")


# --- console work queue, case page, attachments, per-unit summary (read-only) ----------------


def _scoped_cases(scope: Scope, qs: QuerySet[RectificationCase] | None = None) -> QuerySet[RectificationCase]:
    return scope.filter(
        RectificationCase.objects.all() if qs is None else qs, staff_field="evaluation__record__staff_id"
    )


def running_overdue(now: dt.datetime) -> Q:
    """Overdue now: the deadline still runs (not yet rectified, not final) and has passed."""
    return Q(state__in=DEADLINE_STATES, due_at__lt=now)


def overdue_cases(*, scope: Scope, now: dt.datetime) -> QuerySet[RectificationCase]:
    """Cases in scope overdue now (``running_overdue``), the longest overdue first, with their unit."""
    return (
        _scoped_cases(scope, RectificationCase.objects.select_related("unit"))
        .filter(running_overdue(now))
        .order_by("due_at", "id")
    )


def case_queue(
    *,
    scope: Scope,
    now: dt.datetime,
    states: Sequence[str] | None = None,
    overdue_only: bool = False,
    escalated_only: bool = False,
    with_requests: bool = False,
) -> QuerySet[RectificationCase]:
    """A work queue: overdue cases first, then running deadlines soonest first, then the rest.

    ``states`` (a tab's preset) None means every state; ``escalated_only`` keeps open cases
    under 督办; ``with_requests`` prefetches each case's latest appeal/extension request
    (``requests``, newest first) for the review queues. The page's filter bar
    (``rectification.filters.CaseFilter``) narrows the result.
    """
    qs = _scoped_cases(
        scope,
        RectificationCase.objects.select_related(
            "unit", "escalated_to", "evaluation", "evaluation__record", "evaluation__record__item"
        ).defer(*encrypted_identity("evaluation__record__")),  # the queue shows no applicant
    )
    if states is not None:
        qs = qs.filter(state__in=list(states))
    if overdue_only:
        qs = qs.filter(running_overdue(now))
    if escalated_only:
        qs = qs.filter(escalated_at__isnull=False, state__in=OPEN_STATES)
    if with_requests:
        requests = CaseAction.objects.filter(action__in=[Action.REQUEST_INVALID, Action.REQUEST_EXTENSION]).order_by(
            "-occurred_at", "-id"
        )
        qs = qs.prefetch_related(Prefetch("actions", queryset=requests, to_attr="requests"))
    urgency = Case(
        When(running_overdue(now), then=Value(0)),
        When(state__in=DEADLINE_STATES, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return qs.annotate(urgency=urgency).order_by("urgency", "due_at", "id")


def case_queue_counts(
    *,
    scope: Scope,
    now: dt.datetime,
    narrow: Callable[[QuerySet[RectificationCase]], QuerySet[RectificationCase]] | None = None,
    open_only: bool = False,
) -> dict[str, int]:
    """Cases per state, plus ``overdue`` (running and past the deadline) and ``escalated``
    (open and under 督办): the figures on the queue's tabs. ``narrow``: the page's filters
    (``CaseFilter.narrow``), applied to the cases in scope. ``open_only``: the open states'
    counts alone (the menu's and the home page's figures; a final state's count is 0).

    The open cases (a few in a hundred) by the state index, one row per state with the two
    marks; then, unless ``open_only``, the closed and invalidated ones per state, a count the
    database reads from the (unit, state) index alone: no conditional count over every case."""
    qs = _scoped_cases(scope)
    if narrow is not None:
        qs = narrow(qs)
    counts = {state.value: 0 for state in CaseState}
    counts["overdue"] = counts["escalated"] = 0
    rows = (
        qs.filter(state__in=OPEN_STATES)
        .values("state")
        .annotate(
            n=Count("id"),
            past_due=Count("id", filter=Q(due_at__lt=now)),
            under_escalation=Count("id", filter=Q(escalated_at__isnull=False)),
        )
    )
    for row in rows.order_by():
        state = row["state"]
        counts[state] = row["n"]
        if state in DEADLINE_STATES:  # ``running_overdue``
            counts["overdue"] += row["past_due"]
        counts["escalated"] += row["under_escalation"]
    if not open_only:
        for state, n in qs.exclude(state__in=OPEN_STATES).values_list("state").annotate(n=Count("*")).order_by():
            counts[state] = n
    return counts


def case_get_for_detail(*, scope: Scope, pk: int) -> RectificationCase:
    """``case_get_for`` with everything the case page shows: the rating, the service, the
    timeline (``actions``, oldest first) and every attachment (``attachments``), in 3 queries."""
    qs = _scoped_cases(
        scope,
        RectificationCase.objects.select_related(
            "unit",
            "escalated_to",
            "evaluation",
            "evaluation__indicator_set",
            "evaluation__record",
            "evaluation__record__item",
            "evaluation__record__unit",
            "evaluation__record__window",
            "evaluation__record__staff",
        ).prefetch_related(
            Prefetch("actions", queryset=CaseAction.objects.order_by("occurred_at", "id")),
            Prefetch("attachments", queryset=CaseAttachment.objects.order_by("uploaded_at", "id")),
        ),
    )
    case = qs.filter(pk=pk).first()
    if case is None:
        raise NotFound("工单不存在或无权查看", code="case_not_found")
    return case


def case_attachment_get_for(*, scope: Scope, pk: int) -> CaseAttachment:
    """An attachment to download: only if its case is visible to the scope (same rule as
    ``case_get_for``, else ``NotFound``) and only for roles that see the evaluator (else
    ``PermissionDenied``): evidence (call recordings, chat screenshots) may identify the
    evaluator (制度第六条)."""
    attachment = (
        scope.filter(
            CaseAttachment.objects.select_related("case"),
            unit_field="case__unit",
            staff_field="case__evaluation__record__staff_id",
        )
        .filter(pk=pk)
        .first()
    )
    if attachment is None:
        raise NotFound("附件不存在或无权查看", code="attachment_not_found")
    if not scope.sees_evaluator:
        raise PermissionDenied("窗口工作人员不能下载工单附件（附件可能含评价人信息）", code="attachment_forbidden")
    return attachment


SUMMARY_FIELDS = (
    "bad",
    "pending",
    "rectifying",
    "rectified",
    "closed",
    "invalidated",
    "on_time",
    "overdue",
    "escalated",
)


@dataclass
class SummaryRow:
    """One unit's (subtree's) bad-rating handling in a period (制度第十条)."""

    code: str
    name: str
    depth: int = 0
    bad: int = 0  # 差评数: bad-rating cases opened in the period
    pending: int = 0  # 待核实 (incl. 申请无效待审核)
    rectifying: int = 0  # 整改中 (incl. 延期待审核)
    rectified: int = 0  # 已整改 + 已反馈待回访
    closed: int = 0  # 办结
    invalidated: int = 0  # 无效评价 (approved appeal)
    on_time: int = 0  # rectified no later than the (possibly extended) deadline
    overdue: int = 0  # still running past the deadline, or rectified late
    escalated: int = 0  # ever escalated (督办)

    def add(self, counts: Mapping[str, Any]) -> None:
        for name in SUMMARY_FIELDS:
            setattr(self, name, getattr(self, name) + (counts.get(name) or 0))

    @property
    def rectify_rate(self) -> float | None:
        """整改率 = (已整改 + 已反馈 + 办结) ÷ (差评数 − 无效)."""
        valid = self.bad - self.invalidated
        return (self.rectified + self.closed) / valid if valid else None

    @property
    def on_time_rate(self) -> float | None:
        """按期整改率 = 按期整改 ÷ (按期整改 + 逾期): of the cases whose deadline has come."""
        due = self.on_time + self.overdue
        return self.on_time / due if due else None


@dataclass
class CaseSummary:
    rows: list[SummaryRow]
    total: SummaryRow
    scope_name: str = ""


def case_summary(*, scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> CaseSummary:
    """Per-unit handling of the bad ratings whose case opened in [start, end), as of ``now``.

    Two queries: the scope's units, and the cases grouped by their unit's path with
    conditional counts. Each unit's row rolls up its whole subtree (a street centre counts
    its community points) in Python (``organizations.selectors.unit_tree``). The scope's own
    unit is the total; it gets a "本级" row only for cases assigned to it directly.
    """
    S = CaseState
    cases = _scoped_cases(scope).filter(evaluation__isnull=False, opened_at__gte=start, opened_at__lt=end)
    late = Q(rectified_at__isnull=False, rectified_at__gt=F("due_at"))
    groups = (
        cases.values("unit__path")
        .annotate(
            bad=Count("id"),
            pending=Count("id", filter=Q(state__in=[S.PENDING_VERIFY, S.INVALID_REQUESTED])),
            rectifying=Count("id", filter=Q(state__in=[S.RECTIFYING, S.EXTENSION_REQUESTED])),
            rectified=Count("id", filter=Q(state__in=[S.RECTIFIED, S.FED_BACK])),
            closed=Count("id", filter=Q(state=S.CLOSED)),
            invalidated=Count("id", filter=Q(state=S.INVALIDATED)),
            on_time=Count("id", filter=Q(rectified_at__isnull=False, rectified_at__lte=F("due_at"))),
            overdue=Count("id", filter=running_overdue(now) | late),
            escalated=Count("id", filter=Q(escalated_at__isnull=False)),
        )
        .order_by()
    )
    tree = unit_tree(scope=scope, row=SummaryRow)
    for group in groups:
        tree.add(group["unit__path"], group)
    rows = ([tree.own] if tree.own.bad else []) + list(tree.rows.values())
    return CaseSummary(rows=rows, total=tree.total, scope_name=tree.name)
