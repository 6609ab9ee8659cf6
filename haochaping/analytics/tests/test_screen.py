"""大屏: the page and its JSON by role and scope, near-live today's figures, no identity, a bounded
number of queries."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.db.models import Count, Q, Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from haochaping.analytics.models import RatingDay
from haochaping.analytics.rollups import rollup_refresh
from haochaping.analytics.screen import TREND_DAYS
from haochaping.evaluations.choices import Level
from haochaping.evaluations.models import Evaluation
from haochaping.rectification.workflow import Action
from haochaping.testing import login
from haochaping.testing_world import PLAINTEXT, attach_evidence, push, push_b, rate, step

pytestmark = pytest.mark.django_db

PAGE = "console:analytics_screen"
DATA = "console:analytics_screen_data"
# Never on the screen: the clerks' names, project numbers and rating texts of the world.
NOT_SHOWN = [*PLAINTEXT, "王晓红", "李建国", "SCJG2026110001", "SCJG2026110002", "RSJ2026110001",
             "窗口人员态度生硬", "排队两个小时"]  # fmt: skip


@pytest.fixture
def refreshed(cast, world):
    rollup_refresh()
    return world


def _data(client) -> dict:
    response = client.get(reverse(DATA))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_the_supervisor_sees_the_district_on_the_page_and_in_the_data(client, cast, refreshed):
    login(client, cast, "supervisor")
    page = client.get(reverse(PAGE))
    assert page.status_code == 200
    html = page.content.decode()
    assert "平顶山市石龙区 政务服务“好差评”实时监测" in html
    for text in ("今日评价", "本月评价", "本月好评率", "本月差评率", "满意度得分", "差评整改率", "按期整改率",
                 "逾期未整改", "实时评价", "人民路街道便民服务中心", "某社区便民服务点"):  # fmt: skip
        assert text in html
    for chart in ("screen-levels", "screen-trend", "screen-ranking"):
        assert f'data-chart="{chart}"' in html
    assert 'data-refresh="30"' in html
    assert html.count('class="screen-feed-row"') == 20  # fixed rows, reused by screen.js
    assert "console/console.css" not in html  # its own dark layout, not the console's

    data = _data(client)
    assert data["title"] == "平顶山市石龙区 政务服务“好差评”实时监测"
    # Today: the world's good rating of A and bad rating of B (A's bad one was 20 days ago).
    assert data["tiles"]["today_ratings"] == "2"
    same_month = refreshed.eval_a.evaluated_at.astimezone(timezone.get_current_timezone()).month == (
        timezone.localdate().month
    )
    assert data["tiles"]["month_ratings"] == ("3" if same_month else "2")
    assert data["tiles"]["overdue_open"] == str(data["overdue"]["total"])
    assert {row["unit"] for row in data["feed"]} == {"区市场监督管理局", "区人力资源和社会保障局"}
    assert {row["level"] for row in data["feed"]} >= {"非常满意", "不满意"}
    assert set(data["feed"][0]) == {"id", "time", "unit", "window", "item", "level", "level_code", "bad", "channel"}
    assert data["charts"]["trend"]["series"][0]["data"][-1] == 2
    levels = {d["name"]: d["value"] for d in data["charts"]["levels"]["series"][0]["data"]}
    assert levels["非常满意"] == 1 and levels["不满意"] == 1


def test_todays_ratings_count_at_once_without_a_rollup_refresh(client, cast, refreshed):
    login(client, cast, "supervisor")
    before = _data(client)
    rate(push(cast, "SCJG2026110099"), 4)
    after = _data(client)
    assert int(after["tiles"]["today_ratings"]) == int(before["tiles"]["today_ratings"]) + 1
    assert int(after["tiles"]["month_ratings"]) == int(before["tiles"]["month_ratings"]) + 1
    assert after["feed"][0]["level"] == "满意" and after["feed"][0]["id"] > before["feed"][0]["id"]
    rollup_refresh()  # the rollups now hold today too: still counted once
    assert _data(client)["tiles"]["today_ratings"] == after["tiles"]["today_ratings"]
    assert _data(client)["tiles"]["month_ratings"] == after["tiles"]["month_ratings"]


def test_the_street_panel_rolls_communities_up_into_their_street(client, cast, refreshed):
    record = push(cast, "JD2026110001", unit_code=cast.community.code, window_code=None, staff_no=None)
    rate(record, 5)
    login(client, cast, "supervisor")
    rows = {row["code"]: row for row in _data(client)["streets"]["rows"]}
    assert rows["JD01"]["today"] == "1" and rows["JD01-SQ01"]["today"] == "1"
    assert rows["JD01"]["good_rate"] == "100.00%"
    assert rows["JD01-SQ01"]["community"] is True


def test_a_department_admin_sees_only_its_subtree(client, cast, refreshed):
    login(client, cast, "admin_a")
    page = client.get(reverse(PAGE))
    assert page.status_code == 200
    data = _data(client)
    assert data["title"] == "区市场监督管理局 政务服务“好差评”实时监测"
    assert data["tiles"]["today_ratings"] == "1"
    assert {row["unit"] for row in data["feed"]} == {"区市场监督管理局"}
    assert data["streets"]["rows"] == []
    for text in ("区人力资源和社会保障局", "人民路街道便民服务中心"):
        assert text not in json.dumps(data, ensure_ascii=False)
        assert text not in page.content.decode()


@pytest.mark.parametrize("who", ["clerk_a", "operator", "auditor"])
def test_clerks_operators_and_auditors_are_refused(client, cast, refreshed, who):
    login(client, cast, who)
    assert client.get(reverse(PAGE)).status_code == 403
    assert client.get(reverse(DATA)).status_code == 403


def test_without_a_login_both_redirect_to_the_sign_in_page(client, refreshed):
    for name in (PAGE, DATA):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/console/login/" in response["Location"]


def test_polls_do_not_renew_the_login(client, cast, refreshed):
    """A supervisor's session left on a hall PC still expires (等保: session timeout)."""
    login(client, cast, "supervisor")
    assert "sessionid" not in client.get(reverse(DATA)).cookies


