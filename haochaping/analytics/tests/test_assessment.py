"""考核得分: the weighted total, the workings line by line and the weights' startup check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import checks

from haochaping.analytics.assessment import assess, assessment
from haochaping.analytics.kpis import Counts, Slice
from haochaping.analytics.models import CaseDay, RatingDay, ServiceDay
from haochaping.analytics.periods import Period
from haochaping.analytics.rollups import unit_totals_rebuild

DAY = dt.date(2026, 11, 10)
NOVEMBER = Period.of("month", DAY)
UNIT_WEIGHTS = {"score": 40, "good_rate": 20, "rating_rate": 15, "rectify_rate": 15, "on_time_rate": 10}


def test_each_measure_gives_weight_times_its_normalised_value():
    # 100 services, 80 rated; 80 valid ratings: 60 × 5, 12 × 4, 8 × 1 (bad); 8 cases, 6 rectified,
    # 4 of 5 due on time.
    c = Counts(
        services=100, rated=80, ratings=80, level_5=60, level_4=12, level_1=8, cases=8, rectified=6, due=5, on_time=4
    )
    total, lines = assess(c, {"score": 40, "bad_rate": 20, "rating_rate": 15, "rectify_rate": 15, "on_time_rate": 10})
    by_code = {line.code: line for line in lines}
    score = (60 * 100 + 12 * 75) / 80  # 86.25
    assert by_code["score"].points == pytest.approx(40 * score / 100)
    assert by_code["bad_rate"].points == pytest.approx(20 * (1 - 8 / 80))  # lower is better: 1 − rate
    assert "1 − 10.00%" in by_code["bad_rate"].note
    assert by_code["rating_rate"].points == pytest.approx(15 * 0.8)
    assert by_code["rectify_rate"].points == pytest.approx(15 * 6 / 8)
    assert by_code["on_time_rate"].points == pytest.approx(10 * 4 / 5)
    assert total == pytest.approx(sum(line.points for line in lines))
    assert by_code["rating_rate"].workings == "80 ÷ 100"
    assert [line.name for line in lines] == ["满意度得分", "差评率", "评价率", "差评整改率", "按期整改率"]


def test_a_measure_without_data_passes_its_weight_to_the_others_and_says_so():
    # No cases at all: 差评整改率 (15) and 按期整改率 (10) have no data; the other 75 become 100.
    c = Counts(services=10, rated=10, ratings=10, level_5=10)
    total, lines = assess(c, UNIT_WEIGHTS)
    by_code = {line.code: line for line in lines}
    assert by_code["rectify_rate"].points is None and by_code["on_time_rate"].points is None
    assert "无数据" in by_code["rectify_rate"].note and "按比例分给其他" in by_code["rectify_rate"].note
    assert by_code["score"].applied_weight == pytest.approx(40 * 100 / 75)
    assert "调整为 53.33" in by_code["score"].note and "差评整改率、按期整改率无数据" in by_code["score"].note
    assert total == pytest.approx(100.0)  # everything perfect is still 100 out of 100
    empty_total, empty_lines = assess(Counts(), UNIT_WEIGHTS)
    assert empty_total is None and all(line.points is None for line in empty_lines)


@pytest.mark.django_db
def test_units_and_staff_are_ranked_by_total_with_their_subtree(cast):
    common = {"day": DAY, "item_id": 1, "channel": 4}
    RatingDay.objects.create(unit_id=cast.unit_a.pk, staff_id=cast.staff_a.pk, level=5, ratings=10, **common)
    RatingDay.objects.create(unit_id=cast.unit_b.pk, staff_id=cast.staff_b.pk, level=1, ratings=10, **common)
    RatingDay.objects.create(unit_id=cast.community.pk, level=4, ratings=4, **common)  # counts for its street
    ServiceDay.objects.create(
        day=DAY, unit_id=cast.unit_a.pk, staff_id=cast.staff_a.pk, item_id=1, mode="offline", services=10, rated=10
    )
    CaseDay.objects.create(unit_id=cast.unit_b.pk, cases=10, rectified=5, due=10, on_time=5, **common)
    unit_totals_rebuild()  # the unit totals the pages read, from these rows
    units = assessment(Slice(cast.district.path), NOVEMBER, entity="unit")
    names = [(a.name, a.rank) for a in units]
    assert names[0] == ("区市场监督管理局", 1)
    street = next(a for a in units if a.name == "人民路街道便民服务中心")
    # its community's ratings: score 75 (weight 40) and 好评率 100 % (20) share the 100 points
    assert street.total == pytest.approx((40 * 75 + 20 * 100) / 60)
    assert units[-1].total is None and units[-1].rank is None  # the centre: no data
    staff = assessment(Slice(cast.district.path), NOVEMBER, entity="staff")
    assert [(a.name, a.staff_no, a.rank) for a in staff] == [("王晓红", "A001", 1), ("李建国", "B001", 2)]
    assert staff[0].total == pytest.approx(100.0)
    assert staff[0].unit == "区市场监督管理局"
    assert [a.name for a in assessment(Slice(cast.unit_a.path), NOVEMBER, entity="staff")] == ["王晓红"]


def _errors(settings, **overrides):
    for name, value in overrides.items():
        setattr(settings, name, value)
    return [m for m in checks.run_checks() if m.id and m.id.startswith("haochaping.analytics")]


def test_the_startup_check_refuses_weights_that_do_not_sum_to_100(settings):
    assert _errors(settings) == []
    errors = _errors(settings, ANALYTICS_ASSESSMENT_WEIGHTS={"score": 50, "good_rate": 20})
    assert [e.id for e in errors] == ["haochaping.analytics.E001"]
    assert "sum to 70, not 100" in errors[0].msg
    errors = _errors(
        settings,
        ANALYTICS_ASSESSMENT_WEIGHTS={"score": 50, "nonsense": 50},
        ANALYTICS_ASSESSMENT_STAFF_WEIGHTS={"score": 50, "callback_rate": 50},
    )
    messages = " ".join(e.msg for e in errors)
    assert "unknown measure 'nonsense'" in messages
    assert "ANALYTICS_ASSESSMENT_STAFF_WEIGHTS: 'callback_rate' exists for units only" in messages


def test_the_startup_check_refuses_unknown_supervision_rules(settings):
    errors = _errors(settings, ANALYTICS_SUPERVISION_RULES={"bottom_score": {"bottom": 0}, "top_score": {}})
    messages = " ".join(e.msg for e in errors)
    assert "unknown rule 'top_score'" in messages and "bottom must be a positive integer" in messages
