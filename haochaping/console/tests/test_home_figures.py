"""The home page's figures (issue 17): this year's services and ratings read from the analytics
rollups up to yesterday and from the raw tables for today; they must equal what the raw tables
give for the caller's scope (supervisor: the district, admin: the unit, clerk: their own staff
number), whether or not the minute job has already rolled some of today's rows up."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from haochaping.analytics.rollups import rollup_rebuild, rollup_refresh
from haochaping.evaluations.models import Evaluation
from haochaping.rectification.models import CaseState, RectificationCase
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import login
from haochaping.testing_world import push, push_b, rate

pytestmark = pytest.mark.django_db

BEIJING = dt.timezone(dt.timedelta(hours=8))
TODAY = dt.date(2026, 3, 3)


def at(time_machine, day: dt.date, hour: int, minute: int = 0) -> None:
    time_machine.move_to(dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BEIJING), tick=False)


def expected(who: str, cast) -> dict:
    """The figures from the raw tables: this year's services and ratings in the caller's scope."""
    year = dt.datetime(TODAY.year, 1, 1, tzinfo=BEIJING)
    where = {
        "supervisor": Q(),
        "admin_a": Q(unit=cast.unit_a),
        "clerk_a": Q(unit=cast.unit_a, staff=cast.staff_a),
    }[who]
    services = ServiceRecord.objects.filter(where, created_at__gte=year)
    ratings = Evaluation.objects.filter(record__in=ServiceRecord.objects.filter(where), evaluated_at__gte=year)
    valid = ratings.exclude(case__state=CaseState.INVALIDATED)
    return {
        "services": services.count(),
        "rated": services.filter(evaluation__isnull=False).count(),
        "ratings": ratings.count(),
        "good": valid.filter(level__gte=3).count(),
        "bad": valid.filter(level__lte=2).count(),
        "valid": valid.count(),
        "recent_bad": list(
            Evaluation.objects.filter(record__in=ServiceRecord.objects.filter(where), level__lte=2)
            .order_by("-evaluated_at", "-id")
            .values_list("pk", flat=True)[:10]
        ),
        "today_good": valid.filter(
            level__gte=3, evaluated_at__gte=dt.datetime.combine(TODAY, dt.time.min, BEIJING)
        ).count(),
    }


def page(who: str, cast) -> tuple[dict, dict, str]:
    response = login(Client(), cast, who).get("/console/")
    assert response.status_code == 200
    html = response.content.decode()
    (data,) = re.findall(r'<script id="home-trend" type="application/json">(.*?)</script>', html, re.S)
    series = {s["name"]: s["data"] for s in json.loads(data)["series"]}
    return response.context, series, html


def test_the_home_figures_equal_the_raw_tables_for_each_role(cast, time_machine, settings):
    settings.ANALYTICS_BASIC_IS_GOOD = True
    # Last year: not counted.
    at(time_machine, dt.date(2025, 12, 31), 23, 50)
    rate(push(cast, "SCJG2025120001"), 5)
    # Earlier days of this year, the district's three places (A001, unit A without staff, unit B).
    at(time_machine, dt.date(2026, 1, 1), 0, 10)
    rate(push(cast, "SCJG2026010001"), 4)
    push(cast, "SCJG2026010002")  # never rated
    at(time_machine, dt.date(2026, 2, 10), 9)
    invalid = rate(push(cast, "SCJG2026020001"), 1, text="等了很久")
    rate(push(cast, "SCJG2026020002", staff_no=None, window_code=None), 2, text="材料退回")
    rate(push_b(cast, "RSJ2026020001"), 3)
    at(time_machine, dt.date(2026, 3, 2), 23, 59)
    rate(push(cast, "SCJG2026030001"), 5)
    late = push(cast, "SCJG2026030002")  # rated on a later day, before the next refresh
    # An approved malicious-rating appeal: not a valid rating any more.
    RectificationCase.objects.filter(evaluation=invalid).update(state=CaseState.INVALIDATED)
    # Today, before the minute job ran.
    at(time_machine, TODAY, 0, 20)
    rate(late, 2, text="态度差")
    rate(push(cast, "SCJG2026030003"), 5)
    rate(push_b(cast, "RSJ2026030001"), 1, text="排队两个小时")
    rollup_rebuild()  # the rollups now hold part of today too: the page must not count it twice
    # Today, after it.
    at(time_machine, TODAY, 10)
    rate(push(cast, "SCJG2026030004"), 4)
    rate(push(cast, "SCJG2026030005", staff_no=None, window_code=None), 1, text="没人接待")
    push_b(cast, "RSJ2026030002")
    rate(push_b(cast, "RSJ2026030003"), 5)

    for who in ("supervisor", "admin_a", "clerk_a"):
        raw = expected(who, cast)
        context, trend, html = page(who, cast)
        total = context["total"]
        assert (total.services, total.rated, total.ratings, total.good, total.bad, total.valid) == (
            raw["services"], raw["rated"], raw["ratings"], raw["good"], raw["bad"], raw["valid"]
        ), who  # fmt: skip
        assert context["rating_rate"] == pytest.approx(raw["rated"] / raw["services"]), who
        assert context["good_rate"] == pytest.approx(raw["good"] / raw["valid"]), who
        assert context["bad_rate"] == pytest.approx(raw["bad"] / raw["valid"]), who
        assert trend["好评"][-1] == raw["today_good"], who
        assert [e.pk for e in context["recent_bad"]] == raw["recent_bad"] and raw["recent_bad"], who
        assert "统计期：本年（2026年1月1日起，截至 2026-03-03" in html, who
    # The figures are not empty ones: each scope saw something of every day.
    assert expected("supervisor", cast)["services"] == 13 and expected("clerk_a", cast)["ratings"] == 6


def test_the_home_trend_reads_earlier_days_from_the_rollups(cast, time_machine):
    at(time_machine, dt.date(2026, 3, 1), 12)
    rate(push(cast, "SCJG2026030001"), 1, text="等了很久")
    at(time_machine, TODAY, 12)
    context, trend, _ = page("admin_a", cast)
    assert trend["差评"][-3] == 0  # not refreshed yet: the rollups do not know 03-01
    rollup_refresh()
    context, trend, _ = page("admin_a", cast)
    assert trend["差评"][-3] == 1 and context["total"].bad == 1
    assert timezone.localdate() == TODAY
