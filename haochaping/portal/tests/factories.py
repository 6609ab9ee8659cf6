"""Portal test data: service records pushed through the real intake service, and their links."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

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
