"""Portal test data: service records pushed through the real intake service, and their links."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.test import Client

from haochaping.audit.services import Actor
from haochaping.core.crypto import blind_index
from haochaping.notifications.models import Notification
from haochaping.organizations.qrcodes import Place, qr_code_ensure
from haochaping.service_records.models import ServiceRecord
from haochaping.service_records.services import rating_link_for
from haochaping.testing import Cast, push_record

# The applicant of record_payload, plain and masked: no portal page may contain any of these.
IDENTITY = ["张三丰", "13812345678", "410404199001011234", "张*", "138****5678", "4104**********1234"]


BEIJING = dt.timezone(dt.timedelta(hours=8))


def push(cast: Cast, project_no: str = "SCJG2026110001", **overrides) -> ServiceRecord:
    """A record served four weeks ago at 10:00 Beijing time, whatever day the suite runs."""
    served = (dt.datetime.now(tz=BEIJING) - dt.timedelta(days=28)).replace(hour=10, minute=0, second=0, microsecond=0)
    overrides.setdefault("accepted_at", served.isoformat())
    overrides.setdefault("finished_at", (served + dt.timedelta(minutes=20)).isoformat())
    return push_record(cast, project_no, **overrides)


def link_path(record: ServiceRecord, *, now: float | None = None, query: str = "") -> str:
    """The path of the record's signed rating link (``/r/<token>``), plus an optional query."""
    path = urlsplit(rating_link_for(record, now=now)).path
    return f"{path}?{query}" if query else path


def served_on(record: ServiceRecord) -> dt.date:
    """The day the pages show for ``record``: when it was finished, in Beijing time."""
    return (record.finished_at or record.accepted_at).astimezone(BEIJING).date()


# --- a citizen's phone: SMS codes, verification through the pages, QR codes ---------------------

PHONE = "13812345678"
MASKED = "138****5678"
OTHER_PHONE = "13987654321"


def code_for(phone: str = PHONE) -> str:
    """The code in the newest SMS queued for ``phone`` (what the citizen reads on the phone)."""
    sms = Notification.objects.filter(template_code="sms_code", phone_index=blind_index("phone", phone)).latest("pk")
    return sms.context["code"]


def qr_for(window=None, unit=None):
    return qr_code_ensure(actor=Actor.cli("tests"), place=Place(window=window, unit=unit))


def verify(client: Client, phone_url: str, phone: str = PHONE, **extra):
    """Phone → code → verified, through the pages; returns the final response (the list)."""
    response = client.post(phone_url, {"phone": phone}, **extra)
    assert response.status_code == 302, response.content.decode()
    response = client.post(response["Location"], {"code": code_for(phone)}, **extra)
    assert response.status_code == 302, response.content.decode()
    return client.get(response["Location"], **extra)


def sms_code_from_outbox(phone: str = PHONE) -> str:
    """Deliver queued SMS like the demo's worker, then read the newest code sent to ``phone``."""
    call_command("worker", "--once")
    lines = [json.loads(line) for line in settings.SMS_OUTBOX_FILE.read_text(encoding="utf-8").splitlines()]
    codes = [line["params"]["code"] for line in lines if line["phone"] == phone and line["template"] == "sms_code"]
    assert codes, lines
    return codes[-1]
