"""The home page's 近30天评价量 chart (issue 14): valid good and bad ratings per Beijing day of the
caller's scope, as an ECharts option in a JSON data element (no inline script)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client

from haochaping.analytics.rollups import rollup_refresh
from haochaping.testing import login
from haochaping.testing_world import push, push_b, rate

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def trend(client: Client) -> dict:
    html = client.get("/console/").content.decode()
    (data,) = re.findall(r'<script id="home-trend" type="application/json">(.*?)</script>', html, re.S)
    assert 'data-chart="home-trend"' in html and 'aria-label="近30天每日好评与差评数量趋势图"' in html
    assert "/static/vendor/echarts/echarts.min.js" in html and "/static/pages/charts.js" in html
    option = json.loads(data)
    return {"days": option["xAxis"]["data"], **{s["name"]: s["data"] for s in option["series"]}}


def test_the_home_chart_counts_ratings_per_beijing_day_in_the_callers_scope(cast, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 9, 15, 30, tzinfo=UTC), tick=False)  # 12-09 23:30 北京
    rate(push(cast, "SCJG2026120001"), 5)
    rate(push(cast, "SCJG2026120002"), 1, text="等了很久")
    rate(push(cast, "SCJG2026120003"), 4, days_ago=28)  # 11-11 23:30: the window's first day
    rate(push(cast, "SCJG2026120004"), 4, days_ago=29)  # 11-10 23:30: the day before it
    time_machine.move_to(dt.datetime(2026, 12, 9, 16, 30, tzinfo=UTC), tick=False)  # 12-10 00:30 北京
    rate(push(cast, "SCJG2026120005"), 3)  # 基本满意 is good
    rate(push_b(cast, "RSJ2026120001"), 2, text="材料退回三次")  # unit B
    rollup_refresh()  # the minute job: the earlier days come from the rollups, today from the ratings

    admin_a = trend(login(Client(), cast, "admin_a"))
    assert len(admin_a["days"]) == 30 and admin_a["days"][0] == "11-11" and admin_a["days"][-1] == "12-10"
    assert admin_a["好评"][-2:] == [1, 1] and admin_a["差评"][-2:] == [1, 0]
    assert admin_a["好评"][0] == 1 and sum(admin_a["好评"]) == 3 and sum(admin_a["差评"]) == 1

    supervisor = trend(login(Client(), cast, "supervisor"))
    assert supervisor["差评"][-2:] == [1, 1] and sum(supervisor["好评"]) == 3


def test_the_home_chart_is_there_with_no_ratings(cast):
    empty = trend(login(Client(), cast, "clerk_a"))
    assert len(empty["days"]) == 30 and set(empty["好评"]) == set(empty["差评"]) == {0}
