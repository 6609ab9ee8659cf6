"""Every console list page runs a fixed number of queries, whatever the number of rows (issue 13
item 17): each page is counted with 30 rated services, cases, demands and call tasks, then again
with 10 more (still one page of 50: a second page adds its one COUNT); the count must not grow
(no query per row) and stays within the bound pinned here. ``bench/console.py`` times the same
pages on the demo data."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from haochaping.analytics.rollups import rollup_refresh
from haochaping.audit.services import Actor
from haochaping.organizations.selectors import caller_for_user
from haochaping.outreach.services import call_lists_generate, demand_from_evaluation
from haochaping.testing import login
from haochaping.testing_world import outreach_world, push, rate

pytestmark = pytest.mark.django_db

ROWS, MORE = 30, 10
# (who, page): the most queries the page may run, with 30 rows and with 40.
PAGES = {
    # The home page: 10/9/9 before issue 14, + the 近30天评价量 chart (one grouped query by local day).
    # The centre's supervisor: + one count of the next year's entered rest days in the last 30
    # days of the known working-day calendar (the expiry warning, organizations.work_calendar).
    # Issue 17: + 3, this year's figures from the rollups (services, ratings) up to yesterday and
    # from the raw tables for today (services, ratings), the trend from the rating rollups (5 queries,
    # were 3); the 10 newest bad ratings one query per bad level (each on the level's time index).
    ("supervisor", "/console/"): 15,
    ("admin_a", "/console/"): 13,
    # + the clerk's unit id: their newest bad ratings through their (staff, unit, time) index
    ("clerk_a", "/console/"): 14,
    # + the records whose tablet request awaits a rating, + the ids of the scope's units (one query each)
    ("supervisor", "/console/records/"): 13,
    # + the 业务系统 choices (the systems the caller sees), + the ids of the scope's units
    ("supervisor", "/console/evaluations/"): 13,
    # The places' services: the rollup's whole days (ServiceDay) and live the rest (one query each).
    ("supervisor", "/console/qr/"): 12,
    ("supervisor", "/console/devices/"): 11,
    ("supervisor", "/console/inbox/"): 10,  # the page of groups, then their messages (issue 13 item 8)
    ("admin_a", "/console/inbox/"): 9,
    ("supervisor", "/console/message-templates/"): 14,
    # The tabs' counts: the open cases with their marks, then the closed ones per state (an
    # index-only count), instead of one conditional count per state over every case.
    ("supervisor", "/console/cases/"): 12,
    ("supervisor", "/console/cases/?tab=all"): 12,
    ("supervisor", "/console/cases/?tab=review"): 12,
    ("admin_a", "/console/cases/"): 11,
    ("supervisor", "/console/cases/summary/"): 9,
    ("operator", "/console/outreach/"): 12,
    # + the ids of the scope's units (a one-unit scope's tasks also filter on its id)
    ("operator", "/console/outreach/tasks/"): 11,
    ("supervisor", "/console/outreach/demands/"): 12,
    ("admin_a", "/console/outreach/demands/"): 11,
    ("supervisor", "/console/outreach/suggestions/"): 11,
    ("supervisor", "/console/outreach/categories/"): 10,
    # 未评价积压: the rollup's services received before today (BacklogDay) and live the rest,
    # + the scope's unit paths (the live part is grouped by unit id).
    ("supervisor", "/console/outreach/reports/"): 19,
    # No lock in this world: one query per list; with locks two more each, whatever their number
    # (organizations/tests/test_login_locks.py).
    ("supervisor", "/console/login-locks/"): 9,
    ("admin_a", "/console/login-locks/"): 7,
    # Analytics pages read the rollups (refreshed by ``grow``): their counts do not follow the rows.
    # The overview: 3 periods' counts (one query per rollup table), the units' current and previous
    # groupings, the level/channel/day mixes, the unit tree, the drill-down links, the last refresh.
    ("supervisor", "/console/analytics/?period=year"): 30,
    ("admin_a", "/console/analytics/?period=year"): 29,
    ("clerk_a", "/console/analytics/?period=year"): 15,
    ("supervisor", "/console/analytics/rankings/?period=year&entity=staff"): 13,
    ("supervisor", "/console/analytics/coverage/?period=year"): 17,  # a query per column gives its pair and its gaps
    ("supervisor", "/console/analytics/assessment/"): 16,
    ("supervisor", "/console/analytics/supervision/"): 10,
    ("supervisor", "/console/analytics/reports/"): 9,
}


def grow(cast, rows: int, start: int = 0) -> None:
    """``rows`` more bad ratings of unit A with a suggestion in their words (a case each, and
    each second one promoted to a demand), and ``rows`` more unrated services (call tasks)."""
    admin = caller_for_user(cast.users["admin_a"])
    for n in range(start, start + rows):
        evaluation = rate(push(cast, f"SCJG20261200{n:02d}"), 1, text="等了很久，建议增加窗口")
        if n % 2:
            demand_from_evaluation(caller=admin, evaluation_id=evaluation.pk, content=evaluation.text)
        push(cast, f"SCJG20261299{n:02d}")
    with override_settings(OUTREACH_INVITE_MAX_AGE_DAYS=100_000):
        call_lists_generate(actor=Actor.job("tests"))
    rollup_refresh()


def counts(cast) -> dict[tuple[str, str], int]:
    clients = {who: login(Client(), cast, who) for who in {who for who, _ in PAGES}}
    found = {}
    for who, path in PAGES:
        clients[who].get(path)  # first render: per-process caches (templates, categories) filled
        with CaptureQueriesContext(connection) as queries:
            response = clients[who].get(path)
        assert response.status_code == 200, (who, path, response.status_code)
        found[(who, path)] = len(queries)
    return found


def test_console_list_pages_run_a_fixed_number_of_queries(cast, world):
    outreach_world(cast, world)
    grow(cast, ROWS)
    few = counts(cast)
    grow(cast, MORE, start=ROWS)
    many = counts(cast)
    assert many == few, "a page's query count grows with its rows"
    assert {page: n for page, n in many.items() if n > PAGES[page]} == {}
