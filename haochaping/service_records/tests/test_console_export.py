"""The 办件服务 Excel export: the filtered list, masked identity only, scoped, audited, and
streamed (flat memory however many rows)."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.service_records.console.export import APPLICANT, HEADERS
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import clone_rows, login, xlsx_of
from haochaping.testing_world import PLAINTEXT

LIST = reverse("console:record_list")
EXPORT = reverse("console:record_list_export")


def listed(response) -> list[str]:
    return [r.project_no for r in response.context["page_obj"]]


def test_the_export_is_the_filtered_list_masked_and_audited(cast, world, record_decryptions):
    admin = login(Client(), cast, "admin_a")
    page = admin.get(LIST, {"project_no": "SCJG2026110003"})
    assert f'href="{EXPORT}?project_no=SCJG2026110003"' in page.content.decode()

    rows, raw = xlsx_of(admin.get(EXPORT, {"project_no": "SCJG2026110003"}))
    header, body = rows[0], rows[1:]
    assert [row[0] for row in body] == listed(page) == ["SCJG2026110003"]
    row = dict(zip(header, body[0], strict=True))
    assert row["申请人（脱敏）"] == "张**" and row["联系电话（脱敏）"] == "138****5678"
    assert row["是否已评价"] == "未评价" and row["事项"] == "食品经营许可（新办）"
    for text in PLAINTEXT:
        assert text.encode() not in raw
    assert record_decryptions == []

    everything, raw = xlsx_of(admin.get(EXPORT))
    assert sorted(row[0] for row in everything[1:]) == ["SCJG2026110001", "SCJG2026110002", "SCJG2026110003"]
    assert b"RSJ" not in raw  # unit B's services are not in unit A's export

    events = AuditEvent.objects.filter(action="service_records:service_record:exported").order_by("seq")
    assert [e.data for e in events] == [
        {"filters": {"project_no": "SCJG2026110003"}, "rows": 1},
        {"filters": {}, "rows": 3},
    ]


def test_a_clerk_exports_no_applicant(cast, world):
    clerk = login(Client(), cast, "clerk_a")
    rows, raw = xlsx_of(clerk.get(EXPORT))
    assert sorted(row[0] for row in rows[1:]) == sorted(listed(clerk.get(LIST)))
    assert not any("申请人" in str(cell) or "电话" in str(cell) for cell in rows[0])
    assert "张**".encode() not in raw and b"138****5678" not in raw


ROWS = 20_000
# Peak Python allocation while 20,000 rows are exported (tracemalloc): streamed, it stays near
# one chunk of rows; building the workbook in memory from the whole list exceeds it several times.
PEAK_BOUND = 24 * 1024 * 1024


def test_the_export_of_20000_rows_streams_in_flat_memory(cast, world):
    clone_rows(ServiceRecord, world.record_a_unrated.pk, ROWS, lambda n: {"project_no": f"SCJG2099{n:08d}"})
    admin = login(Client(), cast, "admin_a")
    tracemalloc.start()
    try:
        response = admin.get(EXPORT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    content = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert sheet.count(b"<row ") == 1 + ROWS + 3  # the header, the copies, the world's three
    assert peak < PEAK_BOUND, f"peak {peak / 2**20:.1f} MiB for {ROWS} rows"


def test_an_export_of_n_services_has_n_rows_and_every_column(cast, world):
    count = 2500  # more than one chunk read (EXPORT_CHUNK)
    clone_rows(ServiceRecord, world.record_a_unrated.pk, count, lambda n: {"project_no": f"SCJG2099{n:08d}"})
    admin = login(Client(), cast, "admin_a")
    rows, _ = xlsx_of(admin.get(EXPORT))
    header, body = rows[0], rows[1:]
    assert list(header) == HEADERS + APPLICANT
    copies = [dict(zip(header, row, strict=True)) for row in body if str(row[0]).startswith("SCJG2099")]
    assert len(copies) == count and len(body) == count + 3
    assert {row["办件编号"] for row in copies} == {f"SCJG2099{n:08d}" for n in range(count)}
    record = world.record_a_unrated
    for row in copies:
        assert row["事项"] == record.item.name and row["办理单位"] == record.unit.name
        assert row["工作人员"] == record.staff.name and row["工号"] == record.staff.staff_no
        assert row["服务环节"] == record.get_stage_display() and row["办理渠道"] == record.get_mode_display()
        assert row["是否已评价"] == "未评价" and row["申请人（脱敏）"] == "张**"
        assert row["接收时间"] == timezone.localtime(record.created_at).strftime("%Y-%m-%d %H:%M")
