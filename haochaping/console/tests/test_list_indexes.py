"""Each filter of the large console lists is served by an index, with the list's ordering
(issue 17; docs/architecture.md, "Indexes"). PostgreSQL only: its plans are the ones that matter
at 5 million records, and ``EXPLAIN`` says which index it reads.

The querysets are the pages' own (the views' filter helpers, on a request with the filter), over
the demo organisation grown by ``bench/pages.py`` at a small size and analysed. Sequential scans
are disabled so that a plan shows the index the planner would use on a large table; a filter
whose index is missing then reads another index in full, or the table, and the test fails.
"""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.db.models import Count
from django.test import RequestFactory
from django.utils import timezone

from bench import pages as bench
from haochaping.evaluations.console.views import _filtered as evaluations_filtered
from haochaping.organizations.selectors import scope_for_user
from haochaping.outreach.console.calls import _filtered_tasks
from haochaping.outreach.console.demands import _filtered_demands
from haochaping.outreach.models import CallTask, Demand
from haochaping.rectification.console.views import _queue
from haochaping.rectification.models import RectificationCase
from haochaping.service_records.console.views import _filtered as records_filtered
from haochaping.service_records.models import ServiceRecord

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are checked on PostgreSQL"),
]

RECORDS = "service_records_servicerecord"
RATINGS = "evaluations_evaluation"
CASES = "rectification_rectificationcase"
TASKS = "outreach_calltask"
DEMANDS = "outreach_demand"
# Django's names for one-column indexes begin with the table and column.
RECORD_CREATED = f"{RECORDS}_created_at"
RATING_TIME = f"{RATINGS}_evaluated_at"


@pytest.fixture
def grown(settings):
    """The demo organisation with 40,000 services over 60 days, analysed."""
    settings.RECTIFICATION_DAYS = 15
    bench.grow(40_000, days=60, out=lambda _line: None)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _rarest(field: str) -> str:
    """The value of ``field`` with the fewest services: a filter that keeps few rows among many,
    the case its index is for (a common value is served by walking the list's ordering)."""
    rows = ServiceRecord.objects.exclude(**{f"{field}__isnull": True}).values(field).annotate(n=Count("id"))
    return str(rows.order_by("n", field).values_list(field, flat=True).first())


def _samples() -> dict[str, str]:
    record = ServiceRecord.objects.order_by("-pk").first()
    assert record is not None
    day = timezone.localtime(record.created_at).date()
    return {
        "staff_no": _rarest("staff__staff_no"),
        "unit_code": _rarest("unit__code"),
        "window_code": _rarest("window__code"),
        "item_code": _rarest("item__code"),
        "system": _rarest("system_id"),
        "project_no": record.project_no,
        "day": f"{day:%Y-%m-%d}",
        "number": RectificationCase.objects.values_list("number", flat=True).first() or "",
        "demand": Demand.objects.values_list("number", flat=True).first() or "",
        "kind": CallTask.objects.values_list("kind", flat=True).first() or "",
    }


def _request(user, query: str):
    request = RequestFactory().get("/console/", dict(p.split("=", 1) for p in query.split("&") if p))
    request.user = user
    return request


def _plans(queryset) -> dict[str, str]:
    """The plans of the page's rows (``[:50]``) and of the bounded count (``[:10001]``)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return {"page": queryset[:50].explain(), "count": queryset.order_by()[:10001].explain()}


def _scans(plan: str) -> list[str]:
    """The plan's scan lines (which table or index is read, and how)."""
    return [line.strip().removeprefix("->  ") for line in plan.splitlines() if " Scan " in f" {line} "]


