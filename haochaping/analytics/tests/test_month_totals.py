"""The unit month totals: a period's whole months read from them give exactly what its days give."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from haochaping.analytics.kpis import Slice, counts, counts_by, month_split
from haochaping.analytics.models import CaseDay, RatingDay, RatingUnitMonth, ServiceDay, ServiceUnitMonth
from haochaping.analytics.periods import Period
from haochaping.analytics.rollups import rollup_refresh, rollup_snapshot, unit_totals_rebuild
from haochaping.testing_world import push, rate

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.mark.parametrize(
    ("first", "last", "months", "days"),
    [
        (D(2026, 1, 1), D(2026, 12, 6), (D(2026, 1, 1), D(2026, 11, 1)), [(D(2026, 12, 1), D(2026, 12, 6))]),
        (D(2026, 11, 1), D(2026, 11, 30), (D(2026, 11, 1), D(2026, 11, 1)), []),
        (D(2026, 2, 1), D(2026, 2, 28), (D(2026, 2, 1), D(2026, 2, 1)), []),
        (D(2024, 2, 1), D(2024, 2, 28), None, [(D(2024, 2, 1), D(2024, 2, 28))]),  # leap year: not whole
        (D(2026, 11, 2), D(2026, 11, 30), None, [(D(2026, 11, 2), D(2026, 11, 30))]),
        (D(2026, 11, 5), D(2027, 1, 3), (D(2026, 12, 1), D(2026, 12, 1)),
         [(D(2026, 11, 5), D(2026, 11, 30)), (D(2027, 1, 1), D(2027, 1, 3))]),
        (D(2026, 11, 30), D(2026, 12, 1), None, [(D(2026, 11, 30), D(2026, 12, 1))]),
        (D(2025, 12, 31), D(2026, 2, 28), (D(2026, 1, 1), D(2026, 2, 1)), [(D(2025, 12, 31), D(2025, 12, 31))]),
    ],
)  # fmt: skip
def test_a_period_splits_into_whole_months_and_other_days(first, last, months, days):
    assert month_split(Period.between(first, last)) == (months, days)


def _random_rollups(rng: random.Random, units: list[int]) -> None:
    """Detailed rollup rows on random days of two years (every level, invalid and default
    ratings, every case count), then the unit totals summed from them."""
    start = D(2025, 1, 1)
    services, ratings, cases = [], [], []
    for _ in range(600):
        common = {"day": start + dt.timedelta(days=rng.randrange(730)), "unit_id": rng.choice(units), "item_id": 1}
        services.append(ServiceDay(mode="window", services=rng.randint(1, 9), rated=rng.randint(0, 1),
                                   rated_active=rng.randint(0, 1), **common))  # fmt: skip
        ratings.append(RatingDay(channel=rng.choice([1, 4]), level=rng.randint(1, 5), is_default=rng.random() < 0.1,
                                 invalid=rng.random() < 0.05, ratings=rng.randint(1, 5), **common))  # fmt: skip
        if rng.random() < 0.3:
            cases.append(CaseDay(channel=4, cases=rng.randint(1, 3), rectified=rng.randint(0, 1),
                                 due=rng.randint(0, 1), on_time=rng.randint(0, 1), closed=1, **common))  # fmt: skip
    ServiceDay.objects.bulk_create(services)
    RatingDay.objects.bulk_create(ratings)
    CaseDay.objects.bulk_create(cases)
    unit_totals_rebuild()


def _random_period(rng: random.Random) -> Period:
    first = D(2025, 1, 1) + dt.timedelta(days=rng.randrange(700))
    if rng.random() < 0.4:  # whole months, as the pages' month, quarter and year periods
        first = first.replace(day=1)
        return Period.of(rng.choice(["month", "quarter", "year"]), first)
    return Period.between(first, min(first + dt.timedelta(days=rng.randrange(1, 400)), D(2026, 12, 31)))


def test_month_totals_give_what_the_day_totals_give(cast):
    rng = random.Random(20261207)
    units = [cast.district.pk, cast.unit_a.pk, cast.unit_b.pk, cast.community.pk]
    _random_rollups(rng, units)
    assert RatingUnitMonth.objects.count() > 20  # several months of several units
    for _ in range(40):
        periods = [_random_period(rng) for _ in range(rng.randint(1, 3))]
        for path in ("/", cast.unit_a.path):
            slice_ = Slice(unit_path=path)
            assert counts(slice_, periods) == counts(slice_, periods, months=False), periods
            by_unit = counts_by(slice_, periods[0], "unit")
            by_day = counts_by(slice_, periods[0], "day")
            for name in ("services", "ratings", "invalid", "default", "level_2", "cases", "rectified"):
                assert sum(getattr(c, name) for c in by_unit.values()) == sum(getattr(c, name) for c in by_day.values())
    # A disjoint set (a month, the month before, a year earlier) as the overview asks it.
    month = Period.of("month", D(2026, 3, 1))
    periods = [month, month.previous(), month.year_earlier()]
    assert counts(Slice(unit_path="/"), periods) == counts(Slice(unit_path="/"), periods, months=False)


def test_a_year_to_date_reads_the_months_and_the_remaining_days_in_one_query_per_table(cast):
    _random_rollups(random.Random(7), [cast.unit_a.pk, cast.unit_b.pk])
    year_to_date = Period.between(D(2026, 1, 1), D(2026, 12, 6))
    with CaptureQueriesContext(connection) as queries:
        (total,) = counts(Slice(unit_path="/"), [year_to_date], tables=("service", "rating"))
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 2
    assert ServiceUnitMonth._meta.db_table in sql[0] and "UNION ALL" in sql[0]
    assert RatingUnitMonth._meta.db_table in sql[1] and "UNION ALL" in sql[1]
    (days_only,) = counts(Slice(unit_path="/"), [year_to_date], tables=("service", "rating"), months=False)
    assert total == days_only and total.ratings > 0


def test_refreshes_keep_the_month_totals_of_the_days_they_recompute(cast, world):
    """Ratings of earlier months, then refreshes: every month row is its days' sum, as a rebuild's."""
    rollup_refresh()
    for n, days_ago in enumerate([0, 1, 35, 35, 70]):
        rate(push(cast, f"MONTH{n:04d}"), 5 if n % 2 else 2, days_ago=days_ago, text="态度不好")
        rollup_refresh()
    snapshot = rollup_snapshot()
    assert len({row[0] for row in snapshot["rating months"]}) >= 3  # three months hold ratings
    unit_totals_rebuild()
    assert rollup_snapshot() == snapshot
