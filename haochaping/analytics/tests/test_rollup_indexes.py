"""The (system, day) indexes of the detailed rollups serve 业务系统 › 使用情况 (PostgreSQL only:
its plans are the ones that matter at a city's scale, where ``ServiceDay`` and ``RatingDay``
hold about a row per service). Sequential scans are disabled so that a small test database
shows the index the planner would use on a large table; without the index the plan reads the
(day, unit) index or the table, and the test fails."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from haochaping.analytics.coverage import coverage, system_usage
from haochaping.analytics.kpis import Slice, counts_by
from haochaping.analytics.models import RatingDay, ServiceDay
from haochaping.analytics.periods import Period
from haochaping.organizations.selectors import scope_for_user
from haochaping.service_records.models import ServiceItem
from haochaping.testing import explain_without_seqscan

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are checked on PostgreSQL")


@pytest.fixture
def rows(cast):
    """A year of rows of two systems, a row per service as in a city."""
    today = timezone.localdate()
    dims = {"unit": cast.unit_a, "item": ServiceItem.objects.first()}
    services, ratings = [], []
    for n in range(4000):
        system = cast.system_a if n % 2 else cast.system_all
        day = today - dt.timedelta(days=n % 365)
        services.append(ServiceDay(day=day, system=system, mode="offline", services=1, rated=n % 3 == 0, **dims))
        ratings.append(RatingDay(day=day, system=system, channel=1, level=5, ratings=1, **dims))
    ServiceDay.objects.bulk_create(services)
    RatingDay.objects.bulk_create(ratings)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE analytics_serviceday")
        cursor.execute("ANALYZE analytics_ratingday")
    return cast


def test_a_systems_usage_reads_the_system_indexes(rows):
    cast, today = rows, timezone.localdate()
    scope = scope_for_user(cast.users["supervisor"])
    with CaptureQueriesContext(connection) as queries:
        usage = system_usage(scope, cast.system_a, today)
    assert usage.total("services") == sum(1 for n in range(4000) if n % 2 and n % 365 < 30)
    assert usage.total("ratings") == usage.total("services")
    rollup_queries = [q["sql"] for q in queries.captured_queries if "analytics_" in q["sql"]]
    assert len(rollup_queries) == 3  # the services and ratings by day, the newest day
    for sql in rollup_queries:
        plan = explain_without_seqscan(sql)
        assert "Seq Scan on analytics_" not in plan, plan
        if "LIMIT 1" in sql:  # the newest day: the system index, or a day index walked backwards to the first match
            assert "system_idx" in plan or "Index Scan Backward" in plan, plan
        else:
            assert "analytics_service_system_idx" in plan or "analytics_rating_system_idx" in plan, plan


def test_the_coverage_reads_the_covering_index(transactional_db, rows):
    """Outside a transaction: an index-only scan needs the table vacuumed (its visibility map),
    as the rollup tables are on a live server."""
    cast = rows
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE analytics_serviceday")
    scope = scope_for_user(cast.users["supervisor"])
    with CaptureQueriesContext(connection) as queries:
        result = coverage(scope, Slice(unit_path=scope.unit_path), Period.of("month", timezone.localdate()))
    assert result.items[0] == 1
    grouped = [q["sql"] for q in queries.captured_queries if 'FROM "analytics_serviceday"' in q["sql"]]
    assert len(grouped) == 4  # by system, item, unit and window
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            for sql in grouped:
                cursor.execute("EXPLAIN " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                assert "Index Only Scan using analytics_service_cover_idx" in plan, plan
        finally:
            cursor.execute("RESET enable_seqscan")


def test_the_channel_mix_reads_the_ratings_covering_index(transactional_db, rows):
    """分析总览's ratings by channel: an index-only scan of the (day, unit) index with the summed
    columns (a month's rows lie scattered over a city's table)."""
    cast = rows
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE analytics_ratingday")
    scope = scope_for_user(cast.users["supervisor"])
    with CaptureQueriesContext(connection) as queries:
        by_channel = counts_by(Slice(unit_path=scope.unit_path), Period.of("month", timezone.localdate()), "channel")
    assert by_channel[1].ratings == RatingDay.objects.filter(day__gte=timezone.localdate().replace(day=1)).count()
    [sql] = [q["sql"] for q in queries.captured_queries if 'FROM "analytics_ratingday"' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
    assert "Index Only Scan using analytics_rating_cover_idx" in plan, plan
