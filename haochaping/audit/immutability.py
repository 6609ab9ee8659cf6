"""Database triggers that refuse UPDATE and DELETE (and TRUNCATE) on append-only tables.

They are (re)created after every ``migrate`` (post_migrate), idempotently, on SQLite and
PostgreSQL. The app's models refuse the same in Python; the triggers also stop raw SQL. The
audit chain heads may be updated (that is how the chain grows) but never deleted.
"""

from __future__ import annotations

from django.db import connections

PROTECTED_TABLES = (
    "audit_auditevent",
    "evaluations_evaluation",
    "rectification_caseaction",
    "outreach_callrecord",
    "outreach_demandaction",
    "insight_problemaction",
)
NO_DELETE_TABLES = ("audit_auditchainhead",)


def _ops(table: str) -> tuple[str, ...]:
    return ("DELETE",) if table in NO_DELETE_TABLES else ("UPDATE", "DELETE")


def trigger_names(vendor: str) -> list[tuple[str, str]]:
    """(trigger, table) pairs, for creating them and for the test suite's flush."""
    names = []
    for table in PROTECTED_TABLES + NO_DELETE_TABLES:
        if vendor == "sqlite":
            names += [(f"{table}_no_{op.lower()}", table) for op in _ops(table)]
        else:
            names += [(f"{table}_append_only", table), (f"{table}_no_truncate", table)]
    return names


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
        for table in PROTECTED_TABLES + NO_DELETE_TABLES:
            if table not in existing:
                continue
            ops = _ops(table)
            if connection.vendor == "sqlite":
                for op in ops:
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                        f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: {op} refused'); END"
                    )
            elif connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE {' OR '.join(ops)} ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION haochaping_append_only()"
                )
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION haochaping_append_only()"
                )


def drop_statements(vendor: str) -> list[str]:
    """Only for wiping a whole test database (``flush``); post_migrate puts them back."""
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name, _ in trigger_names(vendor)]
    return [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in trigger_names(vendor)]
