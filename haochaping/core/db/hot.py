"""A cursor for the single-row statements of the rating-intake hot path.

The statements run on the DB-API cursor itself, not through Django's cursor wrapper, which
costs about as much as the database's own work for such a statement (measured on SQLite:
19 µs against 9 µs for the lane-head UPDATE; bench/intake.py runs seven per rating):

- SQLite, inside a transaction (this process then holds the writer lock, see
  ``core.db.sqlite``): the connection's sqlite3 cursor. In autocommit, Django's cursor,
  which takes the writer lock per statement.
- PostgreSQL: a psycopg cursor with server-side parameters, so that psycopg prepares the
  recurring statements (after 5 runs, its default ``prepare_threshold``; set the database
  option ``prepare_threshold: None`` behind a transaction-mode connection pooler) instead of
  quoting every value into the SQL text in Python as Django's client-side cursor does.

Errors come out as Django's exception classes (``IntegrityError`` ...). Statements run here
are not seen by ``connection.queries`` or ``execute_wrapper``.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

from haochaping.core.db.sqlite.base import qmark


class _HotCursor:
    __slots__ = ("_cursor", "_wrapper", "raw")

    def __init__(self, wrapper, raw) -> None:
        self._wrapper = wrapper
        self.raw = raw
        if wrapper.vendor == "postgresql":
            import psycopg

            self._cursor = psycopg.Cursor(raw)
        else:
            self._cursor = raw.cursor()

    def execute(self, sql: str, params=()) -> None:
        with self._wrapper.wrap_database_errors:
            if self._wrapper.vendor == "sqlite":
                self._cursor.execute(qmark(sql), params)
            else:
                self._cursor.execute(sql, params)

    def fetchone(self):
        with self._wrapper.wrap_database_errors:
            return self._cursor.fetchone()

    def close(self) -> None:
        """Kept open for the connection's next statements (closed with the connection)."""

    def __enter__(self) -> _HotCursor:
        return self

    def __exit__(self, *exc) -> None:
        return None


def hot_cursor(using: str = DEFAULT_DB_ALIAS):
    """A cursor (use it as ``with hot_cursor() as cursor:``) for one-row statements."""
    wrapper = connections[using]
    if wrapper.vendor == "sqlite" and not wrapper.in_atomic_block:
        return wrapper.cursor()
    if wrapper.vendor not in ("sqlite", "postgresql"):  # pragma: no cover
        return wrapper.cursor()
    wrapper.ensure_connection()
    raw = wrapper.connection
    cursor = wrapper.__dict__.get("_hot_cursor")
    if cursor is None or cursor.raw is not raw:
        cursor = wrapper.__dict__["_hot_cursor"] = _HotCursor(wrapper, raw)
    return cursor


def violated_table(exc: BaseException) -> str | None:
    """The table whose constraint an ``IntegrityError`` reports (PostgreSQL and SQLite)."""
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    if diag is not None:
        return diag.table_name
    message = str(cause or exc)
    if "constraint failed: " in message:  # SQLite: "UNIQUE constraint failed: table.column, ..."
        return message.split("constraint failed: ", 1)[1].split(".", 1)[0]
    return None
