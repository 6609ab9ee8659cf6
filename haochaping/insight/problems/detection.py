"""Detection of concentrations (共性问题线索, 制度第十一条).

``problems_detect(now)`` reads only the rolling window (``INSIGHT_PROBLEM_WINDOW_DAYS`` up to
``now``): the bad ratings whose case is not invalidated (one query on the rating's level/time
index) and the demands received in it that were not promoted from a rating (one query). Each
member is grouped within its unit (the service record's unit; a demand's 承办单位) by

* staff (工作人员), window (窗口), item (事项; a demand's related record's item);
* reason: the citizen's reason codes, else the attribution of the text
  (``evaluations.attribution.attribute``: its reason, else ``dim:<dimension>``);
* key phrase: the dictionary terms of the text (``jieba``, two or more CJK characters, not in
  ``STOP_WORDS``), ratings and demands alike, each member counted once per term.

A group is a concentration when it has ``INSIGHT_PROBLEM_THRESHOLD[kind]`` members.

Redundancy rule (one proposal per concentration): bad ratings that pile up on one key also
raise the counts of the other keys they share (the window a clerk sits at, the items a window
serves). So the groups over their threshold are taken strongest first, the strength being how
unlikely the count is if the unit's bad ratings of that kind were spread evenly over its keys
(``surprise``: the Poisson tail at the unit's mean per key; a unit is taken to have at least
``MIN_KEYS`` keys of each kind), ties in the order staff, window, item, phrase, reason (most
specific first). A group is kept only if the members no stronger kept group of its unit already
holds still reach its own threshold; otherwise it is *explained* by them and not proposed. So
six bad ratings of one clerk at one window are proposed once, as the clerk's (a clerk is one of
many, a window one of few: the same count is stronger for the clerk); the windows an item's
concentration passes through are not proposed beside it; a reason whose ratings all share one
phrase is proposed once, as the phrase; a window with enough bad ratings of its own is.

Dedupe against what exists (per kind, key and unit):

1. an open common problem of that key: the new members' cases and demands are linked to it
   (automatically, on its timeline), nothing is proposed;
2. a proposal still 待研判 whose latest member is inside the window (the same ongoing
   concentration): it is updated (members added, count, latest time), not proposed again;
3. otherwise only members after the *cutoff* count: the latest member time of any earlier
   proposal of the key (dismissed, accepted, or a stale one) and the close of a closed problem
   of the key. A dismissed concentration is thus not proposed again unless as many new bad
   ratings arrive after it as the threshold asks.

A proposal still 待研判 whose group a later run finds explained by a stronger concentration
(the counts grew on the other key) is folded into that one's proposal (``MERGED``, with
``merged_into``): the supervisor sees the concentration once.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

import jieba
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.audit.timeline import timeline_append
from haochaping.evaluations.attribution import attribute
from haochaping.evaluations.choices import Dimension
from haochaping.evaluations.models import Evaluation, Indicator
from haochaping.insight.problems.models import (
    CommonProblem,
    ProblemAction,
    ProblemCase,
    ProblemDemand,
    ProblemKind,
    ProblemProposal,
    ProblemState,
    ProposalState,
)
from haochaping.insight.problems.workflow import Event
from haochaping.organizations.models import Staff, Window
from haochaping.outreach.models import Demand
from haochaping.rectification.models import CaseState
from haochaping.service_records.models import ServiceItem

KIND_ORDER = [k.value for k in ProblemKind]  # most specific first
MAX_MEMBERS = 500
# The fewest keys a unit's bad ratings are taken to spread over (``concentrations``), whatever
# few of them the window happens to show: a unit has several staff, windows and items.
MIN_KEYS = {"staff": 6, "window": 3, "item": 5, "phrase": 30, "reason": 10}
# A group is explained by others only if they hold at least this share of its members.
COVER = 0.5

# Generic words of complaints and of the service itself: never a key phrase on their own.
STOP_WORDS = frozenset(
    """窗口 工作 工作人员 人员 办理 办事 业务 服务 材料 态度 时间 问题 情况 事情 事项 评价 差评 满意 不满意 政务 中心
    大厅 部门 单位 我们 你们 他们 她们 自己 一个 一次 两次 几次 多次 这个 那个 这样 那样 什么 怎么 为什么 没有
    不是 就是 但是 因为 所以 而且 还是 还有 已经 现在 今天 昨天 上午 下午 晚上 时候 可以 不能 不会 需要 还要
    知道 告诉 说明 结果 非常 真的 实在 特别 比较 一直 一下 一样 只能 只好 出来 起来 过来 回来 东西 地方 办法
    希望 建议 要求 反映 群众 老百姓 市民 大家 同志 这里 那里 这边 那边 一点 有点 太久 不够 不行 为了 然后
    后来""".split()  # noqa: SIM905
)
_CJK = re.compile(r"^[\u4e00-\u9fff]{2,}$")


@dataclass
class Member:
    token: str  # "c<case id>" or "d<demand id>"
    at: dt.datetime


@dataclass
class Group:
    kind: str
    unit_id: int
    key: str
    members: dict[str, dt.datetime] = field(default_factory=dict)

    @property
    def tokens(self) -> set[str]:
        return set(self.members)

    def after(self, cutoff: dt.datetime | None) -> dict[str, dt.datetime]:
        return {t: at for t, at in self.members.items() if cutoff is None or at > cutoff}


@dataclass
class DetectionResult:
    proposed: list[ProblemProposal] = field(default_factory=list)
    updated: int = 0
    linked: int = 0
    merged: int = 0
    explained: list[tuple[tuple[str, int, str], tuple[str, int, str]]] = field(default_factory=list)

    def summary(self) -> str:
        return f"新增线索 {len(self.proposed)} 条，更新线索 {self.updated} 条，自动关联工单或诉求 {self.linked} 件"


def thresholds() -> dict[str, int]:
    return {kind: int(settings.INSIGHT_PROBLEM_THRESHOLD.get(kind, 5)) for kind in KIND_ORDER}


def phrases(text: str) -> set[str]:
    """The key-phrase candidates of a text: dictionary terms of two or more CJK characters."""
    if not text:
        return set()
    return {t for t in jieba.lcut(text, HMM=False) if _CJK.match(t) and t not in STOP_WORDS}


def rating_reasons(reasons: list[str], text: str) -> set[str]:
    """The reason keys of one bad rating (see the module doc)."""
    if reasons:
        return {str(r) for r in reasons}
    if text and text.strip():
        found = attribute(text)
        if found is not None:
            return {found.reason or f"dim:{found.dimension}"}
    return set()


def collect(start: dt.datetime, end: dt.datetime) -> dict[tuple[str, int, str], Group]:
    """Every group of the window ``start`` < t ≤ ``end`` (two queries)."""
    groups: dict[tuple[str, int, str], Group] = {}

    def add(kind: str, unit_id: int, key: object, token: str, at: dt.datetime) -> None:
        if key is None or key == "":
            return
        k = (kind, unit_id, str(key))
        group = groups.get(k)
        if group is None:
            group = groups[k] = Group(kind, unit_id, str(key))
        group.members[token] = at

    rows = (
        Evaluation.objects.filter(level__lte=2, evaluated_at__gt=start, evaluated_at__lte=end, case__isnull=False)
        .exclude(case__state=CaseState.INVALIDATED)
        .order_by()
        .values_list(
            "case__id",
            "evaluated_at",
            "record__unit_id",
            "record__item_id",
            "record__window_id",
            "record__staff_id",
            "reasons",
            "text",
        )
    )
    for case_id, at, unit_id, item_id, window_id, staff_id, reasons, text in rows:
        token = f"c{case_id}"
        add(ProblemKind.STAFF, unit_id, staff_id, token, at)
        add(ProblemKind.WINDOW, unit_id, window_id, token, at)
        add(ProblemKind.ITEM, unit_id, item_id, token, at)
        for reason in rating_reasons(reasons or [], text):
            add(ProblemKind.REASON, unit_id, reason, token, at)
        for term in phrases(text):
            add(ProblemKind.PHRASE, unit_id, term, token, at)
    demands = (
        Demand.objects.filter(received_at__gt=start, received_at__lte=end, evaluation__isnull=True)
        .order_by()
        .values_list("id", "received_at", "unit_id", "record__item_id", "content")
    )
    for demand_id, at, unit_id, item_id, content in demands:
        token = f"d{demand_id}"
        add(ProblemKind.ITEM, unit_id, item_id, token, at)
        for term in phrases(content):
            add(ProblemKind.PHRASE, unit_id, term, token, at)
    return groups


def surprise(count: int, expected: float) -> float:
    """-log P(X ≥ count) for X ~ Poisson(expected): how unlikely so many would fall on one key
    if the unit's bad ratings were spread evenly over its keys."""
    if expected <= 0:
        return math.inf
    term = total = math.exp(-expected)
    for k in range(1, count):
        term *= expected / k
        total += term
    tail = max(1.0 - total, 1e-300)
    return -math.log(tail)


