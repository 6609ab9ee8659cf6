"""Analytics benchmark: the SPEC §5 figures from the rollups against GROUP BY over the raw rows.

Run on demand (not in CI)::

    .venv/bin/python bench/analytics.py                          # PostgreSQL, 10 million ratings
    .venv/bin/python bench/analytics.py --db sqlite              # SQLite, 1 million ratings
    .venv/bin/python bench/analytics.py --ratings 200000         # a quick look
    .venv/bin/python bench/analytics.py --keep                   # reuse the generated database
    .venv/bin/python bench/analytics.py --ratings 2000000 --month-share 0.5 --report
                                                                 # the 通报 of a 1-million-rating month

It

1. generates two years of a district (2024-12-01 … 2026-11-30; about 300 units: departments,
   street centres and their community points; about 2,000 windows, 5,000 staff, 3,000 items, four
   business systems) straight into the real tables, not through the API: service records (1.2 per
   rating), ratings (about 91 % 非常满意/满意, 2 % bad, 1 % by default; channels by mode), a case for
   every bad rating in every state (invalidated, rectified late, extended, overdue and escalated,
   reopened), bad-rating callbacks with their calls, and demands with complaint callbacks. The month
   2026-11 holds a tenth of the ratings (a million at the default size; ``--month-share``). Rows are written with
   PostgreSQL's COPY (SQLite: executemany) with the tables' secondary indexes and constraints
   dropped and created again afterwards (so every unique and foreign-key constraint is checked);
   the encrypted identity columns hold real SM4 ciphertexts of a few values, encrypted once;
2. builds the rollups with ``rollup_rebuild()``;
3. times the overview of 2026-11 (``kpis.counts`` of the district for the month, the month before
   and the month a year earlier) and the ranking of the district's units for the month
   (``counts_by(…, "unit")`` + ``roll_up``), each once on a new connection ("cold") and as the
   median of ``--runs`` runs after a warm-up ("warm"), beside the same answers computed in the same
   run by GROUP BY over the raw tables (the queries below mirror ``analytics.rollups``); the
   answers must be equal;
4. times ``rollup_refresh()`` after 1,000 new ratings (rolled back afterwards, so that ``--keep``
   reruns measure the same database);
5. with ``--report``: times the monthly report of 2026-11 (``report_generate``: snapshot, Word,
   Excel, charts) and the growth of resident memory while it runs.

The generated database is left in place for ``--keep`` (``--drop`` removes it at the end).
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import functools
import math
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_NAME = "bench_analytics"
SQLITE_PATH = ROOT / "var" / "bench-analytics.sqlite3"
GENERATOR_VERSION = "1"

FIRST_DAY = dt.date(2024, 12, 1)
LAST_DAY = dt.date(2026, 11, 30)
MONTH_FIRST = dt.date(2026, 11, 1)  # the measured month: a tenth of all ratings
MONTH_SHARE = 0.10
RECORDS_PER_RATING = 1.2
TARGET_RATIO = 50
TARGET_OVERVIEW_MS = 300
TARGET_REPORT_S = 60

# The district's shape.
DEPARTMENTS = 45
STREETS = 13
COMMUNITIES = 240
CENTER_WINDOWS = 300
STREET_WINDOWS = 24
COMMUNITY_WINDOWS = 6
STAFF = 5000
ITEMS = 3000
ITEMS_PER_STAFF = 12
SYSTEMS = 4


def log(message: str) -> None:
    print(message, flush=True)


# --- database set-up ------------------------------------------------------------------------


def database_url(db: str, *, pg_name: str = PG_NAME, sqlite_path: Path = SQLITE_PATH) -> str:
    if db == "postgres":
        return f"postgres://postgres@127.0.0.1:5432/{pg_name}"
    return f"sqlite:///{sqlite_path}"


def database_exists(db: str, *, pg_name: str = PG_NAME, sqlite_path: Path = SQLITE_PATH) -> bool:
    if db == "sqlite":
        return sqlite_path.exists()
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [pg_name]).fetchone() is not None


def database_create(db: str, *, pg_name: str = PG_NAME, sqlite_path: Path = SQLITE_PATH) -> None:
    if db == "sqlite":
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {pg_name}")


def database_drop(db: str, *, pg_name: str = PG_NAME, sqlite_path: Path = SQLITE_PATH) -> None:
    from django.db import connection

    connection.close()
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")


def meta_get() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if "bench_analytics_meta" not in connection.introspection.table_names(cursor):
            return {}
        cursor.execute("SELECT key, value FROM bench_analytics_meta")
        return dict(cursor.fetchall())


def meta_set(**values: object) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_analytics_meta (key varchar(40) PRIMARY KEY, value text)")
        for key, value in values.items():
            cursor.execute("DELETE FROM bench_analytics_meta WHERE key = %s", [key])
            cursor.execute("INSERT INTO bench_analytics_meta (key, value) VALUES (%s, %s)", [key, str(value)])


def database_size(sqlite_path: Path = SQLITE_PATH) -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        size = sum(Path(f"{sqlite_path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{sqlite_path}{s}").exists())
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
    return f"{size / 2**30:.1f} GiB"


# --- bulk writing -----------------------------------------------------------------------------


class Writer:
    """Rows into the real tables, fast: COPY on PostgreSQL, executemany on SQLite; each table's
    secondary indexes and constraints are dropped before and created again after the load."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.vendor = connection.vendor
        self.saved: list[str] = []

    def drop_indexes(self, tables: Iterable[str]) -> None:
        with self.connection.cursor() as cursor:
            for table in tables:
                if self.vendor == "postgresql":
                    cursor.execute(
                        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY conname",
                        [table],
                    )
                    constraints = cursor.fetchall()
                    cursor.execute(
                        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS "
                        "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.conrelid = %s::regclass)",
                        [table, table],
                    )
                    indexes = cursor.fetchall()
                    for name, definition in constraints:
                        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                        self.saved.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                    for name, definition in indexes:
                        cursor.execute(f'DROP INDEX "{name}"')
                        self.saved.append(definition)
                else:
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master "
                        "WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                        [table],
                    )
                    for name, definition in cursor.fetchall():
                        cursor.execute(f'DROP INDEX "{name}"')
                        self.saved.append(definition)

    def restore_indexes(self) -> None:
        with self.connection.cursor() as cursor:
            # Indexes first: a unique constraint then finds no index to build twice, and a foreign
            # key is validated with the referenced keys already indexed.
            for statement in sorted(self.saved, key=lambda s: s.startswith("ALTER")):
                cursor.execute(statement)
        self.saved.clear()

    def rows(self, table: str, columns: list[str], rows: Iterable[tuple]) -> int:
        count = 0
        if self.vendor == "postgresql":
            raw = self.connection.connection
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        marks = ", ".join("?" * len(columns))
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 (the bench's names)
        raw = self.connection.connection
        batch: list[tuple] = []
        for row in rows:
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) == 5000:
                raw.executemany(statement, batch)
                count += len(batch)
                batch.clear()
        raw.executemany(statement, batch)
        return count + len(batch)

    def finish(self, tables: Iterable[str]) -> None:
        with self.connection.cursor() as cursor:
            for table in tables:
                if self.vendor == "postgresql":
                    highest = f"(SELECT COALESCE(max(id), 1) FROM {table})"  # noqa: S608 (the bench's names)
                    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {highest})")
            if self.vendor == "postgresql":
                for table in tables:  # VACUUM cannot run in a transaction (a test's): ANALYZE only there
                    vacuum = "ANALYZE" if self.connection.in_atomic_block else "VACUUM (ANALYZE)"
                    cursor.execute(f"{vacuum} {table}")
                cursor.execute("ANALYZE")  # the district's tables too: a live database has their statistics


