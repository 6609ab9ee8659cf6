"""Rankings on small samples: the minimum sample and the shrinkage toward the mean."""

from __future__ import annotations

import datetime as dt

import pytest

from haochaping.analytics.kpis import Slice
from haochaping.analytics.models import RatingDay
from haochaping.analytics.periods import Period
from haochaping.analytics.ranking import ranking
from haochaping.analytics.rollups import unit_totals_rebuild

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 10)
NOVEMBER = Period.of("month", DAY)


def _ratings(unit, staff, *, good: int, bad: int) -> None:
    common = {"day": DAY, "unit_id": unit.pk, "staff_id": staff.pk if staff else None, "item_id": 1, "channel": 4}
    RatingDay.objects.create(level=5, ratings=good, **common)
    RatingDay.objects.create(level=1, ratings=bad, **common)
    unit_totals_rebuild()  # the unit totals the pages read, from these rows


def test_a_tiny_sample_is_listed_not_ranked(cast):
    _ratings(cast.unit_a, cast.staff_a, good=0, bad=2)  # 2 ratings, both bad
    _ratings(cast.unit_b, cast.staff_b, good=90, bad=10)
    table = ranking(Slice(cast.district.path), NOVEMBER, entity="staff", kpi_code="bad_rate", min_sample=30)
    assert [r.name for r in table.ranked] == ["李建国（B001）"]
    assert [r.name for r in table.unranked] == ["王晓红（A001）"]
    assert table.unranked[0].value == 1.0 and table.unranked[0].rank is None
    assert "不少于 30" in table.method


def test_shrinkage_pulls_small_samples_toward_the_mean(cast):
    """Unit A: 4 of 20 bad (20 %); unit B: 100 of 1,000 bad (10 %). Pooled mean 104/1020. With
    m = 50, A's adjusted rate is (4 + 50 × mean) ÷ 70, much nearer the mean than its raw 20 %."""
    _ratings(cast.unit_a, None, good=16, bad=4)
    _ratings(cast.unit_b, None, good=900, bad=100)
    table = ranking(Slice(cast.district.path), NOVEMBER, entity="unit", kpi_code="bad_rate", min_sample=10,
                    prior_weight=50)  # fmt: skip
    rows = {r.name: r for r in table.rows}
    mean = 104 / 1020
    assert table.mean == pytest.approx(mean)
    assert rows["区市场监督管理局"].value == pytest.approx(0.2)
    assert rows["区市场监督管理局"].adjusted == pytest.approx((4 + 50 * mean) / 70)
    assert rows["区人力资源和社会保障局"].adjusted == pytest.approx((100 + 50 * mean) / 1050)
    # Lower is better for 差评率: B ranks first.
    assert [r.name for r in table.ranked] == ["区人力资源和社会保障局", "区市场监督管理局"]
    assert [r.rank for r in table.ranked] == [1, 2]


def test_equal_values_share_a_rank_and_a_unit_ranks_its_subtree(cast):
    _ratings(cast.unit_a, None, good=50, bad=0)
    _ratings(cast.unit_b, None, good=50, bad=0)
    _ratings(cast.community, None, good=40, bad=0)  # counts for its street centre
    table = ranking(Slice(cast.district.path), NOVEMBER, entity="unit", kpi_code="score", min_sample=30)
    ranks = {r.name: r.rank for r in table.rows}
    assert ranks["区市场监督管理局"] == ranks["区人力资源和社会保障局"] == ranks["人民路街道便民服务中心"] == 1
    assert {r.name: r.sample for r in table.rows}["人民路街道便民服务中心"] == 40


def test_a_department_admin_ranks_only_its_subtree(cast):
    _ratings(cast.unit_a, cast.staff_a, good=50, bad=0)
    _ratings(cast.unit_b, cast.staff_b, good=50, bad=0)
    table = ranking(Slice(cast.unit_a.path), NOVEMBER, entity="staff", kpi_code="score", min_sample=1)
    assert [r.name for r in table.rows] == ["王晓红（A001）"]