Key = tuple[str, int, str]  # (kind, unit id, key)


def concentrations(
    groups: dict[Key, Group], limits: dict[str, int], claimed: dict[int, dict[str, Key]] | None = None
) -> tuple[list[Group], list[tuple[Key, Key]], dict[int, dict[str, Key]]]:
    """The groups over their threshold, less those explained by stronger kept ones or by earlier
    proposals (``claimed``: unit -> member -> the proposal's key); the redundancy rule of the
    module doc. Also the (explained, by) pairs, and which key holds each member."""
    totals: dict[tuple[str, int], int] = {}
    keys: dict[tuple[str, int], int] = {}
    for g in groups.values():
        totals[(g.kind, g.unit_id)] = totals.get((g.kind, g.unit_id), 0) + len(g.members)
        keys[(g.kind, g.unit_id)] = keys.get((g.kind, g.unit_id), 0) + 1

    def score(g: Group) -> float:
        spread = max(keys[(g.kind, g.unit_id)], MIN_KEYS[g.kind])
        return surprise(len(g.members), totals[(g.kind, g.unit_id)] / spread)

    over = [g for g in groups.values() if len(g.members) >= limits[g.kind]]
    over.sort(key=lambda g: (-score(g), KIND_ORDER.index(g.kind), g.key))
    kept: list[Group] = []
    # An earlier proposal's claim stands only while its own group is under the threshold (an
    # aged-out concentration still explains its members); groups over it compete on strength.
    contending = {(g.kind, g.unit_id, g.key) for g in over}
    covered: dict[int, dict[str, Key]] = {
        unit: {t: k for t, k in tokens.items() if k not in contending} for unit, tokens in (claimed or {}).items()
    }
    explained: list[tuple[Key, Key]] = []
    for g in over:
        k = (g.kind, g.unit_id, g.key)
        mine = covered.setdefault(g.unit_id, {})
        holders = [h for t in g.members if (h := mine.get(t)) is not None and h != k]
        if len(g.members) - len(holders) >= limits[g.kind] or len(holders) < COVER * len(g.members):
            kept.append(g)
            for t in g.members:
                mine.setdefault(t, k)
        else:
            explained.append((k, max(holders, key=holders.count)))
    return kept, explained, covered