def test_no_identity_reaches_the_screen(client, cast, refreshed):
    login(client, cast, "supervisor")
    html = client.get(reverse(PAGE)).content.decode()
    raw = client.get(reverse(DATA)).content.decode()
    text = json.dumps(json.loads(raw), ensure_ascii=False)
    for secret in NOT_SHOWN:
        assert secret not in html, secret
        assert secret not in raw and secret not in text, secret


def test_the_refresh_interval_is_clamped(client, cast, refreshed):
    login(client, cast, "supervisor")
    assert 'data-refresh="1"' in client.get(reverse(PAGE), {"refresh": "0"}).content.decode()
    assert 'data-refresh="3"' in client.get(reverse(PAGE), {"refresh": "3"}).content.decode()
    assert 'data-refresh="30"' in client.get(reverse(PAGE), {"refresh": "soon"}).content.decode()


def test_the_sidebar_links_the_screen_for_supervisors_and_admins_only(client, cast, refreshed):
    url = reverse(PAGE)
    login(client, cast, "supervisor")
    assert f'href="{url}"' in client.get(reverse("console:home")).content.decode()
    client.logout()
    login(client, cast, "clerk_a")
    assert f'href="{url}"' not in client.get(reverse("console:home")).content.decode()


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(DATA)).status_code == 200
    return len(queries)


def test_the_data_endpoint_makes_a_fixed_number_of_queries(client, cast, refreshed):
    login(client, cast, "supervisor")
    _queries(client)  # warm: the first request of a session may differ
    few = _queries(client)
    for n in range(12):
        rate(push(cast, f"SCJG20261102{n:02d}"), 1 + n % 5, text="等候时间较长", days_ago=n % 3)
        rate(push_b(cast, f"RSJ20261102{n:02d}"), 1 + (n + 2) % 5, text="等候时间较长")
    rate(push(cast, "JD2026110002", unit_code=cast.community.code, window_code=None, staff_no=None), 5)
    rollup_refresh()
    many = _queries(client)
    assert few == many
    assert many <= 25, many


def test_the_earlier_days_are_the_detailed_rollups_summed(client, cast, refreshed):
    """The month's and the trend's earlier days come from the unit totals (``RatingUnitDay``):
    the same figures as the detailed rows (``RatingDay``) summed by day and level, invalid
    ratings counted but not in the level mix."""
    for n, (days_ago, level) in enumerate([(1, 5), (1, 4), (2, 3), (3, 2), (5, 1), (8, 5), (12, 4)]):
        rate(push(cast, f"SCJG-S-{n}"), level, reasons=["XC-XL-B01"] if level <= 2 else [], days_ago=days_ago)
    bad = rate(push_b(cast, "RSJ-S-1"), 1, reasons=["XC-XL-B01"], days_ago=2).case
    attach_evidence(cast, "admin_b", bad)
    step(cast, "supervisor", bad, Action.APPROVE_INVALID, text="认定无效")
    rollup_refresh()
    login(client, cast, "supervisor")
    data = _data(client)
    today = timezone.localdate()
    days = [today - dt.timedelta(days=n) for n in range(TREND_DAYS - 1, 0, -1)]
    detailed = RatingDay.objects.filter(day__gte=days[0], day__lt=today)
    per_day = {row["day"]: row for row in detailed.values("day").annotate(
        n=Sum("ratings"), bad=Sum("ratings", filter=Q(level__lte=2, invalid=False))).order_by()}  # fmt: skip
    trend = data["charts"]["trend"]["series"]
    assert trend[0]["data"][:-1] == [per_day[d]["n"] if d in per_day else 0 for d in days]
    assert trend[1]["data"][:-1] == [(per_day[d]["bad"] or 0) if d in per_day else 0 for d in days]
    assert sum(trend[0]["data"][:-1]) >= 8
    month = detailed.filter(day__gte=today.replace(day=1))
    levels = {d["name"]: d["value"] for d in data["charts"]["levels"]["series"][0]["data"]}
    raw_today = {row["level"]: row["n"] for row in Evaluation.objects.filter(
        evaluated_at__date=today).values("level").annotate(n=Count("id")).order_by()}  # fmt: skip
    for level in Level.values:
        in_month = month.filter(level=level, invalid=False).aggregate(n=Sum("ratings"))["n"] or 0
        assert levels[Level(level).label] == in_month + raw_today.get(level, 0)
    in_month = (month.aggregate(n=Sum("ratings"))["n"] or 0) + sum(raw_today.values())
    assert data["tiles"]["month_ratings"] == f"{in_month:,}"
