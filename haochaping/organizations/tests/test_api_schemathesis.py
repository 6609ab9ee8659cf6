"""Property-based run of the published OpenAPI document (schemathesis) with signed requests.

Every operation of ``GET /api/v1/openapi.json`` is called with generated input, signed like a
business system signs (HMAC-SM3 over the request target and body as sent), against the live
server; every answer must be no 5xx and conform to the document: a documented status code,
the documented content type, a body that validates against the status code's schema.

A few examples per operation run in the suite (a few seconds); ``make fuzz`` runs the same test
with many more (``HAOCHAPING_FUZZ_EXAMPLES``), bounded by a time limit, on 127.0.0.1 only.
"""

from __future__ import annotations

import os

import pytest
import requests
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from haochaping.testing import SignedClient, build_cast, record_payload

EXAMPLES = int(os.environ.get("HAOCHAPING_FUZZ_EXAMPLES", "5"))
pytestmark = pytest.mark.django_db(transaction=True)  # the live server answers in its own thread

MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)  # valid input, and input the schema refuses
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


class Signed(requests.auth.AuthBase):
    """Signs the prepared request: its method, request target (``path_url``) and body bytes."""

    def __init__(self, app_id: str, secret: str):
        self.signer = SignedClient(Client(), app_id, secret)

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        r.headers.update(self.signer.headers(r.method or "GET", r.path_url, body))
        return r


def published_schema():
    """The document as served (read at collection: no database is needed to render it)."""
    document = Client().get("/api/v1/openapi.json").json()
    config = SchemathesisConfig.from_dict(
        {"phases": {"coverage": {"enabled": False}}, "generation": {"max-examples": EXAMPLES}}
    )
    return schemathesis.openapi.from_dict(document, config=config)


schema = published_schema()


@pytest.fixture
def signed_session(live_server):
    """The district system's session, and what exists: a record with a bad rating (and its case),
    a second record not rated yet, a demand."""
    cast = build_cast()
    api = SignedClient(Client(), cast.system_all.app_id, cast.secret_all)
    api.post("/api/v1/service-records", record_payload(cast, project_no="FUZZ-1"))
    api.post("/api/v1/service-records", record_payload(cast, project_no="FUZZ-2"))
    rating = api.post("/api/v1/evaluations", {"project_no": "FUZZ-1", "level": 1, "channel": 4, "text": "差"}).json()
    demand = api.post(
        "/api/v1/demands", {"content": "窗口排队时间太长", "contact": {"name": "周", "phone": "13700002222"}}
    )
    session = requests.Session()
    session.auth = Signed(cast.system_all.app_id, cast.secret_all)
    session.known = {  # type: ignore[attr-defined]
        "evaluation_id": rating["id"],
        "case_id": rating["case"]["id"],
        "demand_id": demand.json()["id"],
        "project_no": "FUZZ-2",
    }
    yield session
    session.close()


def aimed(case, known: dict) -> None:
    """Point a generated case at data that exists, so that it gets past the lookups."""
    for name in case.path_parameters or {}:
        if name in known:
            case.path_parameters[name] = known[name]
    if isinstance(case.body, dict) and "project_no" in case.body:
        case.body["project_no"] = known["project_no"]


def test_every_operation_answers_as_published(signed_session, live_server):
    # One test for all operations: the live server's data is set up (and flushed) once.
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 13
    failures = []
    for operation in operations:

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=EXAMPLES <= 10, database=None)  # fmt: skip
        @given(case=st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in MODES)), aim=st.booleans())
        def answers_as_published(case, aim):
            if aim:
                aimed(case, signed_session.known)
            case.call_and_validate(base_url=live_server.url, session=signed_session, checks=CHECKS)

        try:
            answers_as_published()
        except Exception as exc:  # every operation runs; all failures are reported together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