def key_label(kind: str, key: str) -> str:
    """How a concentration's object reads: the clerk's or window's or item's name, the reason's
    text, the phrase in quotes."""
    if kind == ProblemKind.STAFF:
        staff = Staff.objects.filter(pk=key).first()
        return f"{staff.name}（{staff.staff_no}）" if staff else key
    if kind == ProblemKind.WINDOW:
        window = Window.objects.filter(pk=key).first()
        return window.name if window else key
    if kind == ProblemKind.ITEM:
        item = ServiceItem.objects.filter(pk=key).first()
        return item.name if item else key
    if kind == ProblemKind.REASON:
        if key.startswith("dim:"):
            dim = key[4:]
            return Dimension(dim).label if dim in Dimension.values else dim
        text = (
            Indicator.objects.filter(code=key)
            .order_by("-indicator_set__is_active", "-id")
            .values_list("text", flat=True)
        )
        return text.first() or key
    return f"“{key}”"


def _split(members: dict[str, dt.datetime]) -> tuple[list[int], list[int]]:
    ordered = sorted(members, key=lambda t: (members[t], t))[:MAX_MEMBERS]
    return [int(t[1:]) for t in ordered if t[0] == "c"], [int(t[1:]) for t in ordered if t[0] == "d"]


def _link(problem: CommonProblem, members: dict[str, dt.datetime], now: dt.datetime, actor: Actor) -> int:
    cases, demands = _split(members)
    have_cases = set(ProblemCase.objects.filter(problem=problem, case_id__in=cases).values_list("case_id", flat=True))
    have_demands = set(
        ProblemDemand.objects.filter(problem=problem, demand_id__in=demands).values_list("demand_id", flat=True)
    )
    new_cases = [pk for pk in cases if pk not in have_cases]
    new_demands = [pk for pk in demands if pk not in have_demands]
    if not new_cases and not new_demands:
        return 0
    ProblemCase.objects.bulk_create(
        [ProblemCase(problem=problem, case_id=pk, linked_at=now, automatic=True) for pk in new_cases]
    )
    ProblemDemand.objects.bulk_create(
        [ProblemDemand(problem=problem, demand_id=pk, linked_at=now, automatic=True) for pk in new_demands]
    )
    data = {"cases": new_cases, "demands": new_demands, "automatic": True}
    timeline_append(ProblemAction, problem, Event.LINKED, actor=actor, data=data)
    audit_record(actor=actor, action="insight:problem:linked", target=problem, data=data)
    return len(new_cases) + len(new_demands)


