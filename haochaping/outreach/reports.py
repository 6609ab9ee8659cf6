"""Supervisor figures of the outreach work, per unit (subtree roll-up) or per category, for a period.

* 回访率: callbacks done ÷ callbacks required (bad-rating callbacks and complaint callbacks);
  整改满意率 from the satisfaction the citizens gave on those calls.
* 邀评转化: invitation tasks → citizens reached (by phone or SMS) → services rated after the
  first contact (by phone, by the SMS link or any other channel).
* 未评价积压: services finished in the period still unrated, those overdue for an invitation
  and those invited.
* 诉求分类统计: demands received in the period by category (parents include their children)
  and state, overdue, answered on time, satisfaction.

Each figure is one grouped query (by the unit's path or by category) plus Python roll-up, like
``rectification.selectors.case_summary``. The backlog's groups come from ``backlog_counter``:
``backlog_counts`` over the service records by default (the definition), and the one of
``analytics.page_counts`` once the analytics app is ready (the same figures from its rollups, the
services received today and the day on which the overdue limit falls; this app may not import
analytics).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q

from haochaping.organizations.models import Unit
from haochaping.organizations.selectors import Scope, unit_tree
from haochaping.outreach.choices import (
    CALLBACK_KINDS,
    DEMAND_RUNNING,
    DemandState,
    Satisfaction,
    TaskKind,
    TaskStatus,
)
from haochaping.outreach.models import CallRecord, CallTask, Demand
from haochaping.outreach.selectors import category_tree
from haochaping.outreach.services.calls import invitation_cutoffs
from haochaping.service_records.choices import HandlingMode
from haochaping.service_records.models import ServiceRecord


@dataclass
class Row:
    """One line of a report: a unit (with its subtree) or a category (with its children)."""

    code: str
    name: str
    depth: int = 0
    values: dict[str, int] = field(default_factory=dict)

    def add(self, counts: Mapping[str, Any]) -> None:
        for key, value in counts.items():
            if isinstance(value, int):
                self.values[key] = self.values.get(key, 0) + value

    def get(self, key: str) -> int:
        return self.values.get(key, 0)

    def ratio(self, part: str, whole: str | tuple[str, ...]) -> float | None:
        wholes = (whole,) if isinstance(whole, str) else whole
        denominator = sum(self.get(w) for w in wholes)
        return self.get(part) / denominator if denominator else None


@dataclass
class Report:
    key: str
    title: str
    columns: list[tuple[str, str, bool]]  # (header, key, is a rate)
    rows: list[Row]
    total: Row
    definitions: list[tuple[str, str]]
    first_header: str = "单位"

    def cell(self, row: Row, key: str):
        """A column's value for a row: a count, or a rate computed by the report's ``RATES``."""
        rate = RATES.get((self.key, key))
        return rate(row) if rate else row.get(key)


RATES = {
    ("callbacks", "rate"): lambda r: r.ratio("done", "required"),
    ("callbacks", "satisfaction_rate"): lambda r: r.ratio("satisfied", ("satisfied", "unsatisfied")),
    ("invitations", "reach_rate"): lambda r: r.ratio("invited", "tasks"),
    ("invitations", "conversion"): lambda r: r.ratio("converted", "invited"),
    ("backlog", "rating_rate"): lambda r: r.ratio("rated", "services"),
    ("demands", "on_time_rate"): lambda r: r.ratio("on_time", ("on_time", "late")),
    ("demands", "satisfaction_rate"): lambda r: r.ratio("satisfied", ("satisfied", "unsatisfied")),
}


def _unit_rollup(scope: Scope, groups, key: str = "path") -> tuple[list[Row], Row, Row | None]:
    """Rows for the units below the scope's own unit, each with its subtree; the total; the
    "本级" row for what belongs to the scope's own unit directly (None when empty)."""
    tree = unit_tree(scope=scope, row=Row)
    for group in groups:
        tree.add(group.pop(key), group)
    own = tree.own if any(tree.own.values.values()) else None
    return list(tree.rows.values()), tree.total, own


