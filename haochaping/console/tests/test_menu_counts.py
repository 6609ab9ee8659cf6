"""The sidebar's pending counts: each matches the list it links to, scoped like it."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from haochaping.rectification.workflow import Action
from haochaping.testing import login
from haochaping.testing_world import attach_evidence, outreach_world, push, push_b, rate, step


def menu_count(html: str, label: str) -> int:
    """The figure after a menu entry (0 when the entry shows none)."""
    match = re.search(rf'class="nav-link[^"]*">{label}(?:<span class="nav-count"[^>]*>(\d+)</span>)?</a>', html)
    assert match is not None, f"menu entry {label} missing"
    return int(match.group(1) or 0)


def list_total(client: Client, url: str) -> int:
    html = client.get(url).content.decode()
    match = re.search(r"共 <strong>([\d,]+)</strong> 条", html)
    assert match is not None, url
    return int(match.group(1).replace(",", ""))


@pytest.fixture
def busy(cast, world):
    """On top of the world's two new cases (A overdue, B): an extension request in A, an
    invalidity request in B, one more case of A being rectified; call tasks due today."""
    extension = rate(push(cast, "SCJG2026150001"), 2, reasons=["XC-XL-B01"]).case
    step(cast, "admin_a", extension, Action.VERIFY)
    new_due = timezone.localtime(extension.due_at).date() + dt.timedelta(days=7)
    step(cast, "admin_a", extension, Action.REQUEST_EXTENSION, text="需延期", new_due=new_due)
    invalid = rate(push_b(cast, "RSJ2026150001"), 1, reasons=["XC-XL-B01"]).case
    attach_evidence(cast, "admin_b", invalid)  # 申请无效评价, with its evidence
    rectifying = rate(push(cast, "SCJG2026150002"), 2, reasons=["XC-XL-B01"]).case
    step(cast, "admin_a", rectifying, Action.VERIFY)
    outreach_world(cast, world)
    return cast


def test_the_supervisor_sees_what_waits_for_review_and_for_calls(busy):
    client = login(Client(), busy, "supervisor")
    html = client.get("/console/").content.decode()
    review = list_total(client, "/console/cases/?tab=invalid") + list_total(client, "/console/cases/?tab=extension")
    assert review == 2
    assert menu_count(html, "审核") == review
    assert menu_count(html, "差评工单（待办）") == list_total(client, "/console/cases/")
    calls = list_total(client, "/console/outreach/")
    assert calls >= 2
    assert menu_count(html, "回访工作台") == calls


def test_a_unit_admin_sees_the_cases_of_the_unit_to_act_on(busy):
    client = login(Client(), busy, "admin_a")
    html = client.get("/console/").content.decode()
    todo = list_total(client, "/console/cases/")
    assert todo == 2  # the overdue new case and the one being rectified; not the extension under review
    assert menu_count(html, "差评工单（待办）") == todo
    assert "审核" not in re.findall(r'class="nav-link[^"]*">([^<]+)', html)
    assert menu_count(html, "回访工作台") == 0  # admins do not call


def test_an_operator_sees_the_calls_due_today_and_the_cases_to_call_back(busy):
    client = login(Client(), busy, "operator")
    html = client.get("/console/evaluations/").content.decode()  # any console page carries the menu
    calls = list_total(client, "/console/outreach/")
    assert calls >= 2
    assert menu_count(html, "回访工作台") == calls
    assert menu_count(html, "差评工单（待办）") == list_total(client, "/console/cases/") == 0


def test_citizen_pages_read_no_counts(busy, django_assert_max_num_queries):
    client = login(Client(), busy, "supervisor")  # a staff session on a citizen page
    with django_assert_max_num_queries(0):
        client.get("/static-nothing-here/")  # the citizen 404: no staff lookups, no session read


def test_the_home_page_query_count_is_pinned(busy, django_assert_max_num_queries):
    client = login(Client(), busy, "supervisor")
    client.get("/console/")  # warm caches (indicator set, content types)
    # session, user, membership ×2 (page, menu), services, ratings, cases (page and menu share
    # it), recent bad ratings, their reasons, unread messages, calls due; + the 近30天评价量 chart's
    # ratings per day (issue 14, one grouped query); + the calendar expiry check (the next year's
    # entered rest days, only in the last 30 days of the known calendar); + 3 since issue 17: this
    # year's services and ratings from two rollup tables up to yesterday and two raw queries for
    # today, the trend from the rating rollups (5 queries, were 3), the newest bad ratings one query
    # per bad level (2, was 1)
    with django_assert_max_num_queries(16):
        html = client.get("/console/").content.decode()
    assert menu_count(html, "审核") == 2
