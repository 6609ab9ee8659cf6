"""Portal test data: service records pushed through the real intake service, and their links."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from haochaping.audit.services import Actor
from haochaping.organizations.selectors import scope_for_system
from haochaping.service_records.models import ServiceRecord
from haochaping.service_records.services import RecordInput, rating_link_for, service_record_push
from haochaping.testing import Cast, record_payload

# The applicant of record_payload, plain and masked: no portal page may contain any of these.
IDENTITY = ["张三丰", "13812345678", "410404199001011234", "张*", "138****5678", "4104**********1234"]


def push(cast: Cast, project_no: str = "SCJG2026110001", **overrides) -> ServiceRecord:
    # Served in the past whatever day the suite runs (record_payload's own date is 2026-11-30).
    overrides.setdefault("accepted_at", "2026-11-02T09:00:00+08:00")
    overrides.setdefault("finished_at", "2026-11-02T09:20:00+08:00")
    data = record_payload(cast, project_no=project_no, **overrides)
    for key in ("accepted_at", "finished_at"):
        data[key] = dt.datetime.fromisoformat(data[key])
    system = cast.system_all
    return service_record_push(
        system=system, actor=Actor.for_system(system), scope=scope_for_system(system), data=RecordInput(**data)
    ).record


def link_path(record: ServiceRecord, *, now: float | None = None, query: str = "") -> str:
    """The path of the record's signed rating link (``/r/<token>``), plus an optional query."""
    path = urlsplit(rating_link_for(record, now=now)).path
    return f"{path}?{query}" if query else path