def _report(key, title, columns, definitions, scope, groups) -> Report:
    rows, total, own = _unit_rollup(scope, groups)
    return Report(key, title, columns, ([own] if own else []) + rows, total, definitions)


def callback_coverage(*, scope: Scope, start: dt.datetime, end: dt.datetime) -> Report:
    tasks = scope.filter(
        CallTask.objects.filter(kind__in=CALLBACK_KINDS, created_at__gte=start, created_at__lt=end), unit_field="unit"
    )
    groups = list(
        tasks.values(path=F("unit__path"))
        .annotate(
            required=Count("id"),
            bad_rating=Count("id", filter=Q(kind=TaskKind.CALLBACK_BAD_RATING)),
            complaint=Count("id", filter=Q(kind=TaskKind.CALLBACK_COMPLAINT)),
            done=Count("id", filter=Q(status=TaskStatus.DONE)),
            open=Count("id", filter=Q(status=TaskStatus.OPEN)),
            unreachable=Count("id", filter=Q(status=TaskStatus.UNREACHABLE)),
            do_not_call=Count("id", filter=Q(status=TaskStatus.DO_NOT_CALL)),
        )
        .order_by()
    )
    calls = scope.filter(
        CallRecord.objects.filter(
            task__kind__in=CALLBACK_KINDS, task__created_at__gte=start, task__created_at__lt=end
        ).exclude(satisfaction=""),
        unit_field="task__unit",
    )
    groups += list(
        calls.values(path=F("task__unit__path"))
        .annotate(
            satisfied=Count("id", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])),
            unsatisfied=Count("id", filter=Q(satisfaction=Satisfaction.UNSATISFIED)),
        )
        .order_by()
    )
    columns = [
        ("应回访", "required", False),
        ("其中差评回访", "bad_rating", False),
        ("其中投诉回访", "complaint", False),
        ("已回访", "done", False),
        ("待拨打", "open", False),
        ("无法联系", "unreachable", False),
        ("要求勿扰", "do_not_call", False),
        ("回访率", "rate", True),
        ("满意/基本满意", "satisfied", False),
        ("不满意", "unsatisfied", False),
        ("整改满意率", "satisfaction_rate", True),
    ]
    definitions = [
        (
            "统计口径",
            "统计期内生成的回访任务（差评整改反馈后回访、投诉答复后回访），各项为截至查询时的情况；单位行含其下级单位。",
        ),
        ("应回访", "每条反馈评价人后的差评工单（每轮整改一次）和每条已答复的投诉，均生成一条回访任务。"),
        ("已回访", "已接通并记录回访结果的任务（含在工单页面直接回访、群众已在网上确认办理结果的）。"),
        ("无法联系", "号码错误，或拨打次数达到上限仍未接通而关闭的任务。"),
        ("回访率", "已回访 ÷ 应回访。"),
        ("整改满意率", "回访中群众表示“满意”“基本满意”的次数 ÷ 表态次数（满意、基本满意、不满意）。"),
    ]
    return _report("callbacks", "回访覆盖率", columns, definitions, scope, groups)


