"""Django's SQLite backend plus a blocking writer queue shared by every thread and process.

SQLite admits one writer at a time. Its own busy handler makes waiting writers *sleep and
poll* (1, 2, 5, 10 … 100 ms), so under a burst of ratings most time goes to sleeping and a
long enough burst ends in "database is locked". Here every write first takes an exclusive
``flock`` on ``<database>.writer-lock``: the kernel queues waiters and wakes the next one the
moment the lock is released, in any thread of any server process. A transaction (Django
starts them with ``BEGIN IMMEDIATE``) holds it from BEGIN to COMMIT/ROLLBACK; a single write
statement in autocommit mode holds it for that statement. Reads never take it (WAL readers do
not block).
"""

from __future__ import annotations

import fcntl
import os

from django.db.backends.sqlite3 import base

WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_QMARK: dict[str, str] = {}


def qmark(sql: str) -> str:
    """``%s`` placeholders as SQLite's ``?``. Django rewrites them with a regex on every
    execute; the same statements recur, so the rewritten text is kept (bounded)."""
    converted = _QMARK.get(sql)
    if converted is None:
        converted = base.FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")
        if len(_QMARK) < 4096:
            _QMARK[sql] = converted
    return converted


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_fd: int | None = None
    _writer_locked = False

    def _acquire_writer(self) -> None:
        if self.is_in_memory_db():
            return
        if self._writer_fd is None:
            self._writer_fd = os.open(f"{self.settings_dict['NAME']}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
        self._writer_locked = True

    def _release_writer(self) -> None:
        if self._writer_locked and self._writer_fd is not None:
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
        self._writer_locked = False

    def create_cursor(self, name=None):
        return self.connection.cursor(factory=self._cursor_class())

    def _cursor_class(self):
        cls = getattr(self, "_queued_cursor_class", None)
        if cls is None:
            wrapper = self

            class QueuedCursor(base.SQLiteCursorWrapper):
                """Autocommit write statements take the writer lock for their own duration.

                A statement that returns rows (``INSERT … RETURNING``, which Django's
                ``create()`` sends) commits only when its last row has been read, so its rows
                are read while the lock is held and served from here. Released earlier, the
                lock let the next writer in while SQLite still held the database, and that
                writer fell back to SQLite's sleep-and-poll busy handler (``bench/intake.py
                --db sqlite`` measured the difference: ``bench/README.md``)."""

                _rows: list | None = None  # the rows of the last write, last row first

                def convert_query(self, query, *, param_names=None):
                    if param_names is not None:
                        return super().convert_query(query, param_names=param_names)
                    return qmark(query)

                @staticmethod
                def _queues(query: str) -> bool:
                    """A write in autocommit mode (in a transaction the lock is held already)."""
                    return not wrapper._writer_locked and query.lstrip()[:7].upper().startswith(WRITE_VERBS)

                def execute(self, query, params=None):
                    self._rows = None
                    if not self._queues(query):
                        return super().execute(query, params)
                    wrapper._acquire_writer()
                    try:
                        result = super().execute(query, params)
                        if self.description is not None:
                            self._rows = super().fetchall()[::-1]
                        return result
                    finally:
                        wrapper._release_writer()

                def executemany(self, query, param_list):
                    self._rows = None
                    if not self._queues(query):
                        return super().executemany(query, param_list)
                    wrapper._acquire_writer()
                    try:
                        return super().executemany(query, param_list)
                    finally:
                        wrapper._release_writer()

                def fetchone(self):
                    if self._rows is None:
                        return super().fetchone()
                    return self._rows.pop() if self._rows else None

                def fetchmany(self, size=None):
                    if self._rows is None:
                        return super().fetchmany(self.arraysize if size is None else size)
                    count = min(self.arraysize if size is None else size, len(self._rows))
                    return [self._rows.pop() for _ in range(count)]

                def fetchall(self):
                    if self._rows is None:
                        return super().fetchall()
                    rows, self._rows = self._rows[::-1], []
                    return rows

                def __iter__(self):
                    return self

                def __next__(self):
                    if self._rows is None:
                        return super().__next__()
                    if not self._rows:
                        raise StopIteration
                    return self._rows.pop()

            cls = self._queued_cursor_class = QueuedCursor
        return cls

    def _start_transaction_under_autocommit(self):
        self._acquire_writer()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None
