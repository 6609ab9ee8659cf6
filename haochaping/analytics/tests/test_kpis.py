"""Each measure of SPEC §5 on a hand-built fixture with known answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields

import pytest
from django.test import override_settings
from django.utils import timezone

from haochaping.analytics.kpis import Counts, Slice, counts, counts_by, kpi_get, roll_up
from haochaping.analytics.periods import Period
from haochaping.analytics.rollups import rollup_refresh
from haochaping.evaluations.models import Evaluation
from haochaping.rectification.services import case_scan_deadlines
from haochaping.rectification.workflow import Action
from haochaping.testing_world import push, rate, step, upload

pytestmark = pytest.mark.django_db


def _period() -> Period:
    today = timezone.localdate()
    return Period.between(today - dt.timedelta(days=59), today)


def _figures(unit_path: str = "/", **narrow) -> dict:
    rollup_refresh()
    (c,) = counts(Slice(unit_path=unit_path, **narrow), [_period()])
    return {
        code: kpi_get(code).value(c)
        for code in (
            "services",
            "ratings",
            "rating_rate",
            "active_rate",
            "good_rate",
            "bad_rate",
            "score",
            "invalid",
            "rectify_rate",
            "on_time_rate",
            "overdue_open",
            "callback_rate",
            "demands",
        )
    }


def test_the_world_figures(cast, world):
    figures = _figures()
    assert figures["services"] == 5
    assert figures["ratings"] == 3
    assert figures["rating_rate"] == pytest.approx(3 / 5)
    assert figures["good_rate"] == pytest.approx(1 / 3)
    assert figures["bad_rate"] == pytest.approx(2 / 3)
    assert figures["score"] == pytest.approx((0 + 100 + 25) / 3)
    assert figures["rectify_rate"] == 0
    assert figures["invalid"] == 0


def test_a_default_rating_is_rated_but_not_by_the_person(cast, world):
    record = push(cast, "SCJG2026110077")
    Evaluation.objects.create(
        record=record,
        level=5,
        channel=1,
        is_default=True,
        evaluated_at=timezone.now(),
        indicator_set_id=world.eval_a.indicator_set_id,
    )
    figures = _figures()
    assert figures["rating_rate"] == pytest.approx(4 / 6)
    assert figures["active_rate"] == pytest.approx(3 / 6)


def test_an_invalidated_rating_leaves_the_rates_but_is_counted(cast, world):
    step(cast, "admin_b", world.case_b, Action.REQUEST_INVALID, text="恶意差评", files=[upload()])
    step(cast, "supervisor", world.case_b, Action.APPROVE_INVALID, text="同意")
    figures = _figures()
    assert figures["ratings"] == 3 and figures["invalid"] == 1
    assert figures["good_rate"] == pytest.approx(1 / 2)
    assert figures["bad_rate"] == pytest.approx(1 / 2)
    assert figures["score"] == pytest.approx((0 + 100) / 2)
    assert figures["rectify_rate"] == 0  # 0 rectified of (2 cases − 1 invalidated)


def test_basic_counts_as_good_only_when_set(cast, world):
    rate(push(cast, "SCJG2026110078"), 3)
    assert _figures()["good_rate"] == pytest.approx(2 / 4)
    with override_settings(ANALYTICS_BASIC_IS_GOOD=False):
        assert _figures()["good_rate"] == pytest.approx(1 / 4)
        assert "基本满意不计入" in kpi_get("good_rate").definition


def test_on_time_counts_due_cases_only_and_late_rectification_is_late(cast, world):
    """case_a's deadline has passed (rated 20 days ago, 15 days); case_b is not due yet."""
    case_scan_deadlines()
    figures = _figures()
    assert figures["overdue_open"] == 1
    assert figures["on_time_rate"] == 0  # 0 of 1 due
    step(cast, "admin_a", world.case_a, Action.VERIFY, text="属实")
    step(cast, "admin_a", world.case_a, Action.RECTIFY, text="已整改")
    step(cast, "admin_b", world.case_b, Action.VERIFY, text="属实")
    step(cast, "admin_b", world.case_b, Action.RECTIFY, text="已整改")
    figures = _figures()
    assert figures["overdue_open"] == 0
    assert figures["rectify_rate"] == 1
    assert figures["on_time_rate"] == pytest.approx(1 / 2)  # case_b on time, case_a late


