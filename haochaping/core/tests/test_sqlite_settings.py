"""The embedded database's connection settings (SQLite only)."""

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")


def _pragma(name: str):
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


def test_connections_use_wal_and_cap_the_wal_file_after_a_reset(db):
    assert _pragma("journal_mode") == "wal"
    assert _pragma("synchronous") == 1  # NORMAL
    assert _pragma("foreign_keys") == 1
    assert _pragma("journal_size_limit") == 64 * 1024 * 1024
