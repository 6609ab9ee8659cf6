"""Shared test fixtures: a fixed cast of named units and users, and a signing API client.

The cast (all created through the real services, so the audit chain is real too):

* district 410404 → centre CENTER, departments SCJG (unit A) and RSJ (unit B), street centre
  JD01 → community point JD01-SQ01
* windows W-A1 (SCJG at CENTER), W-B1 (RSJ at CENTER)
* staff A001 (SCJG, W-A1), B001 (RSJ, W-B1)
* users: supervisor (district), admin_a (SCJG dept_admin), clerk_a (A001), admin_b (RSJ),
  clerk_b (B001), operator, auditor — password ``pass-12345-word``
* business systems: ``system_all`` (district-wide) and ``system_a`` (SCJG only)
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from haochaping.audit.services import Actor
from haochaping.core import fields
from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.selectors import RatingTarget
from haochaping.evaluations.services import RatingInput, indicator_set_ensure_default
from haochaping.intake.services import RatingContext, ReceivedRating, rating_receive
from haochaping.organizations.api_auth import sign_request
from haochaping.organizations.devices import device_create, device_pair
from haochaping.organizations.models import BusinessSystem, Device, Role, Staff, Unit, UnitKind, Window
from haochaping.organizations.services import (
    business_system_register,
    console_user_create,
    staff_create,
    unit_create,
    window_create,
)
from haochaping.service_records.choices import ItemType
from haochaping.service_records.models import ServiceItem, ServiceRecord
from haochaping.service_records.services import service_item_create

PASSWORD = "pass-12345-word"  # noqa: S105  (test cast only)


@dataclass
class Cast:
    district: Unit
    center: Unit
    unit_a: Unit
    unit_b: Unit
    street: Unit
    community: Unit
    window_a: Window
    window_b: Window
    staff_a: Staff
    staff_b: Staff
    item_a: ServiceItem
    item_b: ServiceItem
    users: dict[str, Any]
    system_all: BusinessSystem
    secret_all: str
    system_a: BusinessSystem
    secret_a: str


def build_cast() -> Cast:
    actor = Actor.cli("tests")
    indicator_set_ensure_default(actor=actor)
    district = unit_create(
        actor=actor, code="410404", name="平顶山市石龙区", kind=UnitKind.DISTRICT, division_code="410404"
    )
    center = unit_create(actor=actor, code="CENTER", name="石龙区政务服务中心", kind=UnitKind.CENTER, parent=district)
    unit_a = unit_create(actor=actor, code="SCJG", name="区市场监督管理局", kind=UnitKind.DEPARTMENT, parent=district)
    unit_b = unit_create(
        actor=actor, code="RSJ", name="区人力资源和社会保障局", kind=UnitKind.DEPARTMENT, parent=district
    )
    street = unit_create(
        actor=actor, code="JD01", name="人民路街道便民服务中心", kind=UnitKind.STREET_CENTER, parent=district
    )
    community = unit_create(
        actor=actor, code="JD01-SQ01", name="某社区便民服务点", kind=UnitKind.COMMUNITY_POINT, parent=street
    )
    window_a = window_create(actor=actor, code="W-A1", name="市场监管综合窗口", unit=center, department=unit_a)
    window_b = window_create(actor=actor, code="W-B1", name="社保综合窗口", unit=center, department=unit_b)
    staff_a = staff_create(actor=actor, staff_no="A001", name="王晓红", unit=unit_a, window=window_a)
    staff_b = staff_create(actor=actor, staff_no="B001", name="李建国", unit=unit_b, window=window_b)
    item_a = service_item_create(
        actor=actor,
        code="11410404MB0000001A",
        name="食品经营许可（新办）",
        item_type=ItemType.LICENSE,
        department=unit_a,
        promised_days=10,
    )
    item_b = service_item_create(
        actor=actor,
        code="11410404MB0000002B",
        name="失业保险金申领",
        item_type=ItemType.PAYMENT,
        department=unit_b,
        promised_days=5,
    )
    users = {
        "supervisor": console_user_create(
            actor=actor, username="supervisor", password=PASSWORD, unit=district, role=Role.SUPERVISOR
        ),
        "admin_a": console_user_create(
            actor=actor, username="admin_a", password=PASSWORD, unit=unit_a, role=Role.DEPT_ADMIN
        ),
        "clerk_a": console_user_create(
            actor=actor, username="clerk_a", password=PASSWORD, unit=unit_a, role=Role.WINDOW_CLERK, staff=staff_a
        ),
        "admin_b": console_user_create(
            actor=actor, username="admin_b", password=PASSWORD, unit=unit_b, role=Role.DEPT_ADMIN
        ),
        "clerk_b": console_user_create(
            actor=actor, username="clerk_b", password=PASSWORD, unit=unit_b, role=Role.WINDOW_CLERK, staff=staff_b
        ),
        "operator": console_user_create(
            actor=actor, username="operator", password=PASSWORD, unit=district, role=Role.OPERATOR
        ),
        "auditor": console_user_create(
            actor=actor, username="auditor", password=PASSWORD, unit=district, role=Role.AUDITOR
        ),
    }
    system_all, secret_all = business_system_register(actor=actor, name="区一体化政务服务平台")
    system_a, secret_a = business_system_register(actor=actor, name="市场监管审批系统", unit=unit_a)
    return Cast(
        district,
        center,
        unit_a,
        unit_b,
        street,
        community,
        window_a,
        window_b,
        staff_a,
        staff_b,
        item_a,
        item_b,
        users,
        system_all,
        secret_all,
        system_a,
        secret_a,
    )


@pytest.fixture
def cast(db) -> Cast:
    return build_cast()


class SignedClient:
    """Calls the API the way a business system does: real HMAC-SM3 signatures."""

    def __init__(self, client: Client, app_id: str, secret: str):
        self.client, self.app_id, self.secret = client, app_id, secret

    def headers(
        self, method: str, path: str, body: bytes, *, timestamp: str | None = None, nonce: str | None = None
    ) -> dict[str, str]:
        timestamp = timestamp or str(int(time.time() * 1000))
        nonce = nonce or uuid.uuid4().hex
        return {
            "X-App-Id": self.app_id,
            "X-Timestamp": timestamp,
            "X-Nonce": nonce,
            "X-Signature": sign_request(self.secret, method, path, timestamp, nonce, body),
        }

    def get(self, path: str, **kw):
        return self.client.get(path, headers=self.headers("GET", path, b"", **kw))

    def post(self, path: str, data: Any, **kw):
        body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
        return self.client.post(
            path, data=body, content_type="application/json", headers=self.headers("POST", path, body, **kw)
        )


@pytest.fixture
def api_all(cast) -> SignedClient:
    return SignedClient(Client(), cast.system_all.app_id, cast.secret_all)


@pytest.fixture
def api_a(cast) -> SignedClient:
    return SignedClient(Client(), cast.system_a.app_id, cast.secret_a)


@pytest.fixture
def record_decryptions(monkeypatch) -> list[str]:
    """The ``table.column`` of every service-record identity value decrypted from now on."""
    seen: list[str] = []
    decrypt = fields.sm4_decrypt

    def counting(token, *, context=""):
        if context.startswith(f"{ServiceRecord._meta.db_table}."):
            seen.append(context)
        return decrypt(token, context=context)

    monkeypatch.setattr(fields, "sm4_decrypt", counting)
    return seen


def record_payload(cast: Cast, project_no: str = "SCJG2026110001", service_no: int = 1, **overrides) -> dict:
    """A realistic service record of unit A, as a business system would push it."""
    data = {
        "project_no": project_no,
        "service_no": service_no,
        "stage": "2",
        "item_code": cast.item_a.code,
        "unit_code": cast.unit_a.code,
        "window_code": cast.window_a.code,
        "staff_no": cast.staff_a.staff_no,
        "mode": "offline",
        "applicant_kind": "1",
        "applicant_name": "张三丰",
        "applicant_id_type": "111",
        "applicant_id_number": "410404199001011234",
        "applicant_phone": "13812345678",
        "accepted_at": "2026-11-30T09:00:00+08:00",
        "finished_at": "2026-11-30T09:20:00+08:00",
    }
    data.update(overrides)
    return data


def push_record(cast: Cast, project_no: str = "SCJG2026110001", **overrides):
    """Push a record of unit A (by default) through the real service, as the district system.

    It was served in the past whatever day the suite runs, so ratings "days ago" never
    predate it (record_payload's own date is fixed at 2026-11-30).
    """
    import datetime as dt

    from haochaping.organizations.selectors import scope_for_system
    from haochaping.service_records.services import RecordInput, service_record_push

    overrides.setdefault("accepted_at", "2025-01-02T09:00:00+08:00")
    overrides.setdefault("finished_at", "2025-01-02T09:30:00+08:00")
    data = record_payload(cast, project_no=project_no, **overrides)
    for key in ("accepted_at", "finished_at"):
        data[key] = dt.datetime.fromisoformat(data[key])
    system = cast.system_all
    return service_record_push(
        system=system, actor=Actor.for_system(system), scope=scope_for_system(system), data=RecordInput(**data)
    ).record


def login(client: Client, cast: Cast, who: str) -> Client:
    assert client.login(username=cast.users[who].username, password=PASSWORD)
    return client


def allow_test_flush() -> None:
    """Transactional tests end with a DB flush (DELETE on SQLite, TRUNCATE on PostgreSQL),
    which the append-only triggers refuse. Prepend dropping them to the flush SQL; the flush's
    post_migrate signal recreates them (audit.immutability.ensure_triggers)."""
    from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOps
    from django.db.backends.sqlite3.base import DatabaseOperations as SQLiteOps

    from haochaping.audit.immutability import drop_statements

    for ops, vendor in ((SQLiteOps, "sqlite"), (PostgresOps, "postgresql")):
        original = ops.sql_flush
        if getattr(original, "_haochaping", False):
            continue

        def sql_flush(self, style, tables, *, _original=original, _vendor=vendor, **kwargs):
            statements = _original(self, style, tables, **kwargs)
            return drop_statements(_vendor) + statements if statements else statements

        sql_flush._haochaping = True
        ops.sql_flush = sql_flush


# --- ratings through the one rating-intake service, as in production -------------------------


def receive(
    record: ServiceRecord, data: RatingInput, *, actor: Actor | None = None, system: BusinessSystem | None = None
) -> ReceivedRating:
    """``rating_receive`` for a record at hand (a citizen's rating unless told otherwise)."""
    context = RatingContext(actor=actor or Actor.citizen(), system=system)
    return rating_receive(target=RatingTarget(record), data=data, context=context)


def submit_rating(
    *, actor: Actor, record: ServiceRecord, data: RatingInput, system: BusinessSystem | None = None
) -> Evaluation:
    """The stored rating of ``record`` (its case, if bad, cached as ``evaluation.case``)."""
    return receive(record, data, actor=actor, system=system).evaluation


# --- rating devices and console messages ------------------------------------------------------


def pair_tablet(window: Window, name: str = "评价器") -> tuple[Device, str]:
    """A window tablet created and paired as an admin and the tablet would: (device, credential)."""
    _, code = device_create(actor=Actor.cli(), name=name, window=window)
    return device_pair(code=code)


def flash_messages(response) -> list[str]:
    """The console's flash messages of a response (``messages`` framework)."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def clone_rows(model, pk: int, count: int, changes) -> None:
    """``count`` copies of ``model``'s row ``pk``, inserted in SQL in batches (the stored values as
    they are: nothing decrypted or encrypted again), for lists of thousands of rows;
    ``changes(n)`` gives the columns of the n-th copy that differ (its unique keys)."""
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])  # noqa: S608 - a model's table
        columns = [c[0] for c in cursor.description]
        original = dict(zip(columns, cursor.fetchone(), strict=True))
        names = [c for c in columns if c != "id"]
        quoted = ", ".join(connection.ops.quote_name(c) for c in names)
        sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['%s'] * len(names))})"  # noqa: S608
        for start in range(0, count, 2000):
            batch = []
            for n in range(start, min(count, start + 2000)):
                row = {**original, **changes(n)}
                batch.append([row[c] for c in names])
            cursor.executemany(sql, batch)


def xlsx_of(response) -> tuple[list[tuple], bytes]:
    """A streamed Excel download: its rows (header first, as openpyxl reads them) and the
    decompressed text of every part of the file (to look for what must not be in it)."""
    import io
    import zipfile

    import openpyxl

    assert response.status_code == 200, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    content = b"".join(response.streaming_content) if response.streaming else response.content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = b"".join(archive.read(name) for name in archive.namelist())
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = [
        tuple("" if value is None else value for value in row) for row in workbook.active.iter_rows(values_only=True)
    ]
    workbook.close()
    return rows, content + parts


def published_response_errors(client: Client, method: str, path: str, status: int, body: Any) -> list[str]:
    """Why ``body`` does not validate against the schema ``GET /api/v1/openapi.json`` publishes
    for ``method path`` answering ``status`` (an undocumented status is an error too)."""
    import jsonschema_rs  # dev dependency (with schemathesis)

    spec = client.get("/api/v1/openapi.json").json()
    responses = spec["paths"][path][method.lower()]["responses"]
    if str(status) not in responses:
        return [f"status {status} is not documented for {method} {path} (documented: {', '.join(responses)})"]
    schema = dict(responses[str(status)]["content"]["application/json"]["schema"], components=spec["components"])
    return [f"{e.instance_path}: {e.message}" for e in jsonschema_rs.validator_for(schema).iter_errors(body)]


def explain_without_seqscan(sql: str) -> str:
    """PostgreSQL's plan of ``sql`` with sequential scans disabled (inside the test's
    transaction): on a small test database, the index the planner would use on a large table.
    The plan tests of the indexes added for the console pages at a city's scale use it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())
