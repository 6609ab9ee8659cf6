"""The analytics pages as each role uses them: figures, drill-down links, scope, Excel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from haochaping.analytics.rollups import rollup_refresh
from haochaping.audit.services import Actor
from haochaping.evaluations.coverage import coverage_rows, coverage_totals
from haochaping.organizations.models import Device, DeviceKind
from haochaping.organizations.qrcodes import Place, qr_code_ensure
from haochaping.organizations.selectors import scope_for_user
from haochaping.testing import login, pair_tablet, xlsx_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def refreshed(cast, world):
    rollup_refresh()
    return world


def test_the_director_sees_the_month_with_its_comparisons_and_units(client, cast, refreshed):
    login(client, cast, "supervisor")
    page = client.get(reverse("console:analytics_overview"), {"period": "year"})
    assert page.status_code == 200
    html = page.content.decode()
    for text in (
        "好评率",
        "差评率",
        "满意度得分",
        "按期整改率",
        "环比",
        "同比",
        "区市场监督管理局",
        "区人力资源和社会保障局",
    ):
        assert text in html
    tiles = {f.kpi.code: f for f in page.context["tiles"]}
    assert tiles["ratings"].value == 3
    assert tiles["bad_rate"].value == pytest.approx(2 / 3)
    lines = {line.row.unit.code: line for line in page.context["lines"]}
    assert lines["SCJG"].figures["ratings"] == 2
    assert "unit_code=410404" in page.context["drill"]["ratings"]


def test_a_unit_drills_down_to_its_ratings(client, cast, refreshed):
    login(client, cast, "supervisor")
    page = client.get(reverse("console:analytics_overview"), {"period": "year", "unit": "RSJ"})
    assert {f.kpi.code: f.value for f in page.context["tiles"]}["ratings"] == 1
    rows = client.get(reverse("console:evaluation_list") + "?" + page.context["drill"]["ratings"] + "&level=bad")
    assert [e.pk for e in rows.context["page_obj"]] == [refreshed.eval_b.pk]


def test_a_staff_member_slice_drills_to_that_staff_members_ratings(client, cast, refreshed):
    login(client, cast, "supervisor")
    page = client.get(reverse("console:analytics_overview"), {"period": "year", "staff": cast.staff_a.pk})
    assert {f.kpi.code: f.value for f in page.context["tiles"]}["ratings"] == 1
    assert "staff_no=A001" in page.context["drill"]["ratings"]
    rows = client.get(reverse("console:evaluation_list") + "?" + page.context["drill"]["ratings"])
    assert [e.pk for e in rows.context["page_obj"]] == [refreshed.eval_a.pk]


def test_a_department_admin_sees_only_its_subtree(client, cast, refreshed):
    login(client, cast, "admin_a")
    page = client.get(reverse("console:analytics_overview"), {"period": "year"})
    assert {f.kpi.code: f.value for f in page.context["tiles"]}["ratings"] == 2
    assert "区人力资源和社会保障局" not in page.content.decode()
    # Another unit is not offered: asked for anyway, the choice is refused and the figures stay A's.
    other = client.get(reverse("console:analytics_overview"), {"period": "year", "unit": "RSJ"})
    assert {f.kpi.code: f.value for f in other.context["tiles"]}["ratings"] == 2
    assert other.context["form"].errors["unit"]
    assert client.get(reverse("console:analytics_overview"), {"staff": cast.staff_b.pk}).status_code == 404
    ranking = client.get(reverse("console:analytics_ranking"), {"period": "year", "entity": "staff"})
    assert [r.name for r in ranking.context["table"].rows] == ["王晓红（A001）"]


def test_a_window_clerk_sees_only_their_own_figures(client, cast, refreshed):
    login(client, cast, "clerk_b")
    page = client.get(reverse("console:analytics_overview"), {"period": "year"})
    tiles = {f.kpi.code: f.value for f in page.context["tiles"]}
    assert tiles["ratings"] == 1 and tiles["demands"] is None


def test_the_ranking_lists_small_samples_unranked_and_exports(client, cast, refreshed):
    login(client, cast, "supervisor")
    page = client.get(reverse("console:analytics_ranking"), {"period": "year", "entity": "unit", "kpi": "bad_rate"})
    assert page.status_code == 200
    assert "不参与排名" in page.content.decode() or "样本量" in page.content.decode()
    assert all(not row.eligible for row in page.context["table"].rows)  # 1–2 ratings each, minimum 30
    export = client.get(reverse("console:analytics_ranking_export"), {"period": "year", "entity": "unit"})
    rows, _ = xlsx_of(export)
    assert any("区市场监督管理局" in str(cell) for row in rows for cell in row)


def test_the_overview_exports_its_tables(client, cast, refreshed):
    login(client, cast, "supervisor")
    export = client.get(reverse("console:analytics_overview_export"), {"period": "year"})
    assert export.status_code == 200
    rows, _ = xlsx_of(export)
    assert any(row and row[0] == "差评率" for row in rows)


def test_bad_filter_values_are_reported_not_applied(client, cast, refreshed):
    login(client, cast, "supervisor")
    page = client.get(reverse("console:analytics_overview"), {"period": "range", "date_from": "2026-12-01",
                                                               "date_to": "2026-11-01"})  # fmt: skip
    assert page.status_code == 200
    assert "截止日期不能早于起始日期" in page.content.decode()


def test_coverage_lists_systems_and_what_was_served_but_not_rated(client, cast, refreshed):
    login(client, cast, "supervisor")
    page = client.get(reverse("console:analytics_coverage"), {"period": "year"})
    assert page.status_code == 200
    coverage = page.context["coverage"]
    assert {row.system.name for row in coverage.systems} >= {"区一体化政务服务平台", "市场监管审批系统"}
    assert sum(row.services for row in coverage.systems) == 5
    assert coverage.items == (2, 2)  # both items had services and ratings
    assert page.context["ratios"]["items"] == 1
    rows, _ = xlsx_of(client.get(reverse("console:analytics_coverage_export"), {"period": "year"}))
    assert any(row and row[0] == "市场监管审批系统" for row in rows)
    login(client, cast, "admin_b")  # another unit's own system is not listed; the district-wide one is
    names = {row.system.name for row in client.get(reverse("console:analytics_coverage")).context["coverage"].systems}
    assert names == {"区一体化政务服务平台"}
    login(client, cast, "clerk_a")
    assert client.get(reverse("console:analytics_coverage")).status_code == 403


def test_coverage_counts_windows_and_places_as_the_place_list_does(client, cast, refreshed):
    """The 窗口评价器 and 静态二维码 figures are counted by the database: the same as
    ``coverage_totals`` of every place with its devices (and the windows with a device online)."""
    pair_tablet(cast.window_a, "在线评价器")
    stale, _ = pair_tablet(cast.window_b, "离线评价器")
    Device.objects.filter(pk=stale.pk).update(last_seen_at=timezone.now() - dt.timedelta(hours=1))
    Device.objects.create(name="未配对", unit=cast.street, kind=DeviceKind.KIOSK)  # no credential: not paired
    for place in (Place(unit=cast.street), Place(window=cast.window_b)):
        qr_code_ensure(actor=Actor.cli("tests"), place=place)
    login(client, cast, "supervisor")
    devices = client.get(reverse("console:analytics_coverage"), {"period": "year"}).context["coverage"].devices
    rows = coverage_rows(scope_for_user(cast.users["supervisor"]), now=timezone.now())
    expected = {**coverage_totals(rows), "windows_online": sum(1 for r in rows if r.place.is_window and r.online)}
    assert devices == expected
    assert (devices["windows"], devices["windows_device"], devices["windows_online"], devices["windows_qr"]) == (
        2, 2, 1, 1)  # fmt: skip
    assert (devices["places"], devices["places_qr"]) == (3, 1) and devices["places_device"] >= 1
    login(client, cast, "admin_b")  # a department's scope: its own window only
    devices = client.get(reverse("console:analytics_coverage")).context["coverage"].devices
    rows = coverage_rows(scope_for_user(cast.users["admin_b"]), now=timezone.now())
    assert devices == {**coverage_totals(rows),
                       "windows_online": sum(1 for r in rows if r.place.is_window and r.online)}  # fmt: skip


def test_refresh_on_demand_brings_a_new_rating_in(client, cast, refreshed):
    from haochaping.testing_world import push, rate

    rate(push(cast, "SCJG2026110090"), 5)
    login(client, cast, "supervisor")
    before = client.get(reverse("console:analytics_overview"), {"period": "year"})
    assert {f.kpi.code: f.value for f in before.context["tiles"]}["ratings"] == 3
    answer = client.post(reverse("console:analytics_refresh"), {"next": "/console/analytics/?period=year"})
    assert answer.status_code == 302 and answer["Location"] == "/console/analytics/?period=year"
    after = client.get(reverse("console:analytics_overview"), {"period": "year"})
    assert {f.kpi.code: f.value for f in after.context["tiles"]}["ratings"] == 4
    assert client.post(reverse("console:analytics_refresh"), {"next": "https://evil.example/"})["Location"] == (
        reverse("console:analytics_overview")
    )
