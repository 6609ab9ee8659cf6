"""core.db.sqlite: the cross-process writer lock (SQLite only)."""

import datetime as dt
import sqlite3

import pytest
from django.db import connection

from haochaping.core.db.sqlite import base as sqlite_base
from haochaping.core.models import CalendarDay

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")


@pytest.fixture
def table(transactional_db):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE writer_queue_probe (id INTEGER PRIMARY KEY, v TEXT)")
    yield "writer_queue_probe"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE writer_queue_probe")


@pytest.fixture
def database_free_at_release(monkeypatch):
    """Each time the writer lock is released: could another connection take SQLite's own write
    lock at once (no busy handler)? False means the next writer would sleep and poll."""
    seen: list[bool] = []
    release = sqlite_base.DatabaseWrapper._release_writer

    def spy(self):
        if self._writer_locked:
            other = sqlite3.connect(self.settings_dict["NAME"], timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                seen.append(True)
            except sqlite3.OperationalError:  # database is locked
                seen.append(False)
            finally:
                other.close()
        release(self)

    monkeypatch.setattr(sqlite_base.DatabaseWrapper, "_release_writer", spy)
    return seen


def test_an_insert_returning_commits_before_the_lock_is_released(table, database_free_at_release):
    # INSERT … RETURNING (Django's create()) commits only once its rows are read: they are read
    # under the lock, or the next writer would meet SQLite's sleep-and-poll busy handler.
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO writer_queue_probe (v) VALUES (%s) RETURNING id", ["a"])
        assert cursor.fetchone() == (1,) and cursor.fetchone() is None
        cursor.execute("INSERT INTO writer_queue_probe (v) VALUES ('b'), ('c'), ('d'), ('e') RETURNING id, v")
        assert cursor.fetchmany(2) == [(2, "b"), (3, "c")]
        assert cursor.fetchall() == [(4, "d"), (5, "e")]
        cursor.execute("INSERT INTO writer_queue_probe (v) VALUES ('f'), ('g') RETURNING v")
        assert list(cursor) == [("f",), ("g",)]
        cursor.execute("SELECT count(*) FROM writer_queue_probe")  # a read is not buffered
        assert cursor.fetchone() == (7,)
        cursor.executemany("INSERT INTO writer_queue_probe (v) VALUES (%s)", [["h"], ["i"]])
    assert database_free_at_release == [True, True, True, True]


def test_djangos_create_in_autocommit_commits_under_the_lock(transactional_db, database_free_at_release):
    day = CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_workday=False, note="元旦")
    assert day.pk and CalendarDay.objects.get(pk=day.pk).note == "元旦"
    assert database_free_at_release == [True]