def test_an_extension_moves_the_deadline_on_time_is_measured_against(cast, world):
    step(cast, "admin_b", world.case_b, Action.VERIFY, text="属实")
    new_due = timezone.localdate(world.case_b.due_at) + dt.timedelta(days=10)
    step(cast, "admin_b", world.case_b, Action.REQUEST_EXTENSION, text="需协调", new_due=new_due)
    step(cast, "supervisor", world.case_b, Action.APPROVE_EXTENSION, text="同意")
    step(cast, "admin_b", world.case_b, Action.RECTIFY, text="已整改")
    figures = _figures(cast.unit_b.path)
    assert figures["on_time_rate"] == 1


def test_a_slice_narrowed_to_a_staff_member_leaves_out_callbacks_and_demands(cast, world):
    figures = _figures(staff_id=cast.staff_a.pk)
    assert figures["ratings"] == 1 and figures["bad_rate"] == 1
    assert figures["callback_rate"] is None and figures["demands"] is None


def test_subtree_scope_and_roll_up(cast, world):
    assert _figures(cast.unit_b.path)["ratings"] == 1
    rollup_refresh()
    by_unit = counts_by(Slice(unit_path=cast.district.path), _period(), "unit")
    rows = {row.unit.code: row.counts for row in roll_up(cast.district.path, by_unit)}
    assert rows["SCJG"].ratings == 2 and rows["RSJ"].ratings == 1
    assert rows["SCJG"].services == 3


def test_the_unit_totals_give_what_the_detailed_tables_give(cast, world):
    """A slice of a unit subtree reads the unit totals; the detailed tables, grouped by channel
    (ratings, cases) or item (services), add up to the same counts."""
    record = push(cast, "SCJG2026110079")
    Evaluation.objects.create(record=record, level=5, channel=1, is_default=True, evaluated_at=timezone.now(),
                              indicator_set_id=world.eval_a.indicator_set_id)  # fmt: skip
    rate(push(cast, "SCJG2026110080"), 3, channel=2)
    step(cast, "admin_b", world.case_b, Action.REQUEST_INVALID, text="恶意差评", files=[upload()])
    step(cast, "supervisor", world.case_b, Action.APPROVE_INVALID, text="同意")
    rollup_refresh()
    period = _period()
    for path in ("/", cast.unit_a.path):
        (whole,) = counts(Slice(unit_path=path), [period])
        detail = {f.name: 0 for f in fields(Counts) if f.type == "int"}
        for grouping, names in (("channel", RATING_AND_CASE), ("item", ("services", "rated", "rated_active"))):
            for c in counts_by(Slice(unit_path=path), period, grouping).values():
                for name in names:
                    detail[name] += getattr(c, name)
        assert {name: getattr(whole, name) for name in detail if name in SUMMED} == {
            name: value for name, value in detail.items() if name in SUMMED
        }
    (whole,) = counts(Slice(unit_path="/"), [period])
    assert (whole.ratings, whole.invalid, whole.default, whole.level_3, whole.cases) == (5, 1, 1, 1, 2)
    by_unit = counts_by(Slice(unit_path="/"), period, "unit")
    assert sum(c.ratings for c in by_unit.values()) == 5 and by_unit[cast.unit_b.pk].invalid == 1


def test_overlapping_periods_are_each_counted_whole(cast, world):
    rollup_refresh()
    period = _period()
    wider = Period.between(period.first - dt.timedelta(days=30), period.last)
    alone, with_wider = counts(Slice(unit_path="/"), [period]), counts(Slice(unit_path="/"), [period, wider])
    assert with_wider[0] == alone[0] and with_wider[1].ratings == alone[0].ratings == 3


RATING_AND_CASE = ("ratings", "invalid", "default", "level_5", "level_4", "level_3", "level_2", "level_1", "cases",
                   "invalidated", "rectified", "due", "on_time", "overdue_open", "escalated", "extended", "reopened",
                   "closed")  # fmt: skip
SUMMED = (*RATING_AND_CASE, "services", "rated", "rated_active")


def test_previous_and_year_earlier_periods():
    month = Period.of("month", dt.date(2026, 3, 31))
    assert (month.first, month.last) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert month.previous().first == dt.date(2026, 2, 1) and month.previous().last == dt.date(2026, 2, 28)
    assert month.year_earlier().first == dt.date(2025, 3, 1)
    quarter = Period.of("quarter", dt.date(2026, 1, 15))
    assert quarter.previous() == Period.of("quarter", dt.date(2025, 12, 1))
    span = Period.between(dt.date(2024, 2, 29), dt.date(2024, 3, 9))
    assert span.previous().last == dt.date(2024, 2, 28) and span.previous().days == 10
    assert span.year_earlier().first == dt.date(2023, 2, 28)
    week = Period.of("week", dt.date(2026, 12, 6))
    assert week.first.weekday() == 0 and week.days == 7
