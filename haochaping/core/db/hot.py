"""A cursor for the single-row statements of the rating-intake hot path.

Inside a transaction on SQLite (where this process already holds the database's writer lock,
see ``core.db.sqlite``) the statements run on the sqlite3 cursor itself: Django's cursor
wrapper costs about as much as SQLite's own work for such a statement (``make bench-cpu``
measures it; the figures are in the README's benchmark section). Everywhere
else on SQLite it is Django's own cursor: in autocommit SQLite must take the writer lock per
statement.

On PostgreSQL it is a psycopg cursor with server-side parameters whose statements are
prepared once per connection (Django's cursors bind on the client and prepare nothing, so
the server parses and plans every statement again), which was more than half of
PostgreSQL's CPU time per rating (``bench/cpu.py``, one rating after the other, in-process). Set
``HAOCHAPING_PG_PREPARED_STATEMENTS=0`` behind a pooler that cannot carry prepared statements
(PgBouncer in transaction mode before 1.21); the hot path then uses Django's cursor.

Prepared plans last as long as the connection (``CONN_MAX_AGE``) unless an ANALYZE or a
schema change invalidates them, so statements run here must not depend on a table's size
for their plan (see ``evaluations.selectors.record_for_rating``). Errors come out as
Django's exception classes (``IntegrityError`` ...), as from Django's cursor. Statements run
here are not seen by ``connection.queries`` or ``execute_wrapper``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from haochaping.core.db.sqlite.base import qmark


class _HotCursor:
    __slots__ = ("_cursor", "_wrapper", "raw")

    def __init__(self, wrapper, raw) -> None:
        self._wrapper = wrapper
        self.raw = raw
        self._cursor = self._open(raw)

    def _open(self, raw):
        return raw.cursor()

    def execute(self, sql: str, params=()) -> None:
        self._wrapper.validate_no_broken_transaction()
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


class _PreparedCursor(_HotCursor):
    """PostgreSQL: server-side parameters, each statement prepared once per connection."""

    __slots__ = ()

    def _open(self, raw):
        import psycopg

        if raw.prepare_threshold is None:
            # Django turns preparation off (None) for the whole connection. Its own cursors
            # bind on the client and never prepare whatever the threshold; this cursor asks
            # for it per statement (prepare=True), and nothing else reaches the threshold.
            raw.prepare_threshold = 1 << 30
        return psycopg.Cursor(raw)

    def execute(self, sql: str, params=()) -> None:
        self._wrapper.validate_no_broken_transaction()
        with self._wrapper.wrap_database_errors:
            self._cursor.execute(sql, params, prepare=True)


def hot_cursor(using: str = DEFAULT_DB_ALIAS):
    """A cursor (use it as ``with hot_cursor() as cursor:``) for one-row statements."""
    wrapper = connections[using]
    if wrapper.vendor == "postgresql" and settings.PG_PREPARED_STATEMENTS:
        wrapper.close_if_health_check_failed()  # as Django's cursor() does, first use per request
        wrapper.ensure_connection()
        return _kept(wrapper, _PreparedCursor)
    if wrapper.vendor != "sqlite" or not wrapper.in_atomic_block:
        return wrapper.cursor()
    wrapper.ensure_connection()
    return _kept(wrapper, _HotCursor)


def _kept(wrapper, kind):
    """The connection's hot cursor, made again when the connection was replaced."""
    raw = wrapper.connection
    cursor = wrapper.__dict__.get("_hot_cursor")
    if cursor is None or cursor.raw is not raw:
        cursor = wrapper.__dict__["_hot_cursor"] = kind(wrapper, raw)
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


# --- piggybacked INSERTs (PostgreSQL) -------------------------------------------------------
#
# A write whose row must be inserted in the transaction but whose result nobody reads (the
# API nonce) can ride on the transaction's next hot-path INSERT as a data-modifying CTE: one
# network round trip less. Whoever registers one must run what is left (``take``) before the
# transaction ends.


def piggyback(sql: str, params: list, using: str = DEFAULT_DB_ALIAS) -> None:
    """Register an INSERT to travel with the next ``with_piggybacked`` statement."""
    connections[using].__dict__.setdefault("_piggyback", []).append((sql, params))


def take(using: str = DEFAULT_DB_ALIAS) -> list[tuple[str, list]]:
    """The registered INSERTs, now removed from the connection's list."""
    pending = connections[using].__dict__.get("_piggyback")
    if not pending:
        return []
    taken = list(pending)
    pending.clear()
    return taken


def with_piggybacked(ctes: list[str], params: list, using: str = DEFAULT_DB_ALIAS) -> tuple[list[str], list]:
    """``ctes`` (``name AS (statement)``) and ``params`` with the registered INSERTs first."""
    taken = take(using)
    if not taken:
        return ctes, params
    extra = [f"_p{i} AS ({sql})" for i, (sql, _) in enumerate(taken)]
    return extra + ctes, [p for _, ps in taken for p in ps] + params
