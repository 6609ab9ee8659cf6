"""Django's SQLite backend plus a blocking writer queue shared by every thread and process.

SQLite admits one writer at a time. Its own busy handler makes waiting writers *sleep and
poll* (1, 2, 5, 10 … 100 ms), so under a burst of ratings most time goes to sleeping and a
long enough burst ends in "database is locked". Here every write transaction (Django starts
them with ``BEGIN IMMEDIATE``) first takes an exclusive ``flock`` on ``<database>.writer-lock``:
the kernel queues waiters and wakes the next one the moment the lock is released, in any
thread of any server process. Reads never take it (WAL readers do not block).
"""

from __future__ import annotations

import fcntl
import os

from django.db.backends.sqlite3 import base


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