def _check(plan: str, part: str, big: tuple[str, ...], expected: dict[str, str | tuple[str, str]]) -> None:
    """No table of ``big`` read in full; each table of ``expected`` read by its index. A pair
    (filter's index, ordering index): the page may walk the list's ordering instead (the
    planner's choice when the filter keeps many rows), the count reads the filter's index."""
    scans = _scans(plan)
    for table in big:
        assert not [s for s in scans if s.startswith(f"Seq Scan on {table} ")], f"{table} read in full: {scans}"
    for table, wanted in expected.items():
        indexes = (wanted,) if isinstance(wanted, str) else wanted if part == "page" else wanted[:1]
        # An index name says its table (Django's own names begin with the table and column).
        assert any(re.search(rf"(using| Index Scan on) ({'|'.join(indexes)})", s) for s in scans), (
            f"{table} not read by {' or '.join(indexes)}: {scans}"
        )


def _user(role: str):
    return bench.role_accounts([role])[role]


# Per list, (filter, {table: the index its plan must read that table by}); "{x}": a sample value.
RECORD_FILTERS = [
    ("", {RECORDS: RECORD_CREATED}),
    ("staff_no={staff_no}", {RECORDS: ("record_staff_unit_created_idx", RECORD_CREATED)}),
    ("window_code={window_code}", {RECORDS: ("record_window_created_idx", RECORD_CREATED)}),
    ("item_code={item_code}", {RECORDS: ("record_item_created_idx", RECORD_CREATED)}),
    ("project_no={project_no}", {RECORDS: "service_record_key_unique"}),
    ("date_from={day}&date_to={day}", {RECORDS: RECORD_CREATED}),
]

RATING_FILTERS = [
    ("", {RATINGS: RATING_TIME}),
    ("level=1", {RATINGS: "evaluation_level_time_idx"}),
    ("channel=6", {RATINGS: "evaluation_channel_time_idx"}),
    ("date_from={day}&date_to={day}", {RATINGS: RATING_TIME}),
    ("staff_no={staff_no}", {RATINGS: ("evaluation_staff_unit_time_idx", RATING_TIME)}),
    ("unit_code={unit_code}", {RATINGS: ("evaluation_unit_time_idx", RATING_TIME)}),
    ("window_code={window_code}", {RECORDS: ("record_window_created_idx", RATING_TIME)}),
    ("item_code={item_code}", {RECORDS: ("record_item_created_idx", RATING_TIME)}),
    ("project_no={project_no}", {RECORDS: "service_record_key_unique"}),
    ("system={system}", {RECORDS: (f"{RECORDS}_system_id", RATING_TIME)}),
    ("level=bad", {}),
    ("invalid=on", {}),
]

# The work queue is ordered by urgency (computed), so its cases are sorted whatever the index;
# the cases are the bad ratings only, and at this size the planner reads them all and joins the
# services by key. What matters: the big tables are never scanned.
CASE_FILTERS = [
    ("tab=all", {}),
    ("tab=all&number={number}", {}),
    ("tab=all&project_no={project_no}", {RECORDS: "service_record_key_unique"}),
    ("tab=all&staff_no={staff_no}", {}),
    ("tab=all&window_code={window_code}", {}),
    ("tab=all&item_code={item_code}", {}),
    ("tab=all&level=1", {}),
    ("tab=all&date_from={day}&date_to={day}", {}),
    ("tab=open", {}),
]

TASK_FILTERS = [
    ("", {TASKS: f"{TASKS}_due_at"}),
    ("status=open", {TASKS: "calltask_status_due_idx"}),
    ("kind={kind}", {}),
    ("mine=on", {TASKS: f"{TASKS}_assigned_to_id"}),
]

DEMAND_FILTERS = [
    ("tab=all", {DEMANDS: f"{DEMANDS}_due_at"}),
    ("tab=all&number={demand}", {DEMANDS: f"{DEMANDS}_number"}),
    ("tab=all&source=phone", {}),
    ("", {}),
]


def _records(user, query):
    return records_filtered(_request(user, query), scope_for_user(user), paged=True)[1]


def _ratings(user, query):
    filters = evaluations_filtered(_request(user, query), scope_for_user(user))
    assert filters.is_valid(), filters.errors
    return filters.qs


