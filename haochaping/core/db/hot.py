"""A cursor for the single-row statements of the rating-intake hot path.

Inside a transaction on SQLite (where this process already holds the database's writer lock,
see ``core.db.sqlite``) the statements run on the sqlite3 cursor itself: Django's cursor
wrapper costs about as much as SQLite's own work for such a statement (measured: 19 µs
against 9 µs for the lane-head UPDATE; bench/intake.py runs seven per rating). Errors still
come out as Django's exception classes (``IntegrityError`` ...). Everywhere else it is
Django's own cursor: in autocommit SQLite must take the writer lock per statement, and on
PostgreSQL a psycopg cursor with server-side parameters measured no faster (0.42 against
0.44 in bench/intake.py; neither did psycopg's pipeline mode, 0.38).

Statements run here are not seen by ``connection.queries`` or ``execute_wrapper``.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

from haochaping.core.db.sqlite.base import qmark


class _HotCursor:
    __slots__ = ("_cursor", "_wrapper", "raw")

    def __init__(self, wrapper, raw) -> None:
        self._wrapper = wrapper
        self.raw = raw
        self._cursor = raw.cursor()

    def execute(self, sql: str, params=()) -> None:
        with self._wrapper.wrap_database_errors:
            self._cursor.execute(qmark(sql), params)

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
    if wrapper.vendor != "sqlite" or not wrapper.in_atomic_block:
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
