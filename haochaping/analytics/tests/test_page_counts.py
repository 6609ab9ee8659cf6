"""The 未评价积压 report and the 二维码与覆盖 page count from the rollups and a live query
(``analytics.page_counts``): their figures, on the page and in the Excel export, as the
supervisor and as a department admin, equal the raw count of the service records (the
definition: ``outreach.reports.backlog_counts``, ``service_records.selectors.record_counts_by_place``)
over services received on several days, today's included, rated or not, invited or not, with
and without a phone, around the overdue limits and the 30 days."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from haochaping.analytics.models import BacklogDay, RollupRun
from haochaping.analytics.page_counts import backlog_counts_fast, place_counts_fast
from haochaping.analytics.rollups import rollup_refresh, rollup_snapshot
from haochaping.audit.services import Actor
from haochaping.evaluations import coverage
from haochaping.outreach import reports
from haochaping.outreach.choices import TaskKind
from haochaping.outreach.models import CallTask
from haochaping.outreach.services.calls import call_lists_generate
from haochaping.service_records.models import ServiceRecord
from haochaping.service_records.selectors import record_counts_by_place
from haochaping.testing import login
from haochaping.testing_world import push, push_b, rate

REPORTS = reverse("console:outreach_reports")
REPORTS_EXPORT = reverse("console:outreach_report_export")
QR = reverse("console:qr_coverage")
QR_EXPORT = reverse("console:qr_coverage_export")


@contextmanager
def raw_counts():
    """The pages counted the raw way (the definition) while inside."""
    reports.backlog_counter_install(reports.backlog_counts)
    coverage.place_counter_install(record_counts_by_place)
    try:
        yield
    finally:
        reports.backlog_counter_install(backlog_counts_fast)
        coverage.place_counter_install(place_counts_fast)


def service(cast, number: str, *, finished: dt.timedelta, received: dt.timedelta | None = None, unit: str = "a",
            **overrides) -> ServiceRecord:  # fmt: skip
    """A service that finished ``finished`` ago and reached the platform ``received`` ago (default
    an hour after it finished)."""
    now = timezone.now()
    at = now - finished
    values = {"accepted_at": (at - dt.timedelta(minutes=20)).isoformat(), "finished_at": at.isoformat(), **overrides}
    record = (push_b if unit == "b" else push)(cast, number, **values)
    created = now - received if received is not None else min(at + dt.timedelta(hours=1), now)
    ServiceRecord.objects.filter(pk=record.pk).update(created_at=created)
    record.refresh_from_db()
    return record


def seed_before_refresh(cast, *, invite: bool = True) -> dict[str, ServiceRecord]:
    """Services of the last weeks (a rollup refresh runs after them)."""
    day, hour = dt.timedelta(days=1), dt.timedelta(hours=1)
    records = {
        "a-old-rated": service(cast, "A-1", finished=20 * day),
        "a-old-unrated": service(cast, "A-2", finished=12 * day),
        "a-old-no-phone": service(cast, "A-3", finished=9 * day, applicant_phone=""),
        "a-online-old": service(cast, "A-4", finished=6 * day, mode="online"),
        "a-online-recent": service(cast, "A-5", finished=2 * day, mode="online"),  # not overdue (3 days online)
        # Around the offline limit (1 day), received the day before today or earlier.
        "a-offline-just-overdue": service(cast, "A-6", finished=day + dt.timedelta(minutes=5), received=day),
        "a-offline-not-yet": service(
            cast, "A-7", finished=day - dt.timedelta(minutes=5), received=day, applicant_phone=""
        ),
        "a-finished-long-before": service(cast, "A-8", finished=40 * day, received=3 * day),
        "b-old-unrated": service(cast, "B-1", finished=15 * day, unit="b"),
        "b-old-rated": service(cast, "B-2", finished=4 * day, unit="b"),
        "b-no-phone": service(cast, "B-3", finished=8 * day, unit="b", applicant_phone=""),
        "street": service(cast, "JD-1", finished=5 * day, unit_code="JD01", window_code=None, staff_no=None),
        # The 30 days of the coverage page: one received 29.5 days ago, one 30.5 days ago.
        "a-29-days": service(cast, "A-9", finished=29 * day + 14 * hour, received=29 * day + 12 * hour),
        "a-31-days": service(cast, "A-10", finished=30 * day + 14 * hour, received=30 * day + 12 * hour),
    }
    rate(records["a-old-rated"], 5, days_ago=19)
    rate(records["b-old-rated"], 2, days_ago=3, text="等了很久")
    rate(records["a-29-days"], 4, days_ago=28)
    if invite:  # the invitations of the unrated overdue services with a phone
        call_lists_generate(actor=Actor.job("tests"))
    return records


def seed_today(cast, records: dict[str, ServiceRecord]) -> None:
    """Services received today (not in the rollups yet), one rated, and a rating of today."""
    minutes = dt.timedelta(minutes=1)
    records["a-today"] = service(cast, "A-T1", finished=30 * minutes, received=10 * minutes)
    records["a-today-late"] = service(cast, "A-T2", finished=dt.timedelta(days=5), received=5 * minutes)  # overdue
    records["a-today-online"] = service(cast, "A-T3", finished=20 * minutes, received=2 * minutes, mode="online",
                                        applicant_phone="")  # fmt: skip
    records["b-today"] = service(cast, "B-T1", finished=40 * minutes, received=3 * minutes, unit="b")
    rate(records["a-today"], 5)
    rate(records["b-today"], 1, text="材料被退回三次")
    call_lists_generate(actor=Actor.job("tests"))  # today's A-T2 is overdue: invited


@pytest.fixture
def seeded(cast):
    records = seed_before_refresh(cast)
    rollup_refresh()  # as the analytics.refresh_rollups job does
    seed_today(cast, records)
    return records


def period() -> dict[str, str]:
    today = timezone.localdate()
    return {"date_from": (today - dt.timedelta(days=45)).isoformat(), "date_to": today.isoformat()}


def backlog_of(response) -> reports.Report:
    return next(r for r in response.context["reports"] if r.key == "backlog")


def figures(report: reports.Report) -> dict[str, dict[str, int]]:
    return {row.code: {key: row.get(key) for _h, key, _r in report.columns} for row in [*report.rows, report.total]}


@pytest.mark.parametrize("who", ["supervisor", "admin_a"])
def test_the_backlog_report_equals_the_raw_count(cast, seeded, who):
    client = login(Client(), cast, who)
    response = client.get(REPORTS, period())
    assert "今天接收的服务实时统计" in response.content.decode()  # the page says where figures come from
    page = backlog_of(response)
    with raw_counts():
        expected = backlog_of(client.get(REPORTS, period()))
    assert figures(page) == figures(expected)
    assert [row.code for row in page.rows] == [row.code for row in expected.rows]

    total = page.total
    if who == "supervisor":
        # Every service above finished within the 45 days.
        assert total.get("services") == ServiceRecord.objects.filter(finished_at__isnull=False).count() == 18
        assert total.get("rated") == 5 and total.get("unrated") == 13
        # Overdue: every unrated one finished over a day (offline) or 3 days (online) ago: A-2,
        # B-1, B-3, JD-1 and today's A-T2.
        assert total.get("overdue") == 10 and total.get("no_phone") == 2  # A-3, B-3
        assert total.get("online_unrated") == 3  # A-T3
        # Invited: the overdue ones with a phone that finished within the invitation window (30
        # days), B-1, JD-1 and today's A-T2.
        invited = CallTask.objects.filter(kind=TaskKind.INVITATION_UNRATED).count()
        assert total.get("invited") == invited == 6
    else:  # unit A's admin: unit A only
        assert {row.code for row in page.rows} | {page.total.code} <= {cast.unit_a.code, ""}
        assert total.get("services") == ServiceRecord.objects.filter(unit=cast.unit_a).count() == 13

    export = client.get(REPORTS_EXPORT, {**period(), "report": "backlog"})
    sheet = load_workbook(BytesIO(export.content))["未评价积压"]
    by_name = {row[0]: row for row in sheet.iter_rows(min_row=5, values_only=True) if row[0]}
    names = {row.name: row for row in [*expected.rows, expected.total]}
    assert set(names) <= set(by_name)  # (the definitions follow the table)
    for name, row in names.items():
        counts = [row.get(key) for _h, key, is_rate in expected.columns if not is_rate]
        assert list(by_name[name][1 : 1 + len(counts)]) == counts
    # The styles (set once per kind of cell, copied to the rest): the total in bold, rates as 0.0%.
    total_row = next(row for row in sheet.iter_rows(min_row=5) if row[0].value == "合计")
    assert all(cell.font.b and cell.border.left.style == "thin" for cell in total_row)
    assert total_row[-1].number_format == "0.0%" and total_row[-1].value == pytest.approx(
        expected.cell(expected.total, "rating_rate")
    )
    first_row = next(sheet.iter_rows(min_row=5))
    assert not first_row[1].font.b and first_row[1].alignment.horizontal == "right"


def test_ratings_and_invitations_after_the_refresh_show_once_it_has_run_again(cast):
    """Invitation tasks and ratings of services received before today reach the rollups at the
    next refresh (their finishing day is recomputed for their unit)."""
    records = seed_before_refresh(cast, invite=False)
    rollup_refresh()
    client = login(Client(), cast, "supervisor")
    assert backlog_of(client.get(REPORTS, period())).total.get("invited") == 0
    call_lists_generate(actor=Actor.job("tests"))
    rate(records["a-old-unrated"], 5)  # invited, then rated: no longer counted as invited
    rollup_refresh()
    page = backlog_of(client.get(REPORTS, period()))
    with raw_counts():
        expected = backlog_of(client.get(REPORTS, period()))
    assert figures(page) == figures(expected)
    assert (page.total.get("rated"), page.total.get("invited")) == (4, 4)


def coverage_of(response) -> dict[str, tuple[int, int]]:
    return {row.place.ref: (row.services, row.rated) for row in response.context["rows"]}


@pytest.mark.parametrize("who", ["supervisor", "admin_a"])
def test_the_coverage_page_and_export_equal_the_raw_count(cast, seeded, who):
    client = login(Client(), cast, who)
    response = client.get(QR)
    assert "今天和第 30 天当天接收的服务实时统计" in response.content.decode()
    page = coverage_of(response)
    with raw_counts():
        expected = coverage_of(client.get(QR))
    assert page == expected
    window_a = page[f"w{cast.window_a.pk}"]
    if who == "supervisor":
        # Unit A's window: unit A's 13 services but A-10 (received 30.5 days ago); rated
        # (received 29.5 days ago) and today's A-T1.
        assert window_a == (12, 3)
        assert page[f"u{cast.street.pk}"] == (1, 0)
    else:
        assert window_a[0] == ServiceRecord.objects.filter(window=cast.window_a).count() - 1
    export = client.get(QR_EXPORT)
    sheet = load_workbook(BytesIO(export.getvalue())).active
    exported = [(row[8], row[9]) for row in sheet.iter_rows(min_row=5, values_only=True)]
    rows = client.get(QR).context["rows"]
    assert exported == [(row.services, row.rated) for row in rows]
    assert sum(services for services, _ in exported) > 0
    # The export counts every place of the scope at once (no ids): the same figures, both ways.
    with raw_counts():
        export = client.get(QR_EXPORT)
    sheet = load_workbook(BytesIO(export.getvalue())).active
    assert [(row[8], row[9]) for row in sheet.iter_rows(min_row=5, values_only=True)] == exported


def test_the_first_refresh_after_the_upgrade_builds_the_backlog_rollup_whole(cast):
    """A database whose runs predate ``BacklogDay`` (their marks name no table) gets it built by
    the next refresh, once."""
    seed_before_refresh(cast)
    rollup_refresh()
    built = rollup_snapshot()["backlog"]
    assert built
    BacklogDay.objects.all().delete()
    run = RollupRun.objects.get()
    run.marks = {key: value for key, value in run.marks.items() if not key.startswith("table:")}
    run.save()
    rollup_refresh()
    assert rollup_snapshot()["backlog"] == built
    BacklogDay.objects.all().delete()
    rollup_refresh()  # the last run kept it: nothing is rebuilt
    assert not BacklogDay.objects.exists()
