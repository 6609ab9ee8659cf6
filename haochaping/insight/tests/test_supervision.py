"""Supervision records (制度第十条): each kind recorded through the pages, a spot check's sample
drawn on the server (reproducibly, from the unit's closed cases only), results and follow-ups,
scoping, audit events and the 通报's counts."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from haochaping.analytics.periods import Period
from haochaping.analytics.reports.documents import render_xlsx
from haochaping.analytics.reports.snapshot import build_snapshot
from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.core.errors import PermissionDenied
from haochaping.insight.models import SpotCheckItem, SupervisionRecord
from haochaping.insight.selectors import supervision_record_counts
from haochaping.insight.services import (
    RecordInput,
    spot_check_draw,
    spot_check_population,
    supervision_record_create,
)
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Scope
from haochaping.rectification.models import CaseState, RectificationCase
from haochaping.testing import login

FIRST, LAST = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
LIST = reverse("console:insight_supervision_list")
NEW = reverse("console:insight_supervision_new")


def detail(record) -> str:
    return reverse("console:insight_supervision_detail", kwargs={"pk": record.pk})


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


def case(unit, number: str, *, closed_on: dt.date | None, state: str = CaseState.CLOSED) -> RectificationCase:
    opened = at((closed_on or FIRST) - dt.timedelta(days=5))
    return RectificationCase.objects.create(
        number=number,
        unit=unit,
        state=state,
        opened_at=opened,
        due_at=opened + dt.timedelta(days=10),
        closed_at=at(closed_on) if closed_on else None,
    )


@pytest.fixture
def cases(cast):
    """Unit A: 8 cases closed in October, one closed in September, 2 open; unit B: 3 closed in October."""
    inside = [case(cast.unit_a, f"A10{i}", closed_on=FIRST + dt.timedelta(days=3 * i)) for i in range(8)]
    case(cast.unit_a, "A0901", closed_on=dt.date(2026, 9, 30))
    case(cast.unit_a, "A-OPEN1", closed_on=None, state=CaseState.RECTIFYING)
    case(cast.unit_a, "A-OPEN2", closed_on=None, state=CaseState.PENDING_VERIFY)
    for i in range(3):
        case(cast.unit_b, f"B10{i}", closed_on=FIRST + dt.timedelta(days=i))
    return inside


def spot_check_form(cast, **extra) -> dict:
    return {
        "kind": "spot_check",
        "unit": cast.unit_a.code,
        "held_on": "2026-11-05",
        "inspector": "督查科 王某",
        "period_first": FIRST.isoformat(),
        "period_last": LAST.isoformat(),
        "sample_size": "5",
        **extra,
    }


def test_a_spot_check_draws_a_reproducible_sample_of_the_units_closed_cases_only(cast, cases):
    client = login(Client(), cast, "supervisor")
    response = client.post(NEW, spot_check_form(cast))
    record = SupervisionRecord.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(record)
    sampled = sorted(SpotCheckItem.objects.filter(record=record).values_list("case_id", flat=True))
    assert len(sampled) == 5 and set(sampled) <= {c.pk for c in cases}
    assert record.population == 8 and record.seed
    # Anyone can re-draw the sample from the stored seed.
    population = spot_check_population(cast.unit_a, FIRST, LAST)
    assert population == sorted(c.pk for c in cases)
    assert spot_check_draw(population, 5, record.seed) == sampled
    # The audit event carries the seed and the sample.
    event = AuditEvent.objects.get(action="insight:supervision:created")
    assert event.target_id == str(record.pk)
    assert event.data["seed"] == record.seed and event.data["sample"] == sampled and event.data["population"] == 8
    # The page shows the drawn cases (none of unit B's, none open, none from September).
    html = client.get(detail(record)).content.decode()
    assert record.seed in html
    for c in RectificationCase.objects.exclude(pk__in=sampled):
        assert c.number not in html
    # A sample larger than the population takes the whole population.
    scope = Scope(unit_path=cast.district.path, role=Role.SUPERVISOR)
    data = RecordInput(
        kind="spot_check", unit=cast.unit_b, held_on=LAST, inspector="督查科",
        period_first=FIRST, period_last=LAST, sample_size=20,
    )  # fmt: skip
    again = supervision_record_create(actor=Actor.cli("tests"), scope=scope, data=data, seed="fixed")
    same = supervision_record_create(actor=Actor.cli("tests"), scope=scope, data=data, seed="fixed")
    assert again.items.count() == 3
    assert list(again.items.values_list("case_id", flat=True)) == list(same.items.values_list("case_id", flat=True))


def test_a_spot_check_without_closed_cases_is_refused_in_chinese(cast, cases):
    client = login(Client(), cast, "supervisor")
    response = client.post(NEW, spot_check_form(cast, period_first="2025-01-01", period_last="2025-01-31"))
    assert response.status_code == 200
    assert "没有办结的差评工单" in response.content.decode()
    response = client.post(NEW, spot_check_form(cast, sample_size=""))
    assert "抽查样本数" in response.content.decode()
    assert not SupervisionRecord.objects.exists()


def test_spot_check_results_are_recorded_per_case_with_an_overall_finding(cast, cases):
    client = login(Client(), cast, "supervisor")
    client.post(NEW, spot_check_form(cast, sample_size="3"))
    record = SupervisionRecord.objects.get()
    items = list(record.items.order_by("pk"))
    # A 不合格 without remarks is refused and nothing is stored.
    post = {"action": "results", "findings": "总体规范", f"result-{items[0].pk}": "failed"}
    response = client.post(detail(record), post, follow=True)
    assert "请填写备注" in response.content.decode()
    assert not SpotCheckItem.objects.exclude(result="").exists()
    post |= {
        f"remarks-{items[0].pk}": "回访记录缺失",
        f"result-{items[1].pk}": "passed",
        f"result-{items[2].pk}": "passed",
    }
    client.post(detail(record), post)
    results = dict(SpotCheckItem.objects.values_list("pk", "result"))
    assert results == {items[0].pk: "failed", items[1].pk: "passed", items[2].pk: "passed"}
    record.refresh_from_db()
    assert record.findings == "总体规范"
    event = AuditEvent.objects.get(action="insight:supervision:results_recorded")
    assert event.data["results"] == {str(items[0].case_id): "failed", str(items[1].case_id): "passed",
                                     str(items[2].case_id): "passed"}  # fmt: skip
    counts = supervision_record_counts(cast.district.path, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert counts["spot_check"] == 1 and counts["sampled"] == 3 and counts["failed"] == 1


@pytest.mark.parametrize("kind", ["archive_review", "site_visit", "callback"])
def test_each_other_kind_is_recorded_with_a_follow_up_that_is_then_done(cast, kind):
    client = login(Client(), cast, "supervisor")
    form = {
        "kind": kind,
        "unit": cast.unit_b.code,
        "held_on": "2026-11-06",
        "inspector": "督查科 李某",
        "findings": "窗口未公示办事指南",
        "followup_required": "三日内公示办事指南",
    }
    response = client.post(NEW, form)
    assert "请填写整改期限" in response.content.decode()  # a follow-up needs a deadline
    response = client.post(NEW, form | {"followup_due": "2026-11-09"})
    record = SupervisionRecord.objects.get()
    assert response["Location"] == detail(record)
    assert (record.kind, record.unit, record.followup_open) == (kind, cast.unit_b, True)
    assert not record.items.exists()
    # The open-follow-up filter lists it until it is done.
    assert [r.pk for r in client.get(LIST, {"open_followups": "on"}).context["page_obj"]] == [record.pk]
    assert [r.pk for r in client.get(LIST, {"kind": kind}).context["page_obj"]] == [record.pk]
    assert [r.pk for r in client.get(LIST, {"unit": cast.unit_a.code}).context["page_obj"]] == []
    assert client.get(LIST, {"date_from": "2026-12-01"}).context["page_obj"].object_list == []
    response = client.post(detail(record), {"action": "followup_done", "note": ""}, follow=True)
    assert "请填写整改完成情况" in response.content.decode()
    client.post(detail(record), {"action": "followup_done", "note": "已公示"})
    record.refresh_from_db()
    assert record.followup_done_at and record.followup_note == "已公示" and not record.followup_open
    assert list(client.get(LIST, {"open_followups": "on"}).context["page_obj"]) == []
    actions = list(AuditEvent.objects.filter(target_id=str(record.pk), action__startswith="insight:")
                   .order_by("seq").values_list("action", flat=True))  # fmt: skip
    assert actions == ["insight:supervision:created", "insight:supervision:followup_done"]
    assert "已完成" in client.get(detail(record)).content.decode()


def records_of_both_units(cast):
    scope = Scope(unit_path=cast.district.path, role=Role.SUPERVISOR)
    return [
        supervision_record_create(
            actor=Actor.cli("tests"),
            scope=scope,
            data=RecordInput(
                kind="site_visit",
                unit=unit,
                held_on=dt.date(2026, 11, 6),
                inspector="督查科",
                followup_required="整改",
                followup_due=dt.date(2026, 11, 20),
            ),
        )
        for unit in (cast.unit_a, cast.unit_b)
    ]


def test_a_department_admin_reads_only_their_own_units_records_and_records_nothing(cast):
    record_a, record_b = records_of_both_units(cast)
    client = login(Client(), cast, "admin_a")
    assert [r.pk for r in client.get(LIST).context["page_obj"]] == [record_a.pk]
    assert [r.pk for r in client.get(LIST, {"unit": cast.unit_b.code}).context["page_obj"]] == [record_a.pk]
    assert client.get(detail(record_a)).status_code == 200
    assert client.get(detail(record_b)).status_code == 404
    assert client.post(detail(record_b), {"action": "followup_done", "note": "越权"}).status_code == 404
    # Reading is all: no new record, no follow-up completion, even on their own unit's record.
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {"kind": "callback", "unit": cast.unit_a.code}).status_code == 403
    assert client.post(detail(record_a), {"action": "followup_done", "note": "自己办结"}).status_code == 403
    record_a.refresh_from_db()
    assert record_a.followup_open
    assert "登记督查记录" not in client.get(LIST).content.decode()
    # Nor can a unit-level scope record for another unit through the service.
    with pytest.raises(PermissionDenied):
        supervision_record_create(
            actor=Actor.cli("tests"), scope=Scope(unit_path=cast.unit_a.path, role=Role.SUPERVISOR),
            data=RecordInput(kind="callback", unit=cast.unit_b, held_on=dt.date(2026, 11, 6), inspector="x"),
        )  # fmt: skip


def test_clerks_and_operators_get_403_and_auditors_read(cast):
    record_a, _ = records_of_both_units(cast)
    for who in ("clerk_a", "operator"):
        client = login(Client(), cast, who)
        assert client.get(LIST).status_code == 403, who
        assert client.get(detail(record_a)).status_code == 403, who
        assert "督查记录" not in client.get(reverse("console:home")).content.decode(), who
    client = login(Client(), cast, "auditor")
    assert client.get(LIST).status_code == 200
    assert client.get(detail(record_a)).status_code == 200
    assert client.get(NEW).status_code == 403
    assert "督查记录" in login(Client(), cast, "supervisor").get(reverse("console:home")).content.decode()


def test_the_monthly_report_counts_the_supervision_records(cast, cases):
    records_of_both_units(cast)
    scope = Scope(unit_path=cast.district.path, role=Role.SUPERVISOR)
    data = RecordInput(
        kind="spot_check", unit=cast.unit_a, held_on=dt.date(2026, 11, 10), inspector="督查科",
        period_first=FIRST, period_last=LAST, sample_size=4,
    )  # fmt: skip
    supervision_record_create(actor=Actor.cli("tests"), scope=scope, data=data)
    november = Period.between(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    snapshot = build_snapshot(cast.district, november, generated_at=timezone.now())
    records = snapshot["supervision"]["records"]
    assert records["counts"]["total"] == 3
    assert records["counts"]["site_visit"] == 2 and records["counts"]["spot_check"] == 1
    assert records["counts"]["sampled"] == 4 and records["counts"]["followups_open"] == 2
    assert (
        records["text"]
        == "本期开展督查检查3次（抽查1次、明察暗访2次），抽查差评工单4件、不合格0件，提出整改要求2项、尚未完成2项。"
    )
    # ... followed by the rating-integrity (评价质量) and the common problems' (制度第十一条) sentences.
    assert snapshot["supervision"]["summary"].endswith(
        records["text"] + snapshot["integrity"]["text"] + snapshot["common_problems"]["text"]
    )
    # The Excel appendix carries the sentence under 表5.
    book = load_workbook(BytesIO(render_xlsx(snapshot, doc_number="")))
    cells = [str(cell.value) for row in book["表5 重点督办对象"].iter_rows() for cell in row if cell.value]
    assert any(records["text"] in cell for cell in cells)
    # Unit A's report counts unit A's records only; October's has none.
    assert (
        build_snapshot(cast.unit_a, november, generated_at=timezone.now())["supervision"]["records"]["counts"]["total"]
        == 2
    )
    october = Period.between(FIRST, LAST)
    assert (
        build_snapshot(cast.district, october, generated_at=timezone.now())["supervision"]["records"]["text"]
        == "本期未开展督查检查。"
    )
