"""Reads for call lists and demands, always through a Scope (and the citizen's own view)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from haochaping.core.errors import NotFound, PermissionDenied
from haochaping.core.masking import mask_name
from haochaping.core.timeutil import end_of_local_day, local_date
from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.selectors import reason_texts
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Scope, lone_unit_id
from haochaping.outreach.choices import (
    DEMAND_RUNNING,
    PUBLIC_DEMAND_STATE,
    WORK_ORDER,
    DemandState,
    TaskKind,
    TaskStatus,
)
from haochaping.outreach.models import CallRecord, CallTask, Demand, DemandAction, DemandCategory, PortalAttempt
from haochaping.rectification.models import CaseAction
from haochaping.rectification.workflow import Action

# What a list row shows (``_task_rows.html``: the subject, its contact, the unit, who calls). At
# most 11 tables: from 12 on, PostgreSQL plans the join by a genetic search (``geqo_threshold``),
# slower to plan and blind to the (status, due_at) index of today's list.
TASK_RELATED = (
    "unit",
    "record",
    "record__item",
    "case",
    "case__evaluation",
    "case__evaluation__record",
    "case__evaluation__record__item",
    "demand",
    "assigned_to",
    "claimed_by",
)
# And what one task's page adds (``task_subject``: the service's unit, the demand's category).
TASK_DETAIL_RELATED = ("record__unit", "demand__category")

READ_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.DEPT_ADMIN, Role.AUDITOR})


def require_reader(scope: Scope) -> None:
    """Call lists and demands carry citizens' contacts (masked): not for window staff."""
    if scope.role not in READ_ROLES:
        raise PermissionDenied("窗口工作人员不能查看回访清单和群众诉求（含群众联系方式）", code="outreach_forbidden")


# --- call tasks ----------------------------------------------------------------------------


def task_list(
    *,
    scope: Scope,
    kind: str | None = None,
    status: str | None = None,
    unit_code: str | None = None,
    assigned_to_id: int | None = None,
    due_before: dt.datetime | None = None,
    paged: bool = False,
) -> QuerySet[CallTask]:
    """Call tasks in scope (window clerks: none), soonest due first. ``paged``: read page by page
    (the console list), where a scope of one unit also filters on its id (one query more), so
    that PostgreSQL knows how many of the tasks are the unit's (the join on the unit's path is
    estimated at a share of every unit's) and walks the due-time index to a deep page instead
    of sorting all of them (``organizations.selectors.subtree_unit_ids``)."""
    qs = scope.filter(CallTask.objects.select_related(*TASK_RELATED), unit_field="unit")
    if paged and (unit_id := lone_unit_id(scope)) is not None:
        qs = qs.filter(unit_id=unit_id)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if unit_code:
        qs = qs.filter(unit__path__contains=f"/{unit_code}/")
    if assigned_to_id is not None:
        qs = qs.filter(assigned_to_id=assigned_to_id)
    if due_before is not None:
        qs = qs.filter(due_at__lte=due_before)
    return qs.order_by("due_at", "id")


def task_get_for(*, scope: Scope, pk: int) -> CallTask:
    """One task with its call records (``calls``, oldest first); NotFound for "missing" and "not yours"."""
    calls = CallRecord.objects.select_related("evaluation").order_by("occurred_at", "id")
    tasks = task_list(scope=scope).select_related(*TASK_DETAIL_RELATED)
    task = tasks.prefetch_related(Prefetch("calls", queryset=calls)).filter(pk=pk).first()
    if task is None:
        raise NotFound("回访任务不存在或无权查看", code="task_not_found")
    return task


def work_priority() -> Case:
    """A task's place in ``WORK_ORDER`` (callbacks before invitations), for ordering."""
    return Case(
        *(When(kind=kind, then=Value(rank)) for rank, kind in enumerate(WORK_ORDER)),
        default=Value(len(WORK_ORDER)),
        output_field=IntegerField(),
    )


def workbench_list(*, scope: Scope, now: dt.datetime, kind: str | None = None) -> QuerySet[CallTask]:
    """Today's list: open tasks due by the end of today, callbacks first (``WORK_ORDER``), then
    soonest due."""
    tasks = task_list(scope=scope, kind=kind, status=TaskStatus.OPEN, due_before=end_of_local_day(local_date(now)))
    return tasks.order_by(work_priority(), "due_at", "id")


