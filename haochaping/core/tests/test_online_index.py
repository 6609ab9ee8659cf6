"""The migrations of a clerk's (staff, unit, time) indexes (``service_records/0006``,
``evaluations/0008``) go back and forth on both databases; on PostgreSQL they build and drop
their indexes concurrently (``core.db.operations``: rating intake goes on meanwhile) and a
build that an earlier, cancelled upgrade left invalid is built again, not a failure."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection

from haochaping.testing_world import push, rate

RECORDS = "service_records_servicerecord"
RATINGS = "evaluations_evaluation"
POSTGRES = connection.vendor == "postgresql"


def _indexes(table: str) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {name: spec["columns"] for name, spec in found.items() if spec["index"]}


def _invalid() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE NOT i.indisvalid"
        )
        return {name for (name,) in cursor.fetchall()}


def _statistics() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT stxname FROM pg_statistic_ext")
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_the_clerk_index_migrations_go_back_and_forth(cast):
    for n in range(3):  # the same clerk's services: a unique index on the staff member fails
        rate(push(cast, f"ONLINE-{n}"), 5)
    try:
        call_command("migrate", "service_records", "0005_record_finished_idx", verbosity=0)
        call_command("migrate", "evaluations", "0007_rating_unit_staff", verbosity=0)
        records, ratings = _indexes(RECORDS), _indexes(RATINGS)
        assert records["record_staff_created_idx"] == ["staff_id", "created_at"]
        assert ratings["evaluation_staff_time_idx"] == ["staff_id", "evaluated_at"]
        assert "record_staff_unit_created_idx" not in records and "evaluation_staff_unit_time_idx" not in ratings
        if POSTGRES:
            assert not {"record_staff_unit_stats", "evaluation_staff_unit_stats"} & _statistics()
            # An upgrade cancelled during the concurrent build leaves the index behind, invalid.
            with pytest.raises(IntegrityError), connection.cursor() as cursor:
                cursor.execute(
                    f"CREATE UNIQUE INDEX CONCURRENTLY record_staff_unit_created_idx ON {RECORDS} (staff_id)"
                )
            assert "record_staff_unit_created_idx" in _invalid()
    finally:
        call_command("migrate", verbosity=0)
    records, ratings = _indexes(RECORDS), _indexes(RATINGS)
    assert records["record_staff_unit_created_idx"] == ["staff_id", "unit_id", "created_at"]
    assert ratings["evaluation_staff_unit_time_idx"] == ["staff_id", "unit_id", "evaluated_at"]
    assert "record_staff_created_idx" not in records and "evaluation_staff_time_idx" not in ratings
    if POSTGRES:
        assert not _invalid()
        assert {"record_staff_unit_stats", "evaluation_staff_unit_stats"} <= _statistics()


@pytest.mark.skipif(not POSTGRES, reason="concurrent index builds are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_the_index_is_built_concurrently_on_postgresql(cast):
    """The statements the migration runs: CREATE / DROP INDEX CONCURRENTLY, which take no lock
    that makes an INSERT wait."""
    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    try:
        call_command("migrate", "service_records", "0005_record_finished_idx", verbosity=0)
        with connection.execute_wrapper(record):
            call_command("migrate", "service_records", verbosity=0)
    finally:
        call_command("migrate", verbosity=0)
    ddl = [s for s in statements if "INDEX" in s.upper() and s.upper().startswith(("CREATE", "DROP"))]
    assert ddl and all("CONCURRENTLY" in s.upper() for s in ddl), ddl


# Tables that grow with every rating or service: an index on them is built without stopping
# intake. The migrations before the rule (built with a plain CREATE INDEX) stay as they ran.
LARGE = {
    ("service_records", "servicerecord"),
    ("evaluations", "evaluation"),
    ("rectification", "rectificationcase"),
    ("outreach", "calltask"),
    ("notifications", "notification"),
    ("audit", "auditevent"),
    ("analytics", "ratingday"),
    ("analytics", "serviceday"),
}
BEFORE_THE_RULE = {
    ("analytics", "0006_staff_day_indexes"),
    ("analytics", "0007_rollup_page_indexes"),
    ("analytics", "0008_rating_cover_index"),
    ("evaluations", "0005_list_filter_indexes"),
    ("evaluations", "0006_suggestion_text_index"),
    ("evaluations", "0007_rating_unit_staff"),
    ("notifications", "0007_notification_thread"),
    ("outreach", "0001_call_lists_and_demands"),
    ("rectification", "0003_case_state_due_index"),
    ("service_records", "0004_list_filter_indexes"),
    ("service_records", "0005_record_finished_idx"),
}


def test_indexes_on_the_large_tables_are_built_online():
    """A new migration adding or dropping an index on a table that grows with intake uses
    ``core.db.operations.AddIndexOnline`` / ``RemoveIndexOnline`` and ``atomic = False``."""
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations import AddIndex, RemoveIndex

    from haochaping.core.db.operations import AddIndexOnline, RemoveIndexOnline

    offending, atomic = [], []
    for (app, name), migration in MigrationLoader(None, ignore_no_migrations=True).disk_migrations.items():
        for operation in migration.operations:
            if isinstance(operation, AddIndexOnline | RemoveIndexOnline) and migration.atomic:
                atomic.append(f"{app}.{name}")
            plain = type(operation) in (AddIndex, RemoveIndex)
            if plain and (app, operation.model_name_lower) in LARGE and (app, name) not in BEFORE_THE_RULE:
                offending.append(f"{app}.{name}: {operation.describe()}")
    assert not offending, f"use AddIndexOnline / RemoveIndexOnline (core.db.operations): {offending}"
    assert not atomic, f"set atomic = False on {atomic}"
