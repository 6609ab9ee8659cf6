"""Fixtures for the notifications tests: a private SMS outbox file, frozen time, fake transports."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from haochaping.jobs import registry
from haochaping.notifications import transports
from haochaping.notifications.transports import FileTransport, TransportError

T0 = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)
PHONE = "13812345678"
FEEDBACK_CONTEXT = {
    "item": "食品经营许可（新办）",
    "number": "GD202611300001",
    "text": "已对窗口人员进行批评教育",
    "url": "http://127.0.0.1:8000/m/1.2.x",
}


@pytest.fixture(autouse=True)
def _sms_to_a_private_file(settings, tmp_path, monkeypatch):
    """Every test writes SMS to its own file; only our periodic task is scheduled by the worker."""
    settings.SMS_TRANSPORT = "file"
    settings.SMS_OUTBOX_FILE = tmp_path / "sms-outbox.jsonl"
    registry.load_tasks()
    monkeypatch.setattr(registry, "PERIODIC", {})


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def outbox() -> list[dict]:
    return FileTransport(settings.SMS_OUTBOX_FILE).read()


def worker_once() -> str:
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    return out.getvalue()


class FlakyTransport:
    """Refuses the first ``failures`` calls, then delegates to the file transport."""

    name = "flaky"

    def __init__(self, failures: int, *, uncertain: bool = False, permanent: bool = False):
        self.failures = failures
        self.uncertain = uncertain
        self.permanent = permanent
        self.calls = 0

    def send(self, **kwargs) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise TransportError(
                "短信网关返回 503", code="http_503", uncertain=self.uncertain, permanent=self.permanent
            )
        return FileTransport(settings.SMS_OUTBOX_FILE).send(**kwargs)


@pytest.fixture
def install_transport(settings, monkeypatch):
    """``install_transport(obj)`` makes ``obj`` the SMS transport (SMS_TRANSPORT=fake)."""

    def install(transport):
        monkeypatch.setitem(transports.TRANSPORTS, "fake", lambda: transport)
        settings.SMS_TRANSPORT = "fake"
        return transport

    return install