def workbench_count(*, scope: Scope, now: dt.datetime) -> int:
    """How many tasks today's list (``workbench_list``) holds, in one query: the menu's 回访 count."""
    return workbench_list(scope=scope, now=now).count()


def task_counts(*, scope: Scope, now: dt.datetime, user=None) -> dict[str, int]:
    """The workbench figures, in one query each for tasks and today's calls."""
    today_end = end_of_local_day(local_date(now))
    today_start = today_end - dt.timedelta(days=1)
    # Every figure counts open tasks: only they are read (the status index), not every task ever.
    open_tasks = scope.filter(CallTask.objects.filter(status=TaskStatus.OPEN), unit_field="unit")
    counts = open_tasks.aggregate(
        today=Count("id", filter=Q(due_at__lte=today_end)),
        overdue=Count("id", filter=Q(due_at__lte=today_start)),
        open=Count("id"),
        **{kind.value: Count("id", filter=Q(kind=kind, due_at__lte=today_end)) for kind in TaskKind},
    )
    calls = scope.filter(CallRecord.objects.all(), unit_field="task__unit").filter(occurred_at__gt=today_start)
    counts["calls_today"] = calls.count()
    counts["my_calls_today"] = calls.filter(operator=user).count() if user is not None else 0
    return counts


def call_operators(*, scope: Scope) -> QuerySet:
    """Users who may be given call tasks in this scope: operators and supervisors at or below it."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            membership__role__in=[Role.OPERATOR, Role.SUPERVISOR],
            membership__unit__path__startswith=scope.unit_path,
        )
        .order_by("username")
    )


# --- one task: what the call is about ------------------------------------------------------


@dataclass(frozen=True)
class TaskSubject:
    info: dict
    values: dict


def _latest_steps(case) -> dict[str, CaseAction]:
    """The last rectification and feedback entries of a case (what the callback reports)."""
    steps = {}
    for entry in CaseAction.objects.filter(case=case, action__in=[Action.RECTIFY, Action.FEED_BACK]).order_by(
        "occurred_at", "id"
    ):
        steps[entry.action] = entry
    return steps


def _address(name: str) -> str:
    masked = mask_name(name)
    return f"{masked[0]}先生/女士" if masked and masked[0] != "*" else "您"


T = TypeVar("T")


def _required(value: T | None, task: CallTask, what: str) -> T:
    """The subject a task of this kind always has (list generation sets it); a task without it
    is a generation bug, reported as such instead of failing later on ``None``."""
    if value is None:
        raise ValueError(f"call task {task.pk} ({task.kind}) has no {what}")
    return value


def task_subject(task: CallTask) -> TaskSubject:
    """What the task is about: ``info`` for the page, ``values`` for the script's placeholders
    (never the contact in clear: the citizen is addressed by the masked surname)."""
    name, _ = task.contact()
    info: dict = {"address": _address(name)}
    values: dict = {"address": info["address"]}
    local = timezone.localtime
    if task.kind == TaskKind.CALLBACK_BAD_RATING:
        case = _required(task.case, task, "case")
        evaluation = _required(case.evaluation, task, "evaluation")
        record = evaluation.record
        steps = _latest_steps(case)
        rectify, feedback = steps.get(Action.RECTIFY), steps.get(Action.FEED_BACK)
        info.update(
            case=case,
            evaluation=evaluation,
            record=record,
            reasons=reason_texts(evaluation),
            rectification=rectify,
            feedback=feedback,
        )
        values.update(
            item=record.item.name,
            unit=case.unit.name,
            rated_on=f"{local(evaluation.evaluated_at):%Y年%-m月%-d日}",
            rectification=(rectify.text if rectify else ""),
            fed_back_on=f"{local(case.fed_back_at):%-m月%-d日}" if case.fed_back_at else "",
        )
    elif task.kind == TaskKind.CALLBACK_COMPLAINT:
        demand = _required(task.demand, task, "demand")
        info.update(demand=demand, record=demand.record)
        values.update(
            number=demand.number,
            unit=demand.unit.name,
            reply=demand.reply,
            received_on=f"{local(demand.received_at):%Y年%-m月%-d日}",
        )
    else:
        record = _required(task.record, task, "record")
        info.update(record=record)
        finished = record.finished_at or record.created_at
        values.update(
            item=record.item.name,
            unit=record.unit.name,
            mode=record.get_mode_display() + "渠道",
            finished_on=f"{local(finished):%Y年%-m月%-d日}",
        )
    return TaskSubject(info=info, values=values)


# --- demands -------------------------------------------------------------------------------


def demand_list(
    *,
    scope: Scope,
    state: str | None = None,
    states: list[str] | None = None,
    category_code: str | None = None,
    unit_code: str | None = None,
    overdue_at: dt.datetime | None = None,
    number: str | None = None,
    source: str | None = None,
) -> QuerySet[Demand]:
    """Demands in scope (by their current unit; window clerks: none)."""
    qs = scope.filter(
        Demand.objects.select_related("unit", "category", "category__parent", "escalated_to"), unit_field="unit"
    )
    if state:
        qs = qs.filter(state=state)
    if states is not None:
        qs = qs.filter(state__in=states)
    if category_code:
        qs = qs.filter(Q(category__code=category_code) | Q(category__parent__code=category_code))
    if unit_code:
        qs = qs.filter(unit__path__contains=f"/{unit_code}/")
    if overdue_at is not None:
        qs = qs.filter(state__in=DEMAND_RUNNING, due_at__lt=overdue_at)
    if number:
        qs = qs.filter(number=number.strip().upper())
    if source:
        qs = qs.filter(source=source)
    return qs.order_by("due_at", "id")


def demand_get_for(*, scope: Scope, pk: int) -> Demand:
    demand = demand_list(scope=scope).filter(pk=pk).first()
    if demand is None:
        raise NotFound("诉求不存在或无权查看", code="demand_not_found")
    return demand


def demand_get_for_system(*, system, pk: int) -> Demand:
    """A demand a business system submitted itself, wherever it has been assigned since: the
    system follows its own submissions (and nothing else)."""
    demand = (
        Demand.objects.select_related("unit", "category", "suggested_category").filter(pk=pk, system=system).first()
    )
    if demand is None:
        raise NotFound("诉求不存在或无权查看", code="demand_not_found")
    return demand


def demand_get_for_detail(*, scope: Scope, pk: int) -> Demand:
    """``demand_get_for`` with the timeline (``actions``), the related service and call tasks."""
    qs = (
        demand_list(scope=scope)
        .select_related("record", "record__item", "record__unit", "evaluation", "intake_unit", "suggested_category")
        .prefetch_related(
            Prefetch("actions", queryset=DemandAction.objects.order_by("occurred_at", "id")),
            Prefetch("call_tasks", queryset=CallTask.objects.order_by("created_at", "id")),
        )
    )
    demand = qs.filter(pk=pk).first()
    if demand is None:
        raise NotFound("诉求不存在或无权查看", code="demand_not_found")
    return demand


def demand_counts(*, scope: Scope, now: dt.datetime, unit_code: str | None = None) -> dict[str, int]:
    """Demands per state plus ``overdue`` (unanswered past the time limit), in one query."""
    qs = scope.filter(Demand.objects.all(), unit_field="unit")
    if unit_code:
        qs = qs.filter(unit__path__contains=f"/{unit_code}/")
    counts = {state.value: Count("id", filter=Q(state=state)) for state in DemandState}
    counts["overdue"] = Count("id", filter=Q(state__in=DEMAND_RUNNING, due_at__lt=now))
    return qs.aggregate(**counts)


# --- the citizen's view --------------------------------------------------------------------


@dataclass
class CitizenDemand:
    """What the citizen may read about their own demand (no staff names, no internal notes)."""

    id: int
    number: str
    received_at: dt.datetime
    category: str
    content: str
    state: str
    progress: str
    due_at: dt.datetime
    days: int  # the demand's own time limit (working days), fixed when it was received
    reply: str
    replied_at: dt.datetime | None
    satisfaction: str
    can_rate: bool


def citizen_demand(demand: Demand) -> CitizenDemand:
    return CitizenDemand(
        id=demand.pk,
        number=demand.number,
        received_at=demand.received_at,
        category=demand.category.name if demand.category else "",
        content=demand.content,
        state=demand.state,
        progress=PUBLIC_DEMAND_STATE[DemandState(demand.state)],
        due_at=demand.due_at,
        days=demand.days,
        reply=demand.reply if demand.state in (DemandState.REPLIED, DemandState.CLOSED) else "",
        replied_at=demand.replied_at,
        satisfaction=demand.get_satisfaction_display() if demand.satisfaction else "",
        can_rate=demand.state == DemandState.REPLIED,
    )


def demands_for_phone(phone_index: str, *, days: int | None = None) -> list[CitizenDemand]:
    """A citizen's demands, newest first, by the blind index of the phone they gave
    (``core.crypto.blind_index("phone", phone)``) — for the "my ratings" page, after the portal
    has proved by SMS code that the visitor holds that phone."""
    if not phone_index:
        return []
    qs = Demand.objects.filter(phone_index=phone_index).select_related("category").order_by("-received_at", "-id")
    if days is not None:
        qs = qs.filter(received_at__gte=timezone.now() - dt.timedelta(days=days))
    return [citizen_demand(d) for d in qs]


# --- ratings that carry a suggestion -------------------------------------------------------

# Words that mark a rating's text as a suggestion or a complaint worth a demand of its own.
SUGGESTION_MARKERS = ("建议", "希望", "能否", "能不能", "应该", "改进", "优化", "增加", "增设", "投诉", "举报")


def ratings_with_suggestions(*, scope: Scope, since: dt.datetime) -> QuerySet[Evaluation]:
    """Ratings since ``since`` in scope whose text carries a suggestion, not yet promoted."""
    words = Q()
    for marker in SUGGESTION_MARKERS:
        words |= Q(text__contains=marker)
    qs = scope.filter(
        Evaluation.objects.select_related("record", "record__unit", "record__item"),
        unit_field="record__unit",
        staff_field="record__staff_id",
    )
    # ``~Q(text="")`` adds nothing to the words but lets the database read the few ratings that
    # carry a text (``evaluation_text_time_idx``) instead of every rating of the period.
    texts = qs.filter(~Q(text=""), evaluated_at__gte=since)
    return texts.filter(words).filter(demands__isnull=True).order_by("-evaluated_at", "-id")


# --- categories and rate limits ------------------------------------------------------------


@dataclass(frozen=True)
class ReplyLimits:
    """The reply time limits a new demand can get (working days): each active category's, and
    ``HAOCHAPING_DEMAND_DEFAULT_DAYS`` for one that gets no category. The one source of every
    page that promises a time limit before a demand exists (a received demand has its own)."""

    shortest: int
    longest: int
    by_code: dict[str, int]


def demand_reply_limits(categories: list[DemandCategory] | None = None) -> ReplyLimits:
    """``categories``: the active ones, when the caller already has them (else read here)."""
    if categories is None:
        categories = list(DemandCategory.objects.filter(is_active=True))
    by_code = {c.code: c.days for c in categories if c.is_active}
    every = [*by_code.values(), settings.DEMAND_DEFAULT_DAYS]
    return ReplyLimits(shortest=min(every), longest=max(every), by_code=by_code)


def category_tree(*, active_only: bool = False) -> list[tuple[DemandCategory, int]]:
    """(category, depth) in tree order: each parent followed by its children."""
    qs = DemandCategory.objects.select_related("parent").order_by("sort_order", "code")
    if active_only:
        qs = qs.filter(is_active=True)
    rows = list(qs)
    children: dict[int | None, list[DemandCategory]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    known = {row.pk for row in rows}
    out: list[tuple[DemandCategory, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for row in children.get(parent_id, []):
            out.append((row, depth))
            walk(row.pk, depth + 1)

    walk(None, 0)
    for row in rows:  # a child whose parent is inactive (active_only) still shows, at the top
        if row.parent_id is not None and row.parent_id not in known:
            out.append((row, 0))
            walk(row.pk, 1)
    return out


def category_get(code: str) -> DemandCategory:
    category = DemandCategory.objects.select_related("parent").filter(code=code).first()
    if category is None:
        raise NotFound("分类不存在", code="category_not_found")
    return category


def portal_attempts(*, kind: str, key: str, since: dt.datetime) -> int:
    return PortalAttempt.objects.filter(kind=kind, key=key, at__gte=since).count()
