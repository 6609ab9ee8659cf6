"""The console's QR codes and coverage list: who sees what, generating and regenerating codes,
the 缺二维码 / 缺评价器 filters, the 30-day figures, the Excel export."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from haochaping.analytics.rollups import rollup_refresh
from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.core.pages.downloads import XLSX
from haochaping.evaluations.coverage import (
    COVERAGE_DAYS,
    KINDS,
    MISSING,
    CoverageRow,
    coverage_filtered,
    coverage_totals,
)
from haochaping.organizations.devices import device_is_online
from haochaping.organizations.models import Device, DeviceKind, PlaceQrCode, Window
from haochaping.organizations.qrcodes import SLUG_RE, Place, qr_code_ensure, qr_place_list
from haochaping.organizations.selectors import scope_for_user
from haochaping.service_records.models import ServiceRecord
from haochaping.service_records.selectors import record_counts_by_place
from haochaping.testing import login, pair_tablet
from haochaping.testing_world import push, push_b, rate

COVERAGE = reverse("console:qr_coverage")
EXPORT = reverse("console:qr_coverage_export")


def rows(response) -> dict[str, object]:
    return {row.place.ref: row for row in response.context["rows"]}


def paired_tablet(window) -> None:
    pair_tablet(window, f"{window.name}评价器")


@pytest.fixture
def services(cast):
    """Unit A: two services at W-A1 (one rated); unit B: one at W-B1; one at the street centre;
    and an old one at W-A1 (outside the 30 days)."""
    rate(push(cast, "SCJG-1"), 5)
    push(cast, "SCJG-2")
    push_b(cast, "RSJ-1")
    push(cast, "JD-1", unit_code="JD01", window_code=None, staff_no=None)
    old = push(cast, "SCJG-OLD")
    ServiceRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))


def test_a_supervisor_sees_every_window_and_place_with_its_coverage(cast, services):
    paired_tablet(cast.window_a)
    qr_code_ensure(actor=Actor.cli("tests"), place=Place(unit=cast.street))
    r = login(Client(), cast, "supervisor").get(COVERAGE)
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    by_ref = rows(r)
    refs = {
        f"u{cast.center.pk}",
        f"u{cast.street.pk}",
        f"u{cast.community.pk}",
        f"w{cast.window_a.pk}",
        f"w{cast.window_b.pk}",
    }
    assert set(by_ref) == refs  # departments and the district are not places
    window_a = by_ref[f"w{cast.window_a.pk}"]
    assert (window_a.services, window_a.rated, window_a.rate, window_a.paired) == (2, 1, 0.5, 1)
    assert window_a.online == 1 and window_a.place.qr is None
    hall = by_ref[f"u{cast.center.pk}"]
    assert (hall.services, hall.rated, hall.paired) == (3, 1, 1)  # both windows stand in the hall
    street = by_ref[f"u{cast.street.pk}"]
    assert (street.services, street.paired) == (1, 0) and street.place.qr is not None
    html = r.content.decode()
    assert "缺二维码" in html and "缺评价器" in html and "生成二维码" in html and "重新生成" in html
    assert street.url in html and "/q/" in street.url
    totals = r.context["totals"]
    assert (totals["windows"], totals["windows_qr"], totals["windows_device"]) == (2, 0, 1)
    assert (totals["places"], totals["places_qr"]) == (3, 1)
    assert "二维码与覆盖" in html  # the navigation link


def test_filters_missing_qr_missing_device_and_kind(cast, services):
    paired_tablet(cast.window_a)
    qr_code_ensure(actor=Actor.cli("tests"), place=Place(window=cast.window_b))
    client = login(Client(), cast, "supervisor")
    assert f"w{cast.window_b.pk}" not in rows(client.get(COVERAGE, {"missing": "qr"}))
    assert f"w{cast.window_a.pk}" in rows(client.get(COVERAGE, {"missing": "qr"}))
    missing_device = rows(client.get(COVERAGE, {"missing": "device", "kind": "window"}))
    assert set(missing_device) == {f"w{cast.window_b.pk}"}
    places = rows(client.get(COVERAGE, {"kind": "place"}))
    assert all(ref.startswith("u") for ref in places) and len(places) == 3
    assert len(rows(client.get(COVERAGE, {"missing": "nonsense", "kind": "x"}))) == 5


def test_generating_a_code_is_audited_and_stable(cast, db):
    client = login(Client(), cast, "admin_a")
    ref = f"w{cast.window_a.pk}"
    r = client.post(COVERAGE, {"action": "ensure", "place": ref, "missing": "qr"})
    assert r.status_code == 302 and r["Location"] == f"{COVERAGE}?missing=qr"
    qr = PlaceQrCode.objects.get(window=cast.window_a)
    assert SLUG_RE.match(qr.slug) and qr.regenerations == 0
    event = AuditEvent.objects.get(action="organizations:qrcode:created")
    assert event.actor_id == str(cast.users["admin_a"].pk) and event.data["place"] == ref
    client.post(COVERAGE, {"action": "ensure", "place": ref})
    assert PlaceQrCode.objects.get().slug == qr.slug  # never changes by itself
    assert AuditEvent.objects.filter(action="organizations:qrcode:created").count() == 1
    assert Client().get(f"/q/{qr.slug}").status_code == 200


def test_regenerating_replaces_the_slug_and_is_audited_with_the_reason(cast, db):
    qr = qr_code_ensure(actor=Actor.cli("tests"), place=Place(unit=cast.community))
    client = login(Client(), cast, "supervisor")
    r = client.post(COVERAGE, {"action": "regenerate", "place": f"u{cast.community.pk}", "reason": "二维码被覆盖"})
    assert r.status_code == 302
    new = PlaceQrCode.objects.get()
    assert new.slug != qr.slug and new.regenerations == 1 and new.generated_at > qr.generated_at
    event = AuditEvent.objects.get(action="organizations:qrcode:regenerated")
    assert event.data["reason"] == "二维码被覆盖" and event.data["old_slug_prefix"] == qr.slug[:4]
    assert Client().get(f"/q/{qr.slug}").status_code == 404
    follow = client.get(COVERAGE)
    assert "原二维码已失效" in follow.content.decode()


def test_a_department_admin_sees_and_acts_only_within_the_scope(cast, services):
    client = login(Client(), cast, "admin_b")
    r = client.get(COVERAGE)
    assert set(rows(r)) == {f"w{cast.window_b.pk}"}  # the window RSJ staffs; no hall, no street centre
    html = r.content.decode()
    assert "区市场监督管理局" not in html and "市场监管综合窗口" not in html and "人民路街道" not in html
    assert rows(r)[f"w{cast.window_b.pk}"].services == 1
    for ref in (f"w{cast.window_a.pk}", f"u{cast.street.pk}", f"u{cast.center.pk}", "w999999", "x1", ""):
        assert client.post(COVERAGE, {"action": "ensure", "place": ref}).status_code == 404, ref
    assert not PlaceQrCode.objects.exists()


def test_a_street_admin_sees_the_street_centre_and_its_community_points(cast, services):
    from haochaping.organizations.models import Role
    from haochaping.organizations.services import console_user_create
    from haochaping.testing import PASSWORD

    console_user_create(
        actor=Actor.cli("tests"), username="street_admin", password=PASSWORD, unit=cast.street, role=Role.DEPT_ADMIN
    )
    client = Client()
    assert client.login(username="street_admin", password=PASSWORD)
    assert set(rows(client.get(COVERAGE))) == {f"u{cast.street.pk}", f"u{cast.community.pk}"}


@pytest.mark.parametrize("who", ["clerk_a", "operator", "auditor"])
def test_other_roles_get_a_403(cast, who):
    client = login(Client(), cast, who)
    for url in (COVERAGE, EXPORT):
        r = client.get(url)
        assert r.status_code == 403 and "仅限督查和部门" in r.content.decode()
    assert client.post(COVERAGE, {"action": "ensure", "place": f"w{cast.window_a.pk}"}).status_code == 403
    assert not PlaceQrCode.objects.exists()
    assert "二维码与覆盖" not in client.get(reverse("console:home")).content.decode()


def test_the_export_has_the_same_rows(cast, services):
    qr_code_ensure(actor=Actor.cli("tests"), place=Place(window=cast.window_a))
    r = login(Client(), cast, "supervisor").get(EXPORT, {"kind": "window"})
    assert r.status_code == 200 and ".xlsx" in r["Content-Disposition"]
    sheet = load_workbook(BytesIO(r.getvalue())).active  # served from a file, streamed
    data = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=5)]
    assert [row[1] for row in data] == ["市场监管综合窗口", "社保综合窗口"]
    assert data[0][4] == "有" and data[0][8:11] == [2, 1, 0.5]
    assert data[1][4] == "缺" and data[1][10] == 0
    assert sheet["A1"].value == "窗口与便民服务场所评价覆盖情况" and sheet["A1"].font.b
    assert [cell.value for cell in sheet[4]][:2] == ["类型", "名称"] and sheet["A4"].font.b
    assert sheet["K5"].number_format == "0.0%" and sheet.freeze_panes == "C5"
    assert sheet.title == "评价覆盖情况" and sheet["A1"].font.sz == 15 and sheet["A2"].value.startswith("导出时间：")
    header = sheet["A4"]
    assert header.fill.fgColor.rgb.endswith("EEF2F8") and header.alignment.horizontal == "center"
    assert header.alignment.wrap_text and sheet.column_dimensions["B"].width == 24


def test_the_list_takes_a_fixed_number_of_queries(cast, services, django_assert_max_num_queries):
    client = login(Client(), cast, "supervisor")
    client.get(COVERAGE)
    for window in (cast.window_a, cast.window_b):
        paired_tablet(window)
        qr_code_ensure(actor=Actor.cli("tests"), place=Place(window=window))
    with django_assert_max_num_queries(14):
        client.get(COVERAGE)


QR_ROUTES = [COVERAGE, EXPORT, reverse("console:qr_posters")]


def text_of(response) -> str:
    """What a user receives, as searchable text: a page's HTML, a workbook's cells."""
    body = response.getvalue()
    if response.get("Content-Type") == XLSX:
        book = load_workbook(BytesIO(body))
        return "\n".join(str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row
                         if cell.value is not None)  # fmt: skip
    return body.decode("utf-8", errors="replace")


def own_and_foreign(world, own: str):
    """The project and case numbers of unit A's and unit B's world (the same as test_scoping.py)."""
    project_nos = {
        "a": ["SCJG2026110001", "SCJG2026110002", "SCJG2026110003", world.case_a.number],
        "b": ["RSJ2026110001", "RSJ2026110002", world.case_b.number],
    }
    return project_nos[own], project_nos["b" if own == "a" else "a"]


def test_the_qr_routes_pass_the_scoping_walk(cast, world):
    """The same promises as test_scoping.py, for these routes alone (that walk covers them too)."""
    from django.contrib.auth import get_user_model

    for url in QR_ROUTES:
        r = Client().get(url)
        assert r.status_code == 302 and r["Location"].startswith(reverse("console:login")), url
    get_user_model().objects.create_user(username="norole", password="pass-12345-word")
    norole = Client()
    norole.login(username="norole", password="pass-12345-word")
    for url in QR_ROUTES:
        assert norole.get(url).status_code == 403, url
    for who, own, foreign_unit in (("admin_a", "a", cast.unit_b), ("admin_b", "b", cast.unit_a)):
        client = login(Client(), cast, who)
        _, foreign = own_and_foreign(world, own)
        for url in QR_ROUTES:
            response = client.get(url)
            assert response.status_code == 200, (who, url)
            text = text_of(response)
            assert foreign_unit.name not in text, (who, url)
            for number in foreign:
                assert number not in text, (who, url, number)


def test_a_city_s_thousands_of_places_are_paged_and_an_action_returns_to_its_page(cast, db):
    """The table shows 50 places a page (the totals count them all); generating a code on page 3
    comes back to page 3."""
    Window.objects.bulk_create(
        Window(code=f"W-X{n:03d}", name=f"综合窗口{n:03d}", unit=cast.center, department=cast.unit_a)
        for n in range(120)
    )
    client = login(Client(), cast, "supervisor")
    first = client.get(COVERAGE)
    places = first.context["page_obj"].paginator.count
    assert places == 120 + 2 + 3  # the windows, W-A1 and W-B1, the centre, street and community
    assert len(rows(first)) == 50 and first.context["totals"]["windows"] == 122
    assert f"共 <strong>{places}</strong> 条" in first.content.decode()
    third = client.get(COVERAGE, {"page": 3})
    assert len(rows(third)) == places - 100
    seen = set(rows(first)) | set(rows(client.get(COVERAGE, {"page": 2}))) | set(rows(third))
    assert len(seen) == places  # every place on exactly one page
    ref = next(ref for ref in rows(third) if ref.startswith("w"))
    r = client.post(COVERAGE, {"action": "ensure", "place": ref, "page": "3", "kind": "window"})
    assert r.status_code == 302 and r["Location"] == f"{COVERAGE}?kind=window&page=3"
    assert PlaceQrCode.objects.filter(window_id=int(ref[1:])).exists()


def defined_rows(scope, *, now, missing: str = "", kind: str = "") -> list[CoverageRow]:
    """The list by its definition: every place of ``qr_place_list`` with its devices loaded and its
    services counted from the raw records, then filtered (what the page built before the list was
    paged in the database)."""
    places = qr_place_list(scope=scope)
    by_window, by_unit = record_counts_by_place(
        scope=scope,
        since=now - dt.timedelta(days=COVERAGE_DAYS),
        window_ids=[p.window.pk for p in places if p.is_window],
        unit_ids=[p.unit.pk for p in places if not p.is_window],
    )
    rows = []
    for place in places:
        counts = by_window.get(place.window.pk, (0, 0)) if place.is_window else by_unit.get(place.unit.pk, (0, 0))
        online = sum(1 for d in place.paired_devices if device_is_online(d))
        rows.append(CoverageRow(place, *counts, online=online, paired=len(place.paired_devices)))
    return coverage_filtered(rows, missing=missing, kind=kind)


def shown(row: CoverageRow) -> tuple:
    qr = row.place.qr
    return (row.place.ref, row.place.kind_label, row.place.name, row.place.location, row.place.department,
            qr and (qr.slug, qr.generated_at, qr.regenerations), row.url, row.paired, row.online,
            row.services, row.rated, row.rate)  # fmt: skip


def exported_row(shown: tuple) -> tuple:
    """The export's 类型, 名称, 所在场所, 进驻部门, 二维码, 评价器, 在线, 办件, 已评价, 评价率 of a
    ``shown`` row (an empty text is an empty cell; a rate to 16 digits, as openpyxl wrote it)."""
    _, kind, name, location, department, qr, _, paired, online, services, rated, rate = shown
    return (kind, name, location or None, department or None, "有" if qr else "缺", paired, online, services, rated,
            "—" if rate is None else float(f"{rate:.16g}"))  # fmt: skip


@pytest.fixture
def city_block(cast, services):
    """45 more windows in the hall (some with a code, a paired tablet online or not, an unpaired
    or retired device), services at some of them (today and 3 days ago, some rated), then a
    rollup refresh: the list spans pages whose slices cross from places to windows."""
    windows = Window.objects.bulk_create(
        Window(code=f"W-X{n:03d}", name=f"综合窗口{n:03d}", unit=cast.center, department=cast.unit_a) for n in range(45)
    )
    for n, window in enumerate(windows):
        if n % 3 == 0:
            qr_code_ensure(actor=Actor.cli("tests"), place=Place(window=window))
        if n % 4 == 0:
            device, _ = pair_tablet(window, f"评价器{n}")
            if n % 8 == 0:
                Device.objects.filter(pk=device.pk).update(last_seen_at=timezone.now() - dt.timedelta(hours=1))
        elif n % 5 == 0:
            device, _ = pair_tablet(window, f"停用评价器{n}")
            Device.objects.filter(pk=device.pk).update(is_active=False)
        elif n % 7 == 0:
            Device.objects.create(name=f"未配对{n}", unit=cast.center, window=window, kind=DeviceKind.TABLET)
        if n % 6 == 0:
            record = push(cast, f"SCJG-X{n}", window_code=window.code)
            if n % 12 == 0:
                rate(record, 4)
            if n % 9 == 0:
                ServiceRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    qr_code_ensure(actor=Actor.cli("tests"), place=Place(unit=cast.community))
    rollup_refresh()


@pytest.mark.parametrize("who", ["supervisor", "admin_a", "admin_b"])
def test_every_page_and_the_export_show_the_list_s_definition(cast, city_block, who):
    """Page by page (20 a page), under each filter, the rows and the totals are those of the
    definition (every place loaded, counted from the raw records); so is the export."""
    client = login(Client(), cast, who)
    scope = scope_for_user(cast.users[who])
    now = timezone.now()
    totals = coverage_totals(defined_rows(scope, now=now))
    for missing in ("", *MISSING):
        for kind in ("", *KINDS):
            expected = [shown(row) for row in defined_rows(scope, now=now, missing=missing, kind=kind)]
            found, page = [], 1
            while True:
                r = client.get(COVERAGE, {"missing": missing, "kind": kind, "page": page, "page_size": 20})
                assert r.context["totals"] == totals, (missing, kind)
                found += [shown(row) for row in r.context["rows"]]
                if not r.context["page_obj"].has_next():
                    break
                page += 1
            assert r.context["page_obj"].paginator.count == len(expected)
            assert found == expected, (missing, kind)
            export = client.get(EXPORT, {"missing": missing, "kind": kind}).getvalue()
            exported = [
                row[:5] + row[6:]
                for row in load_workbook(BytesIO(export)).active.iter_rows(min_row=5, values_only=True)
            ]
            assert exported == [exported_row(s) for s in expected], (missing, kind)
    if who == "supervisor":
        figures = (totals["windows"], totals["windows_qr"], totals["windows_device"], totals["places_qr"])
        assert figures == (47, 15, 12, 1)
        rows = defined_rows(scope, now=now)
        assert sum(1 for row in rows if row.services) >= 8 and sum(1 for row in rows if row.online) >= 3
        last = client.get(COVERAGE, {"page": "last", "page_size": 20}).context["rows"]  # 50 places: 10 on page 3
        assert [shown(row) for row in last] == [shown(row) for row in defined_rows(scope, now=now)][-10:]
