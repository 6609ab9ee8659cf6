"""The SQLite backend's server mode: WAL checkpoints run in a background thread, not in commits."""

import time

import pytest
from django.db import connection

from haochaping.core.db.sqlite import base as sqlite_base
from haochaping.evaluations.models import IndicatorSet

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite backend only")


@pytest.fixture
def server_mode(monkeypatch):
    monkeypatch.setattr(sqlite_base, "CHECKPOINT_INTERVAL", 0.05)
    sqlite_base.background_checkpoints(True)
    connection.close()  # the next connection is opened in server mode
    yield
    sqlite_base.background_checkpoints(False)
    connection.close()


def _pragma(sql: str):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_server_connections_leave_checkpoints_to_the_background_thread(transactional_db, server_mode):
    assert _pragma("PRAGMA wal_autocheckpoint") == 0
    assert _pragma("PRAGMA journal_mode") == "wal"
    before = sqlite_base._checkpoints["done"]
    for i in range(20):
        IndicatorSet.objects.create(code=f"t{i}", version="1", name="测试")
    deadline = time.monotonic() + 5
    while sqlite_base._checkpoints["done"] == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sqlite_base._checkpoints["done"] > before, "no background checkpoint within 5 s"
    assert any(t.name == "sqlite-checkpoint" and t.is_alive() for t in sqlite_base._checkpointers.values())


def test_other_processes_keep_sqlites_own_checkpoints(db):
    assert _pragma("PRAGMA wal_autocheckpoint") == 1000
