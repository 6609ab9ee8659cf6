"""Database triggers that refuse UPDATE and DELETE on append-only tables.

They are (re)created after every ``migrate`` (post_migrate), idempotently, on SQLite and
PostgreSQL. The app's models refuse the same in Python; the triggers also stop raw SQL.
"""

from __future__ import annotations

from django.db import connections

PROTECTED_TABLES = ("audit_auditevent", "evaluations_evaluation")


def ensure_triggers(using: str = "default") -> None:
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                """
                CREATE OR REPLACE FUNCTION haochaping_append_only() RETURNS trigger AS $$
                BEGIN
                  RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP;
                END; $$ LANGUAGE plpgsql
                """
            )
        for table in PROTECTED_TABLES:
            if table not in existing:
                continue
            if connection.vendor == "sqlite":
                for op in ("UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                        f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: {op} refused'); END"
                    )
            elif connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION haochaping_append_only()"
                )


def drop_sqlite_triggers(using: str = "default") -> None:
    """Only for wiping a whole test database (``flush``); post_migrate puts them back."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for table in PROTECTED_TABLES:
            for op in ("update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
