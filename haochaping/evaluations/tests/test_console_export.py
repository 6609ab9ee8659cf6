"""The 评价记录 Excel export: the filtered list, masked identity only, scoped, audited."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from haochaping.audit.models import AuditEvent
from haochaping.testing import login, xlsx_of
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