@transaction.atomic
def problems_detect(*, now: dt.datetime | None = None, actor: Actor | None = None) -> DetectionResult:
    """Detect the concentrations of the rolling window ending ``now`` and propose, update or
    link them (module doc). Idempotent: run again over the same data, it changes nothing."""
    now = now or timezone.now()
    actor = actor or Actor.job("共性问题检测")
    days = settings.INSIGHT_PROBLEM_WINDOW_DAYS
    start = now - dt.timedelta(days=days)
    limits = thresholds()
    groups = collect(start, now)
    recent = list(ProblemProposal.objects.filter(last_at__gt=start).order_by("last_at", "id"))
    # Members already in a proposal count for that proposal's key only (module doc).
    claimed: dict[int, dict[str, Key]] = {}
    for proposal in recent:
        tokens = claimed.setdefault(proposal.unit_id, {})
        for t in [f"c{pk}" for pk in proposal.cases] + [f"d{pk}" for pk in proposal.demands]:
            tokens.setdefault(t, (proposal.kind, proposal.unit_id, proposal.key))
    kept, explained, covered = concentrations(groups, limits, claimed)
    result = DetectionResult(explained=explained)
    kinds = {g.kind for g in kept} | {p.kind for p in recent}
    open_problems: dict[tuple[str, int, str], CommonProblem] = {}
    for problem in CommonProblem.objects.filter(kind__in=kinds).exclude(state=ProblemState.CLOSED):
        open_problems.setdefault((problem.kind, problem.unit_id, problem.key), problem)
    cutoffs: dict[tuple[str, int, str], dt.datetime] = {}
    for kind, unit_id, key, closed_at in CommonProblem.objects.filter(
        kind__in=kinds, state=ProblemState.CLOSED, closed_at__gt=start
    ).values_list("kind", "unit_id", "key", "closed_at"):
        k = (kind, unit_id, key)
        if closed_at is not None:
            cutoffs[k] = max(closed_at, cutoffs.get(k, closed_at))
    live: dict[tuple[str, int, str], ProblemProposal] = {}
    for proposal in recent:
        k = (proposal.kind, proposal.unit_id, proposal.key)
        if proposal.state == ProposalState.PROPOSED:
            live[k] = proposal
        else:
            cutoffs[k] = max(proposal.last_at, cutoffs.get(k, proposal.last_at))
    by_key: dict[tuple[str, int, str], ProblemProposal] = {}
    for g in kept:
        k = (g.kind, g.unit_id, g.key)
        open_problem = open_problems.get(k)
        if open_problem is not None:
            result.linked += _link(open_problem, g.members, now, actor)
            continue
        members = g.after(cutoffs.get(k))
        ongoing = live.get(k)
        if ongoing is not None and (k not in cutoffs or ongoing.last_at > cutoffs[k]):
            known = {f"c{pk}" for pk in ongoing.cases} | {f"d{pk}" for pk in ongoing.demands}
            if not set(members) - known:
                continue
            merged = dict.fromkeys(known, ongoing.first_at) | members
            ongoing.cases, ongoing.demands = _split(merged)
            ongoing.count = max(ongoing.count, len(merged))
            ongoing.last_at = max(ongoing.last_at, max(members.values()))
            ongoing.updated_at = now
            ongoing.save(update_fields=["cases", "demands", "count", "last_at", "updated_at"])
            result.updated += 1
            by_key[k] = ongoing
            continue
        if len(members) < limits[g.kind]:
            continue
        cases, demands = _split(members)
        proposal = ProblemProposal.objects.create(
            kind=g.kind,
            key=g.key,
            label=key_label(g.kind, g.key)[:200],
            unit_id=g.unit_id,
            first_at=min(members.values()),
            last_at=max(members.values()),
            window_days=days,
            count=len(members),
            cases=cases,
            demands=demands,
            detected_at=now,
            updated_at=now,
        )
        audit_record(
            actor=actor,
            action="insight:problem:proposed",
            target=proposal,
            data={"kind": g.kind, "key": g.key, "unit": g.unit_id, "count": len(members), "window_days": days},
        )
        result.proposed.append(proposal)
        by_key[k] = proposal
    # A live proposal whose group is no longer kept: explained now by kept groups (or, below its
    # threshold today, mostly held by one) is folded into the strongest of them.
    for k in live:
        if k in by_key or k not in groups:
            continue
        mine = covered.get(k[1], {})
        holders = [h for t in groups[k].members if (h := mine.get(t)) is not None and h != k]
        size = len(groups[k].members)
        if holders and size - len(holders) < limits[k[0]] and len(holders) >= COVER * size:
            explained.append((k, max(holders, key=holders.count)))
    for k, by in explained:
        folded, into = live.get(k), by_key.get(by) or live.get(by)
        if folded is None or into is None or folded.pk == into.pk:
            continue
        if ProblemProposal.objects.filter(pk=folded.pk, state=ProposalState.PROPOSED).update(
            state=ProposalState.MERGED, merged_into=into, decided_at=now
        ):
            audit_record(actor=actor, action="insight:problem:merged", target=folded, data={"into": into.pk})
            result.merged += 1
    return result