def invitation_conversion(*, scope: Scope, start: dt.datetime, end: dt.datetime) -> Report:
    tasks = scope.filter(
        CallTask.objects.filter(kind=TaskKind.INVITATION_UNRATED, created_at__gte=start, created_at__lt=end),
        unit_field="unit",
    )
    invited = Q(first_contact_at__isnull=False)
    converted = invited & Q(record__evaluation__evaluated_at__gte=F("first_contact_at"))
    groups = list(
        tasks.values(path=F("unit__path"))
        .annotate(
            tasks=Count("id"),
            invited=Count("id", filter=invited),
            by_phone=Count("id", filter=Q(evaluation__isnull=False)),
            by_sms=Count("id", filter=Q(last_outcome="sms_sent")),
            declined=Count("id", filter=Q(last_outcome="reached_declined")),
            converted=Count("id", filter=converted),
            unreachable=Count("id", filter=Q(status=TaskStatus.UNREACHABLE)),
            self_rated=Count("id", filter=Q(status=TaskStatus.CANCELLED)),
            open=Count("id", filter=Q(status=TaskStatus.OPEN)),
        )
        .order_by()
    )
    columns = [
        ("邀评任务", "tasks", False),
        ("已联系", "invited", False),
        ("电话评价", "by_phone", False),
        ("发送评价短信", "by_sms", False),
        ("接通拒评", "declined", False),
        ("邀请后已评价", "converted", False),
        ("自行评价（未拨打）", "self_rated", False),
        ("无法联系", "unreachable", False),
        ("待拨打", "open", False),
        ("联系率", "reach_rate", True),
        ("邀评转化率", "conversion", True),
    ]
    definitions = [
        ("统计口径", "统计期内生成的邀评任务：办结后规定天数内仍未评价、且留有电话的服务（线上、线下天数分别设置）。"),
        ("已联系", "电话接通（含拒评、要求勿扰）或已发送评价短信的任务。"),
        ("邀请后已评价", "首次联系之后产生了评价的任务（电话评价、点击短信链接评价或其他渠道评价）。"),
        ("自行评价（未拨打）", "拨打前群众已通过其他渠道评价，任务自动关闭。"),
        ("联系率", "已联系 ÷ 邀评任务。"),
        ("邀评转化率", "邀请后已评价 ÷ 已联系。"),
    ]
    return _report("invitations", "邀评转化情况", columns, definitions, scope, groups)


BACKLOG_KEYS = ("services", "rated", "unrated", "online_unrated", "overdue", "no_phone", "invited")


