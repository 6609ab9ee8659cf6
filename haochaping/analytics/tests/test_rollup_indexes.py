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

from haochaping.analytics.coverage import system_usage
from haochaping.analytics.models import RatingDay, ServiceDay
from haochaping.organizations.selectors import scope_for_user
from haochaping.service_records.models import ServiceItem

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are checked on PostgreSQL")


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_systems_usage_reads_the_system_indexes(cast):
    today = timezone.localdate()
    # A year of rows of both systems, a row per service as in a city.
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

    scope = scope_for_user(cast.users["supervisor"])
    with CaptureQueriesContext(connection) as queries:
        usage = system_usage(scope, cast.system_a, today)
    assert usage.total("services") == sum(1 for n in range(4000) if n % 2 and n % 365 < 30)
    assert usage.total("ratings") == usage.total("services")
    rollup_queries = [q["sql"] for q in queries.captured_queries if "analytics_" in q["sql"]]
    assert len(rollup_queries) == 3  # the services and ratings by day, the newest day
    for sql in rollup_queries:
        plan = _plan(sql)
        assert "analytics_service_system_idx" in plan or "analytics_rating_system_idx" in plan, plan
