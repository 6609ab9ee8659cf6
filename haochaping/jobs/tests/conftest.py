"""Test-only tasks and fixtures for the jobs app."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from collections import Counter

import pytest

from haochaping.jobs import registry
from haochaping.jobs.registry import JobError, task

CALLS: list[tuple[str, object]] = []  # (task, argument) in run order; list.append is thread-safe
FAILURES: Counter[str] = Counter()
_lock = threading.Lock()

T0 = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)


@task("tests.record")
def record(*, n: int, pause: float = 0.0) -> None:
    if pause:
        time.sleep(pause)
    CALLS.append(("record", n))


@task("tests.flaky")
def flaky(*, key: str, failures: int) -> None:
    """Fails ``failures`` times for ``key``, then succeeds."""
    with _lock:
        FAILURES[key] += 1
        attempt = FAILURES[key]
    CALLS.append(("flaky", attempt))
    if attempt <= failures:
        raise RuntimeError("upstream answered 503")


@task("tests.leaks_identity")
def leaks_identity() -> None:
    raise ValueError("申请人 张三丰 13812345678 410404199001011234")


@task("tests.operator_error")
def operator_error() -> None:
    raise JobError("上级平台返回 503，稍后重试")


@task("tests.sigterm")
def sigterm() -> None:
    CALLS.append(("sigterm", None))
    os.kill(os.getpid(), signal.SIGTERM)


@task("tests.tick")
def tick() -> None:
    CALLS.append(("tick", None))


@task("tests.tick_fails")
def tick_fails() -> None:
    CALLS.append(("tick_fails", None))
    raise RuntimeError("scan failed")


@pytest.fixture(autouse=True)
def _isolated_jobs(monkeypatch):
    """Fresh call log; the real periodic tasks (jobs.purge_finished, ...) stay out of these tests."""
    registry.load_tasks()
    monkeypatch.setattr(registry, "PERIODIC", {})
    CALLS.clear()
    FAILURES.clear()
    yield
    CALLS.clear()


@pytest.fixture
def frozen(time_machine):
    """Time stands still at T0 until the test moves it."""
    time_machine.move_to(T0, tick=False)
    return time_machine