def backlog_counts(*, scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list[dict[str, Any]]:
    """The 未评价积压 counts (``BACKLOG_KEYS``) of the services finished in [start, end), per unit
    (``path``), straight from the service records."""
    records = scope.filter(
        ServiceRecord.objects.filter(finished_at__gte=start, finished_at__lt=end), staff_field="staff_id"
    )
    cutoffs = invitation_cutoffs(now)
    unrated = Q(evaluation__isnull=True)
    overdue = unrated & (
        Q(mode=HandlingMode.ONLINE, finished_at__lte=cutoffs[HandlingMode.ONLINE])
        | Q(mode=HandlingMode.OFFLINE, finished_at__lte=cutoffs[HandlingMode.OFFLINE])
    )
    return list(
        records.values(path=F("unit__path"))
        .annotate(
            services=Count("id", distinct=True),
            rated=Count("id", filter=Q(evaluation__isnull=False), distinct=True),
            unrated=Count("id", filter=unrated, distinct=True),
            online_unrated=Count("id", filter=unrated & Q(mode=HandlingMode.ONLINE), distinct=True),
            overdue=Count("id", filter=overdue, distinct=True),
            no_phone=Count("id", filter=overdue & Q(phone_index=""), distinct=True),
            invited=Count("id", filter=unrated & Q(call_tasks__kind=TaskKind.INVITATION_UNRATED), distinct=True),
        )
        .order_by()
    )


BacklogCounter = Callable[..., list[dict[str, Any]]]
_backlog_counter: list[BacklogCounter] = [backlog_counts]


def backlog_counter_install(counter: BacklogCounter) -> None:
    """Count the backlog with ``counter`` (same signature and result as ``backlog_counts``)."""
    _backlog_counter[0] = counter


def unrated_backlog(*, scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Report:
    groups = _backlog_counter[0](scope=scope, start=start, end=end, now=now)
    columns = [
        ("办结服务", "services", False),
        ("已评价", "rated", False),
        ("未评价", "unrated", False),
        ("其中线上未评价", "online_unrated", False),
        ("超期未评价", "overdue", False),
        ("超期且无电话", "no_phone", False),
        ("已列入邀评", "invited", False),
        ("评价率", "rating_rate", True),
    ]
    definitions = [
        ("统计口径", "统计期内办结的服务（按办结时间），各项为截至查询时的情况；单位行含其下级单位。"),
        (
            "数据时效",
            "今天接收的服务实时统计；此前接收的服务取自每分钟更新的统计汇总，"
            "其后新增的评价和邀评任务在下次更新（约 1 分钟内）计入。",
        ),
        ("超期未评价", "办结后超过规定天数（线上、线下分别设置）仍未评价的服务，应列入电话邀评。"),
        ("超期且无电话", "超期未评价但没有联系电话、无法邀评的服务。"),
        ("已列入邀评", "仍未评价、已生成邀评任务的服务。"),
        ("评价率", "已评价 ÷ 办结服务。"),
    ]
    return _report("backlog", "未评价积压", columns, definitions, scope, groups)


DEMAND_STATE_COLUMNS = [(state.label, state.value, False) for state in DemandState]


def demand_breakdown(*, scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> Report:
    demands = scope.filter(Demand.objects.filter(received_at__gte=start, received_at__lt=end), unit_field="unit")
    late = Q(replied_at__isnull=False, replied_at__gt=F("due_at"))
    groups = list(
        demands.values("category_id")
        .annotate(
            total=Count("id"),
            **{state.value: Count("id", filter=Q(state=state)) for state in DemandState},
            overdue=Count("id", filter=Q(state__in=DEMAND_RUNNING, due_at__lt=now)),
            on_time=Count("id", filter=Q(replied_at__isnull=False, replied_at__lte=F("due_at"))),
            late=Count("id", filter=late | Q(state__in=DEMAND_RUNNING, due_at__lt=now)),
            satisfied=Count("id", filter=Q(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASIC])),
            unsatisfied=Count("id", filter=Q(satisfaction=Satisfaction.UNSATISFIED)),
        )
        .order_by()
    )
    tree = category_tree()
    rows = {c.pk: Row(code=c.code, name=c.name, depth=depth) for c, depth in tree}
    parents = {c.pk: c.parent_id for c, _ in tree}
    none_row = Row(code="", name="未分类")
    total = Row(code="", name="合计")
    for group in groups:
        category_id = group.pop("category_id")
        total.add(group)
        if category_id is None or category_id not in rows:
            none_row.add(group)
            continue
        cursor = category_id
        while cursor is not None:  # a child's demands count for each ancestor too
            rows[cursor].add(group)
            cursor = parents.get(cursor)
    columns = [
        ("诉求总数", "total", False),
        *DEMAND_STATE_COLUMNS,
        ("逾期未答复", "overdue", False),
        ("按期答复", "on_time", False),
        ("满意/基本满意", "satisfied", False),
        ("不满意", "unsatisfied", False),
        ("按期答复率", "on_time_rate", True),
        ("满意率", "satisfaction_rate", True),
    ]
    definitions = [
        ("统计口径", "统计期内受理的诉求和意见建议（按受理时间），各项为截至查询时的情况；上级分类含其下级分类。"),
        ("逾期未答复", "超过答复期限（按工作日计算，节假日顺延）仍未答复的诉求。"),
        ("按期答复率", "按期答复 ÷（按期答复＋逾期答复＋逾期未答复）。"),
        ("满意率", "办结时群众表示“满意”“基本满意”的 ÷ 表态的（满意、基本满意、不满意）。"),
    ]
    ordered = [rows[c.pk] for c, _ in tree] + ([none_row] if none_row.values else [])
    return Report("demands", "诉求分类统计", columns, ordered, total, definitions, first_header="分类")


REPORTS = ("callbacks", "invitations", "backlog", "demands")


def scope_name(scope: Scope) -> str:
    """The unit the figures cover (the caller's own), for the page and the Excel subtitle."""
    unit = Unit.objects.filter(path=scope.unit_path).only("name").first()
    return unit.name if unit else ""


def outreach_reports(
    *, scope: Scope, start: dt.datetime, end: dt.datetime, now: dt.datetime, only: str | None = None
) -> list[Report]:
    """The four reports of the period, or just the one named ``only`` (one of ``REPORTS``)."""
    builders = {
        "callbacks": lambda: callback_coverage(scope=scope, start=start, end=end),
        "invitations": lambda: invitation_conversion(scope=scope, start=start, end=end),
        "backlog": lambda: unrated_backlog(scope=scope, start=start, end=end, now=now),
        "demands": lambda: demand_breakdown(scope=scope, start=start, end=end, now=now),
    }
    keys = [only] if only is not None and only in builders else list(REPORTS)
    return [builders[key]() for key in keys]
