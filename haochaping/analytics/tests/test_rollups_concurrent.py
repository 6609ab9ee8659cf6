"""The rollups stay exact while ratings arrive concurrently (PostgreSQL: writers commit in any
order, so a row with a lower id may commit after a refresh has read a higher one)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import override_settings

from haochaping.analytics.rollups import rollup_rebuild, rollup_refresh, rollup_snapshot
from haochaping.testing import build_cast
from haochaping.testing_world import push, push_b, rate

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS, PER_WRITER = 3, 15


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time")
def test_refreshes_during_concurrent_intake_equal_a_rebuild():
    cast = build_cast()
    rollup_refresh()
    errors: list[BaseException] = []
    done = threading.Event()

    def writer(n: int) -> None:
        try:
            for i in range(PER_WRITER):
                pusher = push if (n + i) % 2 else push_b
                record = pusher(cast, f"CC{n}{i:04d}")
                rate(record, 1 if i % 5 == 0 else 5, text="态度不好" if i % 5 == 0 else "")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def refresher() -> None:
        try:
            while not done.is_set():
                rollup_refresh()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    with override_settings(ANALYTICS_ROLLUP_LAG_SECONDS=60):
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        background = threading.Thread(target=refresher)
        background.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        done.set()
        background.join(timeout=300)
        assert errors == []
        rollup_refresh()
        refreshed = rollup_snapshot()
    rollup_rebuild()
    assert refreshed == rollup_snapshot()
    assert sum(row[-1] for row in refreshed["rating"]) == WRITERS * PER_WRITER