def _sqlite_value(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    return value


# --- the generated district -------------------------------------------------------------------


class District:
    """The organisation rows (created with the ORM: a few thousand) and the lookups the generator needs."""

    def __init__(self, rng: random.Random) -> None:
        from django.contrib.auth import get_user_model

        from haochaping.evaluations.models import IndicatorSet
        from haochaping.organizations.models import BusinessSystem, Staff, Unit, UnitKind, Window
        from haochaping.outreach.models import DemandCategory
        from haochaping.service_records.models import ServiceItem

        district = Unit.objects.create(code="410499", name="基准区", kind=UnitKind.DISTRICT, path="/410499/")
        self.root_path = district.path
        self.district_id = district.pk

        def children(parent: Unit, specs: list[tuple[str, str, str]]) -> list[Unit]:
            units = [Unit(code=c, name=n, kind=k, parent=parent, path=f"{parent.path}{c}/") for c, n, k in specs]
            return Unit.objects.bulk_create(units)

        (center,) = children(district, [("410499-ZX", "基准区政务服务中心", UnitKind.CENTER)])
        departments = children(
            district, [(f"410499-D{n:02d}", f"区第{n}局", UnitKind.DEPARTMENT) for n in range(1, DEPARTMENTS + 1)]
        )
        streets = children(
            district,
            [(f"410499-J{n:02d}", f"第{n}街道便民服务中心", UnitKind.STREET_CENTER) for n in range(1, STREETS + 1)],
        )
        communities: list[Unit] = []
        for index, street in enumerate(streets):
            share = COMMUNITIES // STREETS + (1 if index < COMMUNITIES % STREETS else 0)
            communities += children(
                street,
                [
                    (f"{street.code}-S{m:02d}", f"{street.name}第{m}社区", UnitKind.COMMUNITY_POINT)
                    for m in range(1, share + 1)
                ],
            )
        self.units = 2 + len(departments) + len(streets) + len(communities)

        windows: list[Window] = []
        for n in range(CENTER_WINDOWS):
            dept = departments[n % DEPARTMENTS]
            windows.append(Window(code=f"ZX-{n:04d}", name=f"中心{n}号窗口", unit=center, department=dept))
        for place, per in [(streets, STREET_WINDOWS), (communities, COMMUNITY_WINDOWS)]:
            for unit in place:
                for n in range(per):
                    windows.append(Window(code=f"{unit.code}-W{n:02d}", name=f"{unit.name}{n}号窗口", unit=unit))
        windows = Window.objects.bulk_create(windows)
        self.windows = len(windows)

        items = ServiceItem.objects.bulk_create(
            ServiceItem(code=f"1141049{n:011d}", name=f"事项{n}", item_type=rng.choice(["01", "07", "20"]),
                        department=departments[n % DEPARTMENTS], promised_days=rng.choice([None, 5, 10, 20]))
            for n in range(ITEMS)
        )  # fmt: skip
        items_of_dept: dict[int, list[int]] = {}
        for item in items:
            items_of_dept.setdefault(item.department_id, []).append(item.pk)
        self.item_dept = {item.pk: item.department_id for item in items}
        self.items = [item.pk for item in items]

        staff_rows = []
        for n in range(STAFF):
            window = windows[n % len(windows)]
            unit = window.department if window.department_id else window.unit
            staff_rows.append(Staff(staff_no=f"B{n:05d}", name=f"员工{n}", unit=unit, window=window))
        staff = Staff.objects.bulk_create(staff_rows)
        # Each staff member handles a dozen items of one department (their own, or for a street or
        # community window one department's items by turn); their window and unit never change.
        self.staff: list[tuple[int, int, int, list[int]]] = []  # (staff, window, unit, items)
        for n, member in enumerate(staff):
            window = windows[n % len(windows)]
            dept_id = window.department_id or departments[n % DEPARTMENTS].pk
            pool = items_of_dept[dept_id]
            start = rng.randrange(len(pool))
            own = [pool[(start + k) % len(pool)] for k in range(ITEMS_PER_STAFF)]
            self.staff.append((member.pk, window.pk, member.unit_id, own))
        # A staff member's share of the services: some are much busier than others.
        self.staff_weights = [rng.paretovariate(2.0) for _ in staff]

        self.systems = [
            BusinessSystem.objects.create(name=f"业务系统{n}", app_id=f"bench-{n}", secret=f"secret-{n}").pk
            for n in range(SYSTEMS)
        ]
        self.indicator_set = IndicatorSet.objects.get(is_active=True).pk
        self.operator = get_user_model().objects.create_user("bench-operator", password=None).pk
        categories = list(DemandCategory.objects.filter(parent__isnull=False).values_list("pk", "kind"))
        self.categories = categories or list(DemandCategory.objects.values_list("pk", "kind"))
        self.unit_ids = [u.pk for u in [center, *departments, *streets, *communities]]

    @classmethod
    def read(cls, root_path: str, operator: str, rng: random.Random | None = None) -> District:
        """An existing organisation (the subtree ``root_path``: a generated district, or the demo's),
        read back for the generator: its items, staff (each with a dozen items of their unit, or of
        any unit), systems, the active indicator set, the callbacks' ``operator`` (a username).
        With ``rng`` the staff members are unequally busy (as a generated district's)."""
        from django.contrib.auth import get_user_model

        from haochaping.evaluations.models import IndicatorSet
        from haochaping.organizations.models import BusinessSystem, Staff, Unit
        from haochaping.outreach.models import DemandCategory
        from haochaping.service_records.models import ServiceItem

        self = cls.__new__(cls)
        self.root_path = root_path
        self.district_id = Unit.objects.get(path=root_path).pk
        self.unit_ids = list(
            Unit.objects.filter(path__startswith=root_path).order_by("pk").values_list("pk", flat=True)
        )
        units = set(self.unit_ids)
        items = [(pk, dept) for pk, dept in ServiceItem.objects.order_by("pk").values_list("pk", "department_id")
                 if dept in units]  # fmt: skip
        self.items, self.item_dept = [pk for pk, _ in items], dict(items)
        by_dept: dict[int, list[int]] = {}
        for pk, dept in items:
            by_dept.setdefault(dept, []).append(pk)
        staff = Staff.objects.filter(unit__path__startswith=root_path).order_by("pk")
        self.staff = []
        for n, (pk, window, unit) in enumerate(staff.values_list("pk", "window_id", "unit_id")):
            pool = by_dept.get(unit) or self.items  # exactly ITEMS_PER_STAFF each (``services_pg`` indexes them)
            self.staff.append((pk, window, unit, [pool[(n + k) % len(pool)] for k in range(ITEMS_PER_STAFF)]))
        self.staff_weights = [rng.paretovariate(2.0) if rng else 1.0 for _ in self.staff]
        self.systems = list(BusinessSystem.objects.order_by("pk").values_list("pk", flat=True))
        self.indicator_set = IndicatorSet.objects.get(is_active=True).pk
        self.operator = get_user_model().objects.get(username=operator).pk
        categories = list(DemandCategory.objects.filter(parent__isnull=False).values_list("pk", "kind"))
        self.categories = categories or list(DemandCategory.objects.values_list("pk", "kind"))
        self.units, self.windows = len(self.unit_ids), len({w for _s, w, _u, _o in self.staff if w})
        return self


def _encrypted(model, field: str, value: str) -> str:
    from haochaping.core.crypto import sm4_encrypt

    return sm4_encrypt(value, context=model._meta.get_field(field).context())


class Identity:
    """A few applicants' encrypted identity columns, encrypted once and reused (never read)."""

    def __init__(self) -> None:
        from haochaping.core.crypto import blind_index
        from haochaping.core.masking import mask_name, mask_phone
        from haochaping.outreach.models import Demand
        from haochaping.service_records.models import ServiceRecord

        people = [
            ("张三丰", "410404199001011234", "13812345678"),
            ("李四", "410404198502023456", "13998765432"),
            ("王小红", "410404200003035678", "15011112222"),
            ("赵建国", "410404197704047890", "18633334444"),
        ]
        self.records = [
            (
                _encrypted(ServiceRecord, "applicant_name", name),
                _encrypted(ServiceRecord, "applicant_id_number", id_number),
                _encrypted(ServiceRecord, "applicant_phone", phone),
                mask_name(name),
                mask_phone(phone),
                blind_index("id", id_number),
                blind_index("phone", phone),
            )
            for name, id_number, phone in people
        ]
        self.demands = [
            (
                _encrypted(Demand, "contact_name", name),
                _encrypted(Demand, "contact_phone", phone),
                blind_index("phone", phone),
            )
            for name, _id, phone in people
        ]


# --- the generator ------------------------------------------------------------------------------

RECORD_COLUMNS = [
    "id", "project_no", "service_no", "stage", "item_id", "unit_id", "window_id", "staff_id", "mode",
    "applicant_kind", "applicant_name", "applicant_id_type", "applicant_id_number", "applicant_phone",
    "applicant_name_masked", "applicant_phone_masked", "id_index", "phone_index", "accepted_at", "finished_at",
    "promised_days", "system_id", "fingerprint", "created_at",
]  # fmt: skip
EVALUATION_COLUMNS = [
    "id", "record_id", "level", "commitment", "attitude", "materials", "efficiency", "trips", "mechanism",
    "integrity", "indicator_set_id", "reasons", "text", "channel", "evaluator_name", "evaluator_phone",
    "is_default", "evaluated_at", "received_at", "system_id", "client_key", "unit_id", "staff_id",
]  # fmt: skip
CASE_COLUMNS = [
    "id", "number", "evaluation_id", "unit_id", "state", "opened_at", "due_at", "original_due_at", "verified_at",
    "rectified_at", "fed_back_at", "closed_at", "warned_at", "overdue_at", "escalated_at", "escalated_to_id",
    "reopen_count",
]  # fmt: skip
TASK_COLUMNS = [
    "id", "kind", "status", "subject_key", "round", "case_id", "record_id", "demand_id", "unit_id", "phone_index",
    "due_at", "attempts", "max_attempts", "assigned_to_id", "claimed_by_id", "claimed_until", "last_outcome",
    "closed_reason", "first_contact_at", "evaluation_id", "created_at", "closed_at",
]  # fmt: skip
CALL_COLUMNS = [
    "id", "task_id", "attempt", "operator_id", "operator_label", "outcome", "satisfaction", "notes",
    "next_attempt_at", "evaluation_id", "occurred_at",
]  # fmt: skip
DEMAND_COLUMNS = [
    "id", "number", "source", "state", "category_id", "suggested_category_id", "content", "contact_name",
    "contact_phone", "phone_index", "query_code_hash", "project_no", "record_id", "evaluation_id", "system_id",
    "external_id", "intake_unit_id", "unit_id", "days", "received_at", "due_at", "assigned_at", "replied_at",
    "closed_at", "reply", "satisfaction", "warned_at", "overdue_at", "escalated_at", "escalated_to_id",
    "created_by_id",
]  # fmt: skip

LOADED_TABLES = [
    "service_records_servicerecord", "evaluations_evaluation", "rectification_rectificationcase",
    "outreach_calltask", "outreach_callrecord", "outreach_demand",
]  # fmt: skip

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


@functools.cache
def local_start(day: dt.date) -> dt.datetime:
    from django.utils import timezone

    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def day_volumes(first: dt.date, last: dt.date, total: int, *, uniform: bool = False) -> dict[dt.date, int]:
    """Services per day: weekdays busy, weekends quiet, the measured month holding MONTH_SHARE
    (``uniform``: no measured month, every weekday alike)."""
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    weight = {d: (1.0 if d.weekday() < 5 else 0.3) for d in days}
    month = [] if uniform else [d for d in days if d >= MONTH_FIRST]
    in_month = set(month)
    other = [d for d in days if d not in in_month]
    volumes: dict[dt.date, int] = {}
    for group, share in ((month, MONTH_SHARE), (other, 1 - MONTH_SHARE if month else 1.0)):
        if not group:
            continue
        budget = round(total * share)
        whole = sum(weight[d] for d in group)
        exact = {d: budget * weight[d] / whole for d in group}
        volumes.update({d: int(v) for d, v in exact.items()})
        rest = budget - sum(volumes[d] for d in group)
        for d in sorted(group, key=lambda d: exact[d] - int(exact[d]), reverse=True)[:rest]:
            volumes[d] += 1
    return volumes


class Generator:
    """Deterministic (seeded) rows of two years; each kind is written in one pass over the days."""

    def __init__(self, district: District, identity: Identity, seed: int, end: dt.datetime) -> None:
        self.d, self.identity, self.rng, self.end = district, identity, random.Random(seed), end
        self.record_id = self.evaluation_id = self.case_id = self.task_id = self.call_id = self.demand_id = 0
        self.cases: list[tuple] = []
        self.tasks: list[tuple] = []
        self.calls: list[tuple] = []

    # One service and its rating.
    def service(self, day: dt.date, rated: bool) -> tuple[tuple, tuple | None]:
        random, d = self.rng.random, self.d
        self.record_id += 1
        rid = self.record_id
        online = random() < 0.4
        if online:
            item = d.items[int(random() * len(d.items))]
            unit, window, staff = d.item_dept[item], None, None
            created = local_start(day) + dt.timedelta(seconds=int(random() * 86400))
            system = d.systems[item % len(d.systems)]
        else:
            staff, window, unit, own = d.staff[bisect.bisect(self._cum, random() * self._cum[-1])]
            item = own[int(random() * len(own))]
            created = local_start(day) + dt.timedelta(seconds=30600 + int(random() * 32400))
            system = d.systems[item % len(d.systems)] if random() < 0.8 else None
        who = self.identity.records[rid & 3]
        record = (
            rid, f"BA{rid:012d}", 1, "2", item, unit, window, staff, "online" if online else "offline",
            "1", who[0], "111", who[1], who[2], who[3], who[4], who[5], who[6], created, created,
            None, system, f"{rid:064x}", created,
        )  # fmt: skip
        if not rated:
            return record, None
        self.evaluation_id += 1
        eid = self.evaluation_id
        u = random()
        default = u < 0.01
        if default:
            level, channel, at = 5, 1, created + 15 * DAY
        else:
            v = random()  # the level: 0.6 % 非常不满意, 1.4 % 不满意, 7 % 基本满意, 13 % 满意, 78 % 非常满意
            level = 1 if v < 0.006 else 2 if v < 0.02 else 3 if v < 0.09 else 4 if v < 0.22 else 5
            w = random()
            if online:  # PC 40 %, mobile 55 %, SMS 5 %; rated a few hours later
                channel = 1 if w < 0.4 else 2 if w < 0.95 else 7
                at = created + dt.timedelta(seconds=min(7 * 86400, int(-21600 * math.log(1.0 - random()))))
            else:  # tablet 70 %, QR code 20 %, kiosk 8 %, phone 2 %
                channel = 4 if w < 0.7 else 3 if w < 0.9 else 5 if w < 0.98 else 6
                at = created + dt.timedelta(seconds=10 + int(random() * (300 if channel == 4 else 7200)))
        if at > self.end:
            at = min(self.end - dt.timedelta(seconds=1), created + dt.timedelta(seconds=60))
        bad = level <= 2
        evaluation = (
            eid, rid, level, None, level, None, None, None, None, None, d.indicator_set,
            '["A02"]' if bad else "[]", "材料反复要求补正" if bad and u < 0.5 else "", channel, "", "",
            default, at, at, system if online else None, "", unit, staff,
        )  # fmt: skip
        if bad and not default:
            self.case(eid, unit, at)
        return record, evaluation

    def continue_ids(self) -> None:
        """New rows get ids after the tables' highest (rows are added to a database that has some)."""
        from django.db.models import Max

        from haochaping.evaluations.models import Evaluation
        from haochaping.outreach.models import CallRecord, CallTask, Demand
        from haochaping.rectification.models import RectificationCase
        from haochaping.service_records.models import ServiceRecord

        self.record_id = ServiceRecord.objects.aggregate(m=Max("id"))["m"] or 0
        self.evaluation_id = Evaluation.objects.aggregate(m=Max("id"))["m"] or 0
        self.case_id = RectificationCase.objects.aggregate(m=Max("id"))["m"] or 0
        self.task_id = CallTask.objects.aggregate(m=Max("id"))["m"] or 0
        self.call_id = CallRecord.objects.aggregate(m=Max("id"))["m"] or 0
        self.demand_id = Demand.objects.aggregate(m=Max("id"))["m"] or 0

    def cases_of_bad_ratings_pg(self, after: int = 0) -> None:
        """The cases of the bad ratings the server made (``services_pg``: ids after ``after``), in rating order."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT e.id, r.unit_id, e.evaluated_at FROM evaluations_evaluation e "
                "JOIN service_records_servicerecord r ON r.id = e.record_id "
                "WHERE e.level <= 2 AND NOT e.is_default AND e.id > %s ORDER BY e.id",
                [after],
            )
            for evaluation_id, unit, at in cursor.fetchall():
                self.case(evaluation_id, unit, at)

    def prepare(self) -> None:
        """The staff members' cumulative weights (a busy member serves many more than a quiet one)."""
        total, self._cum = 0.0, []
        for w in self.d.staff_weights:
            total += w
            self._cum.append(total)

    # A bad rating's case, in the state a well-run centre leaves it at ``end``.
    def case(self, evaluation_id: int, unit: int, opened: dt.datetime) -> None:
        rng, end = self.rng, self.end
        self.case_id += 1
        cid = self.case_id
        due = opened + 5 * DAY
        original = verified = rectified = fed_back = closed = warned = overdue = escalated = escalated_to = None
        reopen = 0
        u = rng.random()
        if u < 0.05 and opened + 2 * DAY < end:
            state = "invalidated"
            closed = opened + 2 * DAY
        elif opened + 2 * DAY > end:
            state = "pending_verify" if u < 0.6 else "rectifying"
            verified = opened + HOUR if state == "rectifying" else None
        else:
            verified = opened + HOUR * rng.randrange(1, 30)
            if rng.random() < 0.08:
                original, due = due, due + 5 * DAY
            warned = due - DAY
            never = rng.random() < 0.01  # left unrectified: overdue, escalated
            rectified = None if never else opened + dt.timedelta(hours=rng.uniform(12, 156))
            if rectified is not None and rectified > end:
                rectified = None
            if rectified is None:
                state = "rectifying"
                if due < end:
                    overdue, escalated, escalated_to = due, due + DAY, self.d.district_id
            else:
                if rectified > due:
                    overdue = due
                fed_back = rectified + HOUR
                closed = fed_back + dt.timedelta(hours=rng.uniform(24, 120))
                if closed > end:
                    state, closed = "fed_back", None
                else:
                    state = "closed"
                    reopen = 1 if rng.random() < 0.03 else 0
                self.callback(cid, unit, fed_back, closed)
        self.cases.append((
            cid, f"CB{cid:010d}", evaluation_id, unit, state, opened, due, original, verified, rectified, fed_back,
            closed if state == "closed" else None, warned, overdue, escalated, escalated_to, reopen,
        ))  # fmt: skip

    def callback(self, case_id: int, unit: int, created: dt.datetime, closed: dt.datetime | None) -> None:
        self.task(
            "callback_bad_rating", f"case:{case_id}", unit, created, closed, case_id=case_id,
            satisfaction=self.rng.choices(("satisfied", "basic", "unsatisfied"), (80, 12, 8))[0],
        )  # fmt: skip

    def task(self, kind: str, subject: str, unit: int, created: dt.datetime, closed: dt.datetime | None, *,
             satisfaction: str, case_id: int | None = None, demand_id: int | None = None) -> None:  # fmt: skip
        self.task_id += 1
        tid = self.task_id
        done = closed is not None
        phone = self.identity.records[tid % len(self.identity.records)][6]
        self.tasks.append((
            tid, kind, "done" if done else "open", subject, 0, case_id, None, demand_id, unit, phone,
            created, 1 if done else 0, 3, None, None, None, "reached_rated" if done else "", "",
            closed, None, created, closed,
        ))  # fmt: skip
        if done:
            self.call_id += 1
            self.calls.append((self.call_id, tid, 1, self.d.operator, "回访员", "reached_rated", satisfaction, "",
                               None, None, closed))  # fmt: skip

    def demands(self, day: dt.date, count: int) -> Iterator[tuple]:
        rng, d, end = self.rng, self.d, self.end
        for _ in range(count):
            self.demand_id += 1
            did = self.demand_id
            received = local_start(day) + dt.timedelta(seconds=28800 + rng.randrange(36000))
            due = received + 7 * DAY
            category, kind = d.categories[rng.randrange(len(d.categories))]
            unit = d.unit_ids[rng.randrange(len(d.unit_ids))]
            assigned = replied = closed = overdue = None
            satisfaction = ""
            if rng.random() < 0.05 and received + DAY < end:
                state, closed = "invalid", received + DAY
            else:
                assigned = received + HOUR
                replied = received + dt.timedelta(hours=rng.uniform(4, 216))
                if replied > end:
                    replied = None
                    state = "assigned"
                    overdue = due if due < end else None
                else:
                    overdue = due if replied > due else None
                    closed = replied + 2 * DAY
                    if closed > end:
                        state, closed = "replied", None
                    else:
                        state = "closed"
                        satisfaction = rng.choices(("satisfied", "basic", "unsatisfied", ""), (70, 15, 8, 7))[0]
                    if kind == "complaint":
                        self.task("callback_complaint", f"demand:{did}", unit, replied, closed, demand_id=did,
                                  satisfaction=satisfaction or "unknown")  # fmt: skip
            name, phone, index = self.identity.demands[did % len(self.identity.demands)]
            yield (
                did, f"SQ{did:010d}", rng.choice(("portal", "phone", "rating", "api")), state, category, None,
                "办理进度查询与材料咨询", name, phone, index, "", "", None, None, None, "", unit, unit, 5, received,
                due, assigned, replied, closed, "已答复" if replied else "", satisfaction, None, overdue, None, None,
                None,
            )  # fmt: skip


def generate(
    ratings: int,
    seed: int = 20261206,
    *,
    existing: Callable[[random.Random], District] | None = None,
    first: dt.date = FIRST_DAY,
    last: dt.date = LAST_DAY,
    uniform: bool = False,
) -> dict[str, int]:
    """Write the district and two years of rows (``first`` … ``last``); returns the row counts.

    ``existing``: the rows go to an organisation already in the database (``District.read``, e.g.
    the demo's), after the rows it has; else a district is generated. ``uniform``: no measured month.
    """
    from django.db import connection, transaction

    started = time.perf_counter()
    rng = random.Random(seed)
    end = local_start(last + DAY)
    records_total = round(ratings * RECORDS_PER_RATING)
    volumes = day_volumes(first, last, records_total, uniform=uniform)
    writer = Writer()
    with transaction.atomic():
        district = existing(rng) if existing else District(rng)
        identity = Identity()
        generator = Generator(district, identity, seed, end)
        generator.prepare()
        generator.continue_ids()
        after = generator.evaluation_id
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the district's rows, before ALTER TABLE
        writer.drop_indexes(LOADED_TABLES)
        log(f"  district: {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        if connection.vendor == "postgresql":
            counts = services_pg(generator, volumes, end)
            log(f"  records and ratings: {time.perf_counter() - started:.0f} s")
            generator.cases_of_bad_ratings_pg(after)
        else:
            counts = services_python(generator, writer, volumes, ratings)
            log(f"  records, ratings and cases: {time.perf_counter() - started:.0f} s")
        demands_per_day = max(1, ratings // 200 // len(volumes))
        demand_rows = [row for day in sorted(volumes) for row in generator.demands(day, demands_per_day)]
        counts["cases"] = writer.rows("rectification_rectificationcase", CASE_COLUMNS, generator.cases)
        counts["demands"] = writer.rows("outreach_demand", DEMAND_COLUMNS, demand_rows)
        counts["call tasks"] = writer.rows("outreach_calltask", TASK_COLUMNS, generator.tasks)
        counts["calls"] = writer.rows("outreach_callrecord", CALL_COLUMNS, generator.calls)
        started = time.perf_counter()
        writer.restore_indexes()
        log(f"  indexes and constraints created and checked in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    writer.finish(LOADED_TABLES)
    if connection.vendor == "postgresql":
        log(f"  sequences set, VACUUM ANALYZE in {time.perf_counter() - started:.0f} s")
    counts["units"], counts["windows"], counts["staff"] = district.units, district.windows, len(district.staff)
    counts["items"] = len(district.items)
    return counts


def services_python(generator: Generator, writer: Writer, volumes: dict[dt.date, int], ratings: int) -> dict[str, int]:
    """Records and ratings made in Python (``Generator.service``), written in batches (SQLite)."""
    if True:
        first_rating = generator.evaluation_id
        records_total = sum(volumes.values())
        # Exactly ``ratings`` of the records are rated, spread evenly (every sixth is not).
        unrated_every = records_total / max(1, records_total - ratings)
        evaluations: list[tuple] = []
        state = {"n": 0, "next_unrated": unrated_every}

        def records() -> Iterator[tuple]:
            for day in sorted(volumes):
                for _ in range(volumes[day]):
                    state["n"] += 1
                    rated = True
                    if records_total > ratings and state["n"] >= state["next_unrated"]:
                        rated = False
                        state["next_unrated"] += unrated_every
                    record, evaluation = generator.service(day, rated)
                    if evaluation is not None:
                        evaluations.append(evaluation)
                    yield record

        # Records and their ratings are written in batches of 100,000 records (the foreign keys are
        # dropped during the load and checked when they are created again).
        count_records = 0
        pending: list[tuple] = []
        for record in records():
            pending.append(record)
            if len(pending) >= 100000:
                count_records += writer.rows("service_records_servicerecord", RECORD_COLUMNS, pending)
                pending.clear()
                _flush_evaluations(writer, evaluations)
        count_records += writer.rows("service_records_servicerecord", RECORD_COLUMNS, pending)
        _flush_evaluations(writer, evaluations)
        return {"service records": count_records, "ratings": generator.evaluation_id - first_rating}


# PostgreSQL: the records and ratings are made by the server (INSERT … SELECT over generate_series,
# a month per statement), with the same mix as ``Generator.service``: u(id, k) is the id's k-th
# uniform number (a hash of the id), the staff member is drawn from weighted slots, every sixth
# record is not rated (rating id = record id − record id / 6).
PG_UNIFORM = """
CREATE OR REPLACE FUNCTION pg_temp.u(g bigint, k int) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ((hashint8extended(g, k) >> 11) & 9007199254740991)::float8 / 9007199254740992.0 $$
"""
PG_SERVICES = """
WITH base AS (
  SELECT g, d.day::timestamp AT TIME ZONE %(tz)s AS day_start, pg_temp.u(g, 1) < 0.4 AS online,
         (%(slots)s::int[])[1 + floor(pg_temp.u(g, 2) * %(n_slots)s)::int] AS s,
         1 + floor(pg_temp.u(g, 3) * %(n_items)s)::int AS i, pg_temp.u(g, 3) AS u3, pg_temp.u(g, 4) AS u4,
         pg_temp.u(g, 5) AS u5, 1 + (g & 3) AS who
  FROM unnest(%(days)s::date[], %(firsts)s::bigint[], %(lasts)s::bigint[]) AS d(day, first_id, last_id),
       generate_series(d.first_id, d.last_id) AS g
), placed AS (
  SELECT g, online, who, u5,
         CASE WHEN online THEN (%(items)s::int[])[i]
              ELSE (%(staff_items)s::int[])[s * %(per_staff)s + 1 + floor(u3 * %(per_staff)s)::int] END AS item,
         CASE WHEN online THEN (%(item_units)s::int[])[i] ELSE (%(staff_units)s::int[])[s + 1] END AS unit,
         CASE WHEN NOT online THEN (%(staff_windows)s::int[])[s + 1] END AS win,
         CASE WHEN NOT online THEN (%(staff_ids)s::int[])[s + 1] END AS staff,
         day_start + make_interval(secs => CASE WHEN online THEN floor(u4 * 86400)
                                                ELSE 30600 + floor(u4 * 32400) END) AS created
  FROM base
), records AS (
  INSERT INTO service_records_servicerecord (%(record_columns)s)
  SELECT g, 'BA' || lpad(g::text, 12, '0'), 1, '2', item, unit, win, staff,
         CASE WHEN online THEN 'online' ELSE 'offline' END, '1', (%(names)s::text[])[who], '111',
         (%(id_numbers)s::text[])[who], (%(phones)s::text[])[who], (%(names_masked)s::text[])[who],
         (%(phones_masked)s::text[])[who], (%(id_indexes)s::text[])[who], (%(phone_indexes)s::text[])[who],
         created, created, NULL,
         CASE WHEN online OR u5 < 0.8 THEN (%(systems)s::int[])[1 + item %% %(n_systems)s] END,
         lpad(to_hex(g), 64, '0'), created
  FROM placed
  RETURNING id, created_at, mode = 'online' AS online, system_id, unit_id, staff_id
)
INSERT INTO evaluations_evaluation (%(evaluation_columns)s)
SELECT id - id / 6, id, level, NULL, level, NULL, NULL, NULL, NULL, NULL, %(indicator_set)s,
       CASE WHEN level <= 2 THEN '["A02"]' ELSE '[]' END::jsonb,
       CASE WHEN level <= 2 AND u < 0.5 THEN '材料反复要求补正' ELSE '' END, channel, '', '', u < 0.01,
       CASE WHEN at > %(end)s THEN least(%(end)s - interval '1 second', created_at + interval '60 seconds') ELSE at END,
       CASE WHEN at > %(end)s THEN least(%(end)s - interval '1 second', created_at + interval '60 seconds') ELSE at END,
       CASE WHEN online THEN system_id END, '', unit_id, staff_id
FROM (SELECT r.*, c.channel,
             CASE WHEN u < 0.01 THEN created_at + interval '15 days'
                  WHEN online THEN created_at + make_interval(secs => least(604800, floor(-21600 * ln(1 - x))))
                  ELSE created_at + make_interval(secs => 10 + floor(x * CASE WHEN c.channel = 4 THEN 300
                                                                                        ELSE 7200 END))
             END AS at
      FROM (SELECT records.*, pg_temp.u(id, 6) AS u, pg_temp.u(id, 7) AS v, pg_temp.u(id, 8) AS w,
                   pg_temp.u(id, 9) AS x,
                   CASE WHEN pg_temp.u(id, 6) < 0.01 THEN 5 WHEN pg_temp.u(id, 7) < 0.006 THEN 1
                        WHEN pg_temp.u(id, 7) < 0.02 THEN 2 WHEN pg_temp.u(id, 7) < 0.09 THEN 3
                        WHEN pg_temp.u(id, 7) < 0.22 THEN 4 ELSE 5 END AS level
            FROM records WHERE id %% 6 <> 0) r,
           LATERAL (SELECT CASE WHEN u < 0.01 THEN 1
                                WHEN online THEN CASE WHEN w < 0.4 THEN 1 WHEN w < 0.95 THEN 2 ELSE 7 END
                                ELSE CASE WHEN w < 0.7 THEN 4 WHEN w < 0.9 THEN 3 WHEN w < 0.98 THEN 5 ELSE 6 END
                           END AS channel) c) e
"""


def services_pg(generator: Generator, volumes: dict[dt.date, int], end: dt.datetime) -> dict[str, int]:
    from django.db import connection
    from django.utils import timezone

    d, identity = generator.d, generator.identity
    total = sum(d.staff_weights)
    slots = [s for s, w in enumerate(d.staff_weights) for _ in range(max(1, round(w / total * 100_000)))]
    people = list(zip(*identity.records, strict=True))
    params: dict[str, object] = {
        "tz": str(timezone.get_current_timezone()), "slots": slots, "n_slots": len(slots), "n_items": len(d.items),
        "items": d.items, "item_units": [d.item_dept[i] for i in d.items], "per_staff": ITEMS_PER_STAFF,
        "staff_items": [item for _s, _w, _u, own in d.staff for item in own[:ITEMS_PER_STAFF]],
        "staff_units": [u for _s, _w, u, _o in d.staff], "staff_windows": [w for _s, w, _u, _o in d.staff],
        "staff_ids": [s for s, _w, _u, _o in d.staff], "systems": d.systems, "n_systems": len(d.systems),
        "indicator_set": d.indicator_set,
        "names": list(people[0]), "id_numbers": list(people[1]), "phones": list(people[2]),
        "names_masked": list(people[3]), "phones_masked": list(people[4]), "id_indexes": list(people[5]),
        "phone_indexes": list(people[6]), "end": end,
    }  # fmt: skip
    statement = PG_SERVICES.replace("%(record_columns)s", ", ".join(RECORD_COLUMNS))
    statement = statement.replace("%(evaluation_columns)s", ", ".join(EVALUATION_COLUMNS))
    months: dict[tuple[int, int], list[dt.date]] = {}
    for day in sorted(volumes):
        months.setdefault((day.year, day.month), []).append(day)
    # After the rows already there: a rating's id is its record's id − record id / 6, above the highest.
    first_id = 1
    if generator.record_id or generator.evaluation_id:
        first_id = max(generator.record_id, generator.evaluation_id + generator.evaluation_id // 5 + 6) + 1
    before = first_id - 1
    with connection.cursor() as cursor:
        cursor.execute(PG_UNIFORM)
        for days in months.values():
            firsts, lasts = [], []
            for day in days:
                firsts.append(first_id)
                first_id += volumes[day]
                lasts.append(first_id - 1)
            cursor.execute(statement, {**params, "days": days, "firsts": firsts, "lasts": lasts})
    last_id = first_id - 1
    generator.record_id, generator.evaluation_id = last_id, last_id - last_id // 6
    ratings = generator.evaluation_id - (before - before // 6)
    return {"service records": last_id - before, "ratings": ratings}


def _flush_evaluations(writer: Writer, evaluations: list[tuple]) -> None:
    if evaluations:
        writer.rows("evaluations_evaluation", EVALUATION_COLUMNS, evaluations)
        evaluations.clear()


# --- the same answers from the raw rows -------------------------------------------------------


def _between(field: str, period) -> Any:
    from django.db.models import Q

    return Q(**{f"{field}__gte": local_start(period.first), f"{field}__lt": local_start(period.last + DAY)})


def raw_tables(root: str) -> list[tuple[Any, str, str, dict[str, Any]]]:
    """(raw rows of the scope, time field, unit field, {Counts field: aggregate}) for every rollup
    table, each exactly as ``analytics.rollups`` counts it (and ``kpis`` sums it)."""
    from django.db.models import Count, F, Q

    from haochaping.evaluations.models import Evaluation
    from haochaping.outreach.choices import (
        CALLBACK_KINDS,
        CALLBACK_SATISFACTION,
        DemandState,
        Satisfaction,
        TaskKind,
        TaskStatus,
    )
    from haochaping.outreach.models import CallRecord, CallTask, Demand
    from haochaping.rectification.models import DEADLINE_STATES, CaseState, RectificationCase
    from haochaping.service_records.models import ServiceRecord

    invalid = Q(case__state=CaseState.INVALIDATED)
    ratings = {"ratings": Count("id"), "invalid": Count("id", filter=invalid),
               "default": Count("id", filter=Q(is_default=True))}  # fmt: skip
    for level in (5, 4, 3, 2, 1):
        ratings[f"level_{level}"] = Count("id", filter=Q(level=level) & ~invalid)
    valid = ~Q(state=CaseState.INVALIDATED)
    rectified = valid & Q(rectified_at__isnull=False)
    overdue_open = valid & Q(rectified_at__isnull=True, overdue_at__isnull=False, state__in=DEADLINE_STATES)
    cases = {
        "cases": Count("id"),
        "invalidated": Count("id", filter=Q(state=CaseState.INVALIDATED)),
        "rectified": Count("id", filter=rectified),
        "due": Count("id", filter=rectified | overdue_open),
        "on_time": Count("id", filter=rectified & Q(rectified_at__lte=F("due_at"))),
        "overdue_open": Count("id", filter=overdue_open),
        "escalated": Count("id", filter=valid & Q(escalated_at__isnull=False)),
        "extended": Count("id", filter=valid & Q(original_due_at__isnull=False)),
        "reopened": Count("id", filter=valid & Q(reopen_count__gt=0)),
        "closed": Count("id", filter=Q(state=CaseState.CLOSED)),
    }
    good = [Satisfaction.SATISFIED, Satisfaction.BASIC]
    d_valid = ~Q(state=DemandState.INVALID)
    replied = d_valid & Q(replied_at__isnull=False)
    late = (replied & Q(replied_at__gt=F("due_at"))) | (d_valid & Q(replied_at__isnull=True, overdue_at__isnull=False))
    demands = {
        "demands": Count("id"),
        "demands_invalid": Count("id", filter=Q(state=DemandState.INVALID)),
        "demands_replied": Count("id", filter=replied),
        "demands_on_time": Count("id", filter=replied & Q(replied_at__lte=F("due_at"))),
        "demands_late": Count("id", filter=late),
        "demands_satisfied": Count("id", filter=d_valid & Q(satisfaction__in=good)),
        "demands_unsatisfied": Count("id", filter=d_valid & Q(satisfaction=Satisfaction.UNSATISFIED)),
    }
    return [
        (ServiceRecord.objects.filter(unit__path__startswith=root), "created_at", "unit_id",
         {"services": Count("id"), "rated": Count("evaluation"),
          "rated_active": Count("evaluation", filter=Q(evaluation__is_default=False))}),
        (Evaluation.objects.filter(record__unit__path__startswith=root), "evaluated_at", "record__unit_id", ratings),
        (RectificationCase.objects.filter(evaluation__isnull=False, unit__path__startswith=root), "opened_at",
         "unit_id", cases),
        (CallTask.objects.filter(kind__in=CALLBACK_KINDS, unit__path__startswith=root), "created_at", "unit_id",
         {"callbacks_required": Count("id"), "callbacks_done": Count("id", filter=Q(status=TaskStatus.DONE))}),
        (CallRecord.objects.filter(task__kind=TaskKind.CALLBACK_BAD_RATING, satisfaction__in=CALLBACK_SATISFACTION,
                                   task__unit__path__startswith=root), "task__created_at", "task__unit_id",
         {"rectify_satisfied": Count("id", filter=Q(satisfaction__in=good)),
          "rectify_unsatisfied": Count("id", filter=Q(satisfaction=Satisfaction.UNSATISFIED))}),
        (Demand.objects.filter(unit__path__startswith=root), "received_at", "unit_id", demands),
    ]  # fmt: skip


def raw_counts(root: str, periods: list) -> list:
    """``kpis.counts(Slice(root), periods)`` from the raw rows: one query per table for all periods
    (the same shape: the periods' rows only, grouped by which period they fall in)."""
    from functools import reduce
    from operator import or_

    from django.db.models import Case, IntegerField, Value, When

    from haochaping.analytics.kpis import Counts

    results = [Counts() for _ in periods]
    for qs, time_field, _unit, aggregates in raw_tables(root):
        which = Case(*(When(_between(time_field, p), then=Value(i)) for i, p in enumerate(periods)),
                     output_field=IntegerField())  # fmt: skip
        anywhere = reduce(or_, (_between(time_field, p) for p in periods))
        rows = qs.filter(anywhere).annotate(k_period=which).values("k_period").annotate(**aggregates).order_by()
        for row in rows:
            target = results[row.pop("k_period")]
            for name, value in row.items():
                setattr(target, name, value or 0)
    return results


def raw_by_unit(root: str, period) -> dict:
    """``kpis.counts_by(Slice(root), period, "unit")`` from the raw rows (GROUP BY unit)."""
    from django.db.models import F

    from haochaping.analytics.kpis import Counts

    results: dict = {}
    for qs, time_field, unit_field, aggregates in raw_tables(root):
        rows = qs.filter(_between(time_field, period)).values(g_unit=F(unit_field)).annotate(**aggregates).order_by()
        for row in rows:
            target = results.setdefault(row.pop("g_unit"), Counts())
            for name, value in row.items():
                setattr(target, name, value or 0)
    return results


# --- measuring --------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], runs: int) -> tuple[Any, float, float]:
    """(answer, cold s: first run on a new connection, warm s: median of ``runs`` after a warm-up)."""
    from django.db import connection

    connection.close()
    started = time.perf_counter()
    answer = fn()
    cold = time.perf_counter() - started
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return answer, cold, statistics.median(times)


def differences(a: Any, b: Any, limit: int = 5) -> list[str]:
    out: list[str] = []
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{len(a)} rows against {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            out += [f"[{i}] {d}" for d in differences(x, y, limit)]
    elif isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key) != b.get(key):
                out.append(f"{key}: rollups {a.get(key)!r}, raw {b.get(key)!r}")
    elif a != b:
        out.append(f"rollups {a!r}, raw {b!r}")
    return out[:limit]


def refresh_after_new_ratings(count: int) -> tuple[float, Any]:
    """``rollup_refresh()`` after ``count`` new ratings of today; everything rolled back after."""
    from django.db import connection, transaction
    from django.utils import timezone

    from haochaping.analytics.rollups import rollup_refresh

    now = timezone.now()
    with transaction.atomic():
        district = District.read("/410499/", operator="bench-operator")  # the generated district, read back
        generator = Generator(district, Identity(), seed=len(str(now)), end=now + 2 * DAY)
        generator.prepare()
        generator.continue_ids()
        pairs = [generator.service(timezone.localdate(), True) for _ in range(count)]
        writer = Writer()
        writer.rows("service_records_servicerecord", RECORD_COLUMNS, [r for r, _ in pairs])
        writer.rows("evaluations_evaluation", EVALUATION_COLUMNS, [e for _, e in pairs if e])
        writer.rows("rectification_rectificationcase", CASE_COLUMNS, generator.cases)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the new rows are checked, not deferred
        started = time.perf_counter()
        result = rollup_refresh(now=now)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed, result


def resident_memory() -> int:
    """This process's resident memory in bytes (``/proc/self/statm``)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def with_peak_memory(fn: Callable[[], Any]) -> tuple[Any, float, int]:
    """(``fn()``'s answer, seconds, peak growth of resident memory in bytes, sampled every 50 ms)."""
    base, peak, done = resident_memory(), [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], resident_memory())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        answer = fn()
    finally:
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
    return answer, elapsed, max(peak[0], resident_memory()) - base


def monthly_report(root: str, period) -> str:
    """The monthly 通报 of ``period`` for the subtree (``analytics.services.report_generate``:
    snapshot, Word, Excel appendix, charts), timed with the process's resident memory sampled
    every 50 ms."""
    from haochaping.analytics.services import report_generate
    from haochaping.audit.services import Actor
    from haochaping.organizations.models import Unit

    unit = Unit.objects.get(path=root)
    report, elapsed, growth = with_peak_memory(
        lambda: report_generate(unit=unit, period=period, actor=Actor.cli("bench"))
    )
    size = report.docx.size + report.xlsx.size
    verdict = "ok" if elapsed < TARGET_REPORT_S else "over target"
    return (f"{elapsed:.1f} s (target < {TARGET_REPORT_S} s: {verdict}), Word + Excel {size / 1024:.0f} KiB, "
            f"resident memory +{growth / 2**20:.0f} MiB")  # fmt: skip


def rollup_rows() -> dict[str, int]:
    from haochaping.analytics.rollups import ROLLUP_MODELS

    models = dict(ROLLUP_MODELS)
    try:
        from haochaping.analytics.rollups import UNIT_MODELS  # the unit-day totals, when present
    except ImportError:
        UNIT_MODELS = {}
    models.update({f"{name} (unit totals)": model for name, model in UNIT_MODELS.items()})
    return {f"{name} ({model.__name__})": model.objects.count() for name, model in models.items()}


# --- main ---------------------------------------------------------------------------------------


def check_disk(db: str, ratings: int) -> None:
    import shutil

    need = ratings * (1600 if db == "postgres" else 1300)  # bytes per rating, measured at 200,000
    path = "/var/lib/postgresql" if db == "postgres" and Path("/var/lib/postgresql").exists() else str(ROOT)
    free = shutil.disk_usage(path).free
    log(f"disk: {free / 2**30:.0f} GiB free under {path}, about {need / 2**30:.1f} GiB needed")
    if free < need * 1.3:
        sys.exit(f"not enough disk space for {ratings:,} ratings: {free / 2**30:.0f} GiB free")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("postgres", "sqlite"), default=os.environ.get("BENCH_DB", "postgres"))
    parser.add_argument(
        "--ratings", type=int, help="ratings to generate (default: PostgreSQL 10 million, SQLite 1 million)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="reuse the database a previous run generated, if it has as many ratings"
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="with --keep: rebuild the rollups even if they were built"
    )
    parser.add_argument("--runs", type=int, default=5, help="warm runs of each query (median)")
    parser.add_argument(
        "--report", action="store_true", help="also time the monthly report (when there is a generator)"
    )
    parser.add_argument("--drop", action="store_true", help="drop the generated database at the end")
    parser.add_argument(
        "--month-share", type=float, default=MONTH_SHARE, help="share of all ratings in the measured month 2026-11"
    )
    options = parser.parse_args()
    if not 0 < options.month_share < 1:
        parser.error("--month-share must be between 0 and 1")
    globals()["MONTH_SHARE"] = options.month_share
    ratings = options.ratings or (10_000_000 if options.db == "postgres" else 1_000_000)

    os.environ.update(
        DATABASE_URL=database_url(options.db), HAOCHAPING_DEMO="1", HAOCHAPING_LOG_LEVEL="ERROR",
        DJANGO_SETTINGS_MODULE="haochaping.settings",
    )  # fmt: skip
    import django

    django.setup()
    from django.core.management import call_command

    from haochaping.analytics.kpis import Slice, counts, counts_by, roll_up
    from haochaping.analytics.periods import Period
    from haochaping.analytics.rollups import rollup_rebuild

    log(f"analytics benchmark: {options.db}, {ratings:,} ratings, {os.cpu_count()} cores")
    meta = meta_get() if options.keep and database_exists(options.db) else {}
    fresh = (meta.get("ratings") != str(ratings) or meta.get("version") != GENERATOR_VERSION
             or float(meta.get("month_share", 0.10)) != MONTH_SHARE)  # fmt: skip
    if fresh:
        if options.keep:
            log("--keep: no generated database with as many ratings: generating")
        check_disk(options.db, ratings)
        database_create(options.db)
        call_command("migrate", verbosity=0, interactive=False)
        log("generating two years of rows ...")
        started = time.perf_counter()
        rows = generate(ratings)
        generation = time.perf_counter() - started
        meta_set(ratings=ratings, version=GENERATOR_VERSION, generation=f"{generation:.0f}", month_share=MONTH_SHARE,
                 rows=";".join(f"{k}={v}" for k, v in rows.items()))  # fmt: skip
    else:
        call_command("migrate", verbosity=0, interactive=False)
        generation = float(meta["generation"])
        rows = {k: int(v) for k, v in (part.split("=") for part in meta["rows"].split(";"))}
    reused = "" if fresh else " (the generating run's; --keep)"
    log(f"generation: {generation:.0f} s{reused}; " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    log(f"database size: {database_size()}")

    from haochaping.analytics.migrations import __path__ as migrations_path

    schema = max(p.stem for p in Path(migrations_path[0]).glob("0*.py"))
    if fresh or options.rebuild or meta.get("rollups") != schema:
        log("rollup_rebuild() ...")
        started = time.perf_counter()
        result = rollup_rebuild()
        rebuild = time.perf_counter() - started
        meta_set(rollups=schema, rebuild=f"{rebuild:.0f}")
        rebuilt = f"{rebuild:.0f} s"
        log(f"rollup_rebuild(): {rebuilt} ({result.days} days, {result.rows:,} rollup rows)")
    else:
        rebuilt = f"{meta['rebuild']} s (the run that built them; --rebuild)"
        log(f"rollup_rebuild(): {rebuilt}")
    for name, n in rollup_rows().items():
        log(f"  {name:<40} {n:>12,} rows")

    root = "/410499/"
    month = Period.of("month", MONTH_FIRST)
    periods = [month, month.previous(), month.year_earlier()]
    from haochaping.analytics.models import RatingDay
    from haochaping.evaluations.models import Evaluation

    in_month = RatingDay.objects.filter(day__gte=month.first, day__lte=month.last)
    month_ratings = Evaluation.objects.filter(_between("evaluated_at", month)).count()
    log(f"{month.label}: {month_ratings:,} ratings, {in_month.count():,} RatingDay rows")

    def overview() -> list:
        return [asdict(c) for c in counts(Slice(root), periods)]

    def overview_raw() -> list:
        return [asdict(c) for c in raw_counts(root, periods)]

    def ranking_rows(by_unit: dict) -> list:
        return [(row.unit.path, row.depth, asdict(row.counts)) for row in roll_up(root, by_unit)]

    def ranking() -> list:
        return ranking_rows(counts_by(Slice(root), month, "unit"))

    def ranking_raw() -> list:
        return ranking_rows(raw_by_unit(root, month))

    figures = []
    for name, fast, slow in (("overview", overview, overview_raw), ("ranking by unit", ranking, ranking_raw)):
        log(f"timing {name} ...")
        answer, fast_cold, fast_warm = timed(fast, options.runs)
        expected, slow_cold, slow_warm = timed(slow, options.runs)
        figures.append((name, answer, expected, fast_cold, fast_warm, slow_cold, slow_warm))

    log("rollup_refresh() after 1,000 new ratings ...")
    refresh, refreshed = refresh_after_new_ratings(1000)

    print()
    print(f"{options.db}, {ratings:,} ratings ({month_ratings:,} in {month.label}), {os.cpu_count()} cores, "
          f"{dt.date.today():%Y-%m-%d}")  # fmt: skip
    print(f"{'query':<34} {'rollups ms':>11} {'raw ms':>11} {'ratio':>8}  target")
    for name, _a, _e, fast_cold, fast_warm, slow_cold, slow_warm in figures:
        target = f"ratio ≥ {TARGET_RATIO}" + (f", rollups < {TARGET_OVERVIEW_MS} ms" if name == "overview" else "")
        for kind, fast_t, slow_t in (("warm", fast_warm, slow_warm), ("cold", fast_cold, slow_cold)):
            label = f"{name} ({kind})"
            print(f"{label:<34} {fast_t * 1000:>11,.1f} {slow_t * 1000:>11,.1f} {slow_t / fast_t:>7,.0f}×  {target}")
    for name, answer, expected, *_ in figures:
        diff = differences(answer, expected)
        print(f"{name}: {'EQUAL' if not diff else 'DIFFERENT'}" + "".join(f"\n    {d}" for d in diff))
    print(f"rollup_refresh() after 1,000 new ratings: {refresh * 1000:,.0f} ms "
          f"({refreshed.partitions} partitions, {refreshed.rows:,} rows)")  # fmt: skip
    print(f"generation {generation:.0f} s{reused}, rollup_rebuild() {rebuilt}")
    if options.report:
        print(f"monthly report {month.label}: {monthly_report(root, month)}")
    else:
        print("monthly report: not timed (--report)")
    if options.drop:
        database_drop(options.db)
        print("database dropped (--drop)")
    else:
        print(f"database kept: rerun with --keep (--drop to remove it); {database_size()}")


if __name__ == "__main__":
    main()
