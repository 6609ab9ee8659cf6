"""The work queue's Excel export: the current tab and filters, masked identity only, audited."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from haochaping.audit.models import AuditEvent
from haochaping.evaluations.models import Evaluation
from haochaping.rectification.console.export import EVALUATOR, HEADERS
from haochaping.rectification.models import RectificationCase
from haochaping.rectification.tests.factories import queue_case_numbers as numbers
from haochaping.rectification.tests.factories import queue_cases
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import clone_rows, login, xlsx_of
from haochaping.testing_world import PLAINTEXT

QUEUE = reverse("console:case_list")
EXPORT = reverse("console:case_list_export")


@pytest.fixture
def cases(cast):
    return queue_cases(cast)


def test_the_export_is_the_filtered_tab_masked_and_audited(cast, cases, record_decryptions):
    old, new, other = cases
    admin = login(Client(), cast, "admin_a")
    query = {"tab": "all", "level": "1"}
    page = admin.get(QUEUE, query)
    assert f'href="{EXPORT}?tab=all&amp;level=1"' in page.content.decode()  # the link keeps the filters

    rows, raw = xlsx_of(admin.get(EXPORT, query))
    header, body = rows[0], rows[1:]
    assert header[:3] == ("工单编号", "状态", "责任单位") and "评价人（脱敏）" in header
    assert [row[0] for row in body] == numbers(page) == [old.number]  # the list's rows, not unit B's
    row = dict(zip(header, body[0], strict=True))
    assert row["办件编号"] == "SCJG2026140001" and row["差评等级"] == "非常不满意" and row["是否逾期"] == "逾期"
    assert row["生成时间"] == "2026-10-12 10:00"
    assert row["评价人（脱敏）"] == "张**" and row["评价人电话（脱敏）"] == "138****5678"
    for text in PLAINTEXT:
        assert text.encode() not in raw
    assert other.number.encode() not in raw and new.number.encode() not in raw
    assert record_decryptions == []  # nothing decrypted: the masked copies only

    event = AuditEvent.objects.filter(action="rectification:case:exported").get()
    assert event.actor_id == str(cast.users["admin_a"].pk)
    assert event.data == {"filters": {"tab": "all", "level": "1"}, "rows": 1}


def test_the_export_follows_the_tab_and_hides_the_evaluator_from_a_clerk(cast, cases):
    old = cases[0]
    admin = login(Client(), cast, "admin_a")
    rows, _ = xlsx_of(admin.get(EXPORT, {"tab": "overdue"}))
    assert [row[0] for row in rows[1:]] == [old.number]
    clerk = login(Client(), cast, "clerk_a")
    listed = numbers(clerk.get(QUEUE, {"tab": "all"}))
    rows, raw = xlsx_of(clerk.get(EXPORT, {"tab": "all"}))
    assert [row[0] for row in rows[1:]] == listed
    assert not any("评价人" in str(cell) for cell in rows[0])
    assert "张**".encode() not in raw and b"138****5678" not in raw


def test_the_export_needs_a_login(cases):
    r = Client().get(EXPORT)
    assert r.status_code == 302 and "login" in r["Location"]


def test_an_export_of_n_cases_has_n_rows_and_every_column(cast, cases):
    count = 2100  # more than one chunk read (EXPORT_CHUNK)
    old = cases[0]
    evaluation = old.evaluation
    clone_rows(ServiceRecord, evaluation.record_id, count, lambda n: {"project_no": f"SCJG2099{n:08d}"})
    records = dict(ServiceRecord.objects.filter(project_no__startswith="SCJG2099").values_list("project_no", "pk"))
    clone_rows(Evaluation, evaluation.pk, count, lambda n: {"record_id": records[f"SCJG2099{n:08d}"]})
    ratings = dict(Evaluation.objects.filter(record__project_no__startswith="SCJG2099").values_list("record_id", "pk"))
    by_number = {f"GD2099{n:08d}": ratings[records[f"SCJG2099{n:08d}"]] for n in range(count)}
    numbered = list(by_number.items())
    clone_rows(RectificationCase, old.pk, count, lambda n: {"number": numbered[n][0], "evaluation_id": numbered[n][1]})
    admin = login(Client(), cast, "admin_a")
    rows, _ = xlsx_of(admin.get(EXPORT, {"tab": "overdue"}))
    header, body = rows[0], rows[1:]
    assert list(header) == HEADERS + EVALUATOR
    copies = [dict(zip(header, row, strict=True)) for row in body if str(row[0]).startswith("GD2099")]
    assert len(copies) == count and len(body) == count + 1  # and the world's own overdue case
    original = dict(zip(header, body[[row[0] for row in body].index(old.number)], strict=True))
    assert original["是否逾期"] == "逾期" and original["评价人（脱敏）"] == "张**"
    for row in copies:
        project_no = f"SCJG2099{row['工单编号'][6:]}"
        assert row == {**original, "工单编号": row["工单编号"], "办件编号": project_no}
    assert {row["工单编号"] for row in copies} == set(by_number)