def _cases(user, query):
    filters = _queue(_request(user, query), scope_for_user(user), timezone.now())[3]
    assert filters.is_valid(), filters.errors
    return filters.qs


def _tasks(user, query):
    return _filtered_tasks(_request(user, query), scope_for_user(user))[1]


def _demands(user, query):
    return _filtered_demands(_request(user, query), scope_for_user(user), timezone.now())[2]


# (list, its queryset, the tables never to be read in full, its filters)
LISTS = [
    ("评价记录", _ratings, (RECORDS, RATINGS), RATING_FILTERS),
    ("办件服务", _records, (RECORDS,), RECORD_FILTERS),
    ("工单", _cases, (RECORDS, RATINGS), CASE_FILTERS),
    ("回访任务", _tasks, (TASKS,), TASK_FILTERS),
    ("诉求", _demands, (DEMANDS,), DEMAND_FILTERS),
]


def test_every_filter_of_the_large_lists_reads_its_index(grown):
    # One grown database for all the lists (growing it is the slow part); every failure is listed.
    samples = _samples()
    user = _user("supervisor")
    clerk = _user("window_clerk")
    dept = _user("dept_admin")
    # A clerk's lists are their own services and ratings: the (staff, unit, time) indexes serve
    # the scope itself; a department's ratings are read through the rating's unit index.
    cases = [(name, queryset, user, big, query.format(**samples), expected)
             for name, queryset, big, filters in LISTS for query, expected in filters]  # fmt: skip
    cases += [("评价记录 (clerk)", _ratings, clerk, (RECORDS, RATINGS), "",
               {RATINGS: ("evaluation_staff_unit_time_idx", RATING_TIME)}),
              ("评价记录 (dept admin)", _ratings, dept, (RECORDS, RATINGS), "",
               {RATINGS: ("evaluation_unit_time_idx", RATING_TIME)}),
              ("办件服务 (clerk)", _records, clerk, (RECORDS,), "",
               {RECORDS: "record_staff_unit_created_idx"})]  # fmt: skip
    failures = []
    for name, queryset, who, big, query, expected in cases:
        for part, plan in _plans(queryset(who, query)).items():
            if part == "count" and who is user and not query.removeprefix("tab=all"):
                continue  # an unfiltered count reads the rows in any order: any index will do
            try:
                _check(plan, part, big, expected)
            except AssertionError as error:
                failures.append(f"{name} ?{query} ({part}): {error}")
    assert not failures, "\n\n".join(failures)


def _estimated_rows(queryset, table: str) -> int:
    """The planner's estimate of the rows of ``table`` that ``queryset`` (unsliced) keeps: the
    scan of that table in its plan."""
    found = []

    def walk(node: dict) -> None:
        if node.get("Relation Name") == table:
            found.append(node["Plan Rows"])
        for child in node.get("Plans", []):
            walk(child)

    walk(json.loads(queryset.explain(format="json"))[0]["Plan"])
    assert len(found) == 1, found
    return found[0]


def test_the_planner_expects_a_clerks_whole_history(grown):
    """A clerk's services and ratings: PostgreSQL estimated the join on the unit's path as
    independent of the staff filter, so a clerk who served a third of their unit's citizens was
    expected to have a few dozen services; a deep page of their years of services (at 5 million
    records) then read and sorted all of them instead of walking their index to the page. The
    lists now also filter on the clerk's unit id, which the statistics on (staff, unit) know to
    follow from the staff member (``core.db.statistics``): the estimate is their real count."""
    clerk = _user("window_clerk")
    for name, queryset, table in [
        ("办件服务", _records(clerk, ""), RECORDS),
        ("评价记录", _ratings(clerk, ""), RATINGS),
    ]:
        rows = queryset.count()
        assert rows > 1000, "a clerk's history of more than twenty pages"
        estimate = _estimated_rows(queryset, table)
        assert rows / 2 <= estimate <= rows * 2, f"{name}: {rows} rows, {estimate} expected"
