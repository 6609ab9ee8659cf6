"""The 办件服务 Excel export: the filtered list, masked identity only, scoped, audited, and
streamed (flat memory however many rows)."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

from django.db import connection
from django.test import Client
from django.urls import reverse

from haochaping.audit.models import AuditEvent
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import login, xlsx_of
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


def _clone(record: ServiceRecord, count: int) -> None:
    """``count`` copies of ``record`` with their own 办件编号, copied row by row in SQL (the
    ciphertext as stored: nothing decrypted or encrypted again)."""
    table = ServiceRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [record.pk])  # noqa: S608 - our table name
        columns = [c[0] for c in cursor.description]
        values = list(cursor.fetchone())
        at = {name: i for i, name in enumerate(columns)}
        names = [c for c in columns if c != "id"]
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"  # noqa: S608
        batch = []
        for n in range(count):
            values[at["project_no"]] = f"SCJG2099{n:08d}"
            batch.append([values[at[c]] for c in names])
            if len(batch) == 2000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def test_the_export_of_20000_rows_streams_in_flat_memory(cast, world):
    _clone(world.record_a_unrated, ROWS)
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
