"""The outreach tag library: the demand's reply deadline and flags, built on core.pages.badges,
keep the words and classes the demand pages always showed."""

import datetime as dt
from zoneinfo import ZoneInfo

from haochaping.organizations.models import Unit
from haochaping.outreach.choices import CategoryKind, DemandState
from haochaping.outreach.console.templatetags.outreach import demand_deadline, demand_flags
from haochaping.outreach.models import Demand, DemandCategory

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=TZ)


def demand(**fields) -> Demand:
    values = {"state": DemandState.ASSIGNED, "due_at": NOW + dt.timedelta(days=5)}
    return Demand(**{**values, **fields})


def test_a_running_deadline_shows_the_days_left_and_warns_one_day_ahead():
    assert demand_deadline(demand(), now=NOW) == (
        '<span class="deadline on-time">2026-03-15<small>剩余 5 天</small></span>'
    )
    assert 'class="deadline due-soon">2026-03-11<small>剩余 1 天' in demand_deadline(
        demand(due_at=NOW + dt.timedelta(days=1)), now=NOW
    )
    assert 'class="deadline on-time">2026-03-12<small>剩余 2 天' in demand_deadline(
        demand(due_at=NOW + dt.timedelta(days=2)), now=NOW
    )
    assert "今日到期" in demand_deadline(demand(due_at=NOW + dt.timedelta(hours=3)), now=NOW)
    assert demand_deadline(demand(due_at=NOW - dt.timedelta(days=2)), now=NOW) == (
        '<span class="deadline overdue">2026-03-08<small>已逾期 2 天</small></span>'
    )


def test_an_answered_demand_shows_whether_the_reply_was_on_time():
    on_time = demand(state=DemandState.REPLIED, replied_at=NOW)
    late = demand(state=DemandState.CLOSED, replied_at=NOW + dt.timedelta(days=6))
    never = demand(state=DemandState.INVALID)
    assert demand_deadline(on_time, now=NOW) == (
        '<span class="deadline on-time">2026-03-15<small>按期答复</small></span>'
    )
    assert demand_deadline(late, now=NOW) == '<span class="deadline late">2026-03-15<small>逾期答复</small></span>'
    assert demand_deadline(never, now=NOW) == '<span class="deadline">2026-03-15</span>'


def test_flags_mark_overdue_warned_escalated_and_complaints():
    overdue = demand(due_at=NOW - dt.timedelta(hours=1), warned_at=NOW - dt.timedelta(days=1))
    assert demand_flags(overdue, now=NOW) == '<span class="flag flag-overdue" title="超过答复期限仍未答复">逾期</span>'
    warned = demand(warned_at=NOW)
    assert demand_flags(warned, now=NOW) == '<span class="flag flag-warned" title="答复期限即将到期">预警</span>'
    escalated = demand(
        state=DemandState.REPLIED,
        escalated_at=NOW,
        escalated_to=Unit(pk=1, name="市政务服务管理局"),
        category=DemandCategory(pk=1, kind=CategoryKind.COMPLAINT),
    )
    assert demand_flags(escalated, now=NOW) == (
        '<span class="flag flag-escalated" title="2026-03-10 督办至市政务服务管理局">督办</span>'
        '<span class="flag flag-complaint" title="投诉类诉求，答复后回访">投诉</span>'
    )
    assert demand_flags(demand(), now=NOW) == ""
