"""The indexes added for the console pages of issue 17 serve the queries they were added for
(PostgreSQL only: its plans are the ones that matter at 5 million records, and ``EXPLAIN`` names
the index). Sequential scans are disabled so that a small test database shows the index the
planner would use on a large table; without the index the plan reads the table or another
index, and the test fails.

* ``case_state_due_idx``: the menu's (and home page's) open-case figures;
* ``evaluation_text_time_idx``: the 评价建议 list (ratings with a text, by time).
"""

from __future__ import annotations

import datetime as dt
from copy import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from haochaping.evaluations.models import Evaluation
from haochaping.organizations.selectors import scope_for_user
from haochaping.outreach.selectors import ratings_with_suggestions
from haochaping.rectification.models import CaseState, RectificationCase
from haochaping.rectification.selectors import case_queue_counts
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import explain_without_seqscan
from haochaping.testing_world import push, rate

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are checked on PostgreSQL")


@pytest.fixture
def rated(cast):
    for n in range(6):
        rate(push(cast, f"SCJG-IX-{n}"), 1 + n % 5, reasons=["XC-XL-B01"] if n % 5 < 2 else [],
             text="建议增加窗口" if n % 2 else "")  # fmt: skip
    # Most cases of a district are closed (a case is open for weeks, the table holds years), and
    # most ratings carry no text: copies of the last one.
    opened = timezone.now() - dt.timedelta(days=400)
    closed = [
        RectificationCase(number=f"CP-IX-{n:05d}", unit=cast.unit_a, state=CaseState.CLOSED, opened_at=opened,
                          due_at=opened + dt.timedelta(days=15))
        for n in range(3000)
    ]  # fmt: skip
    RectificationCase.objects.bulk_create(closed)
    template = Evaluation.objects.select_related("record").filter(text="").latest("pk")
    # Within the suggestions' 90 days (as on a live server, where those days hold many ratings
    # without a text): the time index alone then reads them all, the text index three.
    recent = timezone.now() - dt.timedelta(days=10)
    records = []
    for n in range(3000):
        record = copy(template.record)
        record.pk, record.project_no, record.created_at = None, f"IX-{n:05d}", recent
        records.append(record)
    ServiceRecord.objects.bulk_create(records)
    ratings = []
    for record in records:
        rating = copy(template)
        rating.pk, rating.record, rating.evaluated_at, rating.client_key = None, record, recent, ""
        ratings.append(rating)
    Evaluation.objects.bulk_create(ratings)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return cast


def test_the_menus_open_case_figures_read_the_state_index(rated):
    scope = scope_for_user(rated.users["supervisor"])
    with CaptureQueriesContext(connection) as queries:
        counts = case_queue_counts(scope=scope, now=timezone.now(), open_only=True)
    assert counts["pending_verify"] >= 1
    (query,) = queries.captured_queries
    plan = explain_without_seqscan(query["sql"])
    assert "case_state_due_idx" in plan, plan


def test_the_suggestions_read_the_ratings_with_a_text(rated):
    scope = scope_for_user(rated.users["supervisor"])
    since = timezone.now() - dt.timedelta(days=90)
    suggestions = ratings_with_suggestions(scope=scope, since=since)
    assert suggestions.count() == 3
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    for plan in (suggestions[:50].explain(), suggestions.order_by().explain()):
        assert "evaluation_text_time_idx" in plan, plan
