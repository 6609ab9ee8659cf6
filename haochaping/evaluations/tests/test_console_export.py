"""The 评价记录 Excel export: the filtered list, masked identity only, scoped, audited."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from haochaping.audit.models import AuditEvent
from haochaping.evaluations.console.export import EVALUATOR, HEADERS
from haochaping.evaluations.models import Evaluation
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import clone_rows, login, xlsx_of
from haochaping.testing_world import PLAINTEXT

LIST = reverse("console:evaluation_list")
EXPORT = reverse("console:evaluation_list_export")


def listed(response) -> list[str]:
    return [e.record.project_no for e in response.context["page_obj"]]


def test_the_export_is_the_filtered_list_masked_and_audited(cast, world, record_decryptions):
    admin = login(Client(), cast, "admin_a")
    page = admin.get(LIST, {"level": "bad"})
    assert f'href="{EXPORT}?level=bad"' in page.content.decode()

    rows, raw = xlsx_of(admin.get(EXPORT, {"level": "bad"}))
    header, body = rows[0], rows[1:]
    assert [row[1] for row in body] == listed(page) == ["SCJG2026110001"]  # not the good one, not unit B's
    row = dict(zip(header, body[0], strict=True))
    assert row["总体评价"] == "非常不满意" and row["评价内容"] == "窗口人员态度生硬"
    assert row["工作人员"] == "王晓红" and row["差评工单"] == world.case_a.number and row["理由"]
    assert row["评价人（脱敏）"] == "张**" and row["评价人电话（脱敏）"] == "138****5678"
    for text in PLAINTEXT:
        assert text.encode() not in raw
    assert b"RSJ2026110001" not in raw and b"SCJG2026110002" not in raw
    assert record_decryptions == []

    event = AuditEvent.objects.filter(action="evaluations:evaluation:exported").get()
    assert event.data == {"filters": {"level": "bad"}, "rows": 1}
    assert event.actor_id == str(cast.users["admin_a"].pk)


def test_a_supervisor_exports_every_unit_and_a_clerk_gets_no_evaluator(cast, world):
    supervisor = login(Client(), cast, "supervisor")
    rows, _ = xlsx_of(supervisor.get(EXPORT))
    assert sorted(row[1] for row in rows[1:]) == sorted(listed(supervisor.get(LIST)))
    assert len(rows) == 4
    clerk = login(Client(), cast, "clerk_a")
    rows, raw = xlsx_of(clerk.get(EXPORT))
    assert [row[1] for row in rows[1:]] == listed(clerk.get(LIST)) == ["SCJG2026110001"]
    assert not any("评价人" in str(cell) for cell in rows[0])
    assert "张**".encode() not in raw and b"138****5678" not in raw


def test_an_export_of_n_ratings_has_n_rows_and_every_column(cast, world):
    count = 2500  # more than one chunk read (EXPORT_CHUNK): each chunk's reason texts
    rated = world.eval_a
    clone_rows(ServiceRecord, rated.record_id, count, lambda n: {"project_no": f"SCJG2099{n:08d}"})
    records = dict(ServiceRecord.objects.filter(project_no__startswith="SCJG2099").values_list("project_no", "pk"))
    clone_rows(Evaluation, rated.pk, count, lambda n: {"record_id": records[f"SCJG2099{n:08d}"]})
    admin = login(Client(), cast, "admin_a")
    rows, _ = xlsx_of(admin.get(EXPORT, {"level": "bad"}))
    header, body = rows[0], rows[1:]
    assert list(header) == HEADERS + EVALUATOR
    copies = [dict(zip(header, row, strict=True)) for row in body if str(row[1]).startswith("SCJG2099")]
    assert len(copies) == count and len(body) == count + 1  # and the world's own bad rating
    assert {row["办件编号"] for row in copies} == set(records)
    original = dict(zip(header, next(row for row in body if row[1] == rated.record.project_no), strict=True))
    assert original["理由"] and original["差评工单"] == rated.case.number
    for row in copies:
        assert row == {**original, "办件编号": row["办件编号"], "差评工单": ""}  # no case of their own
