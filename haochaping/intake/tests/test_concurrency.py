"""Concurrent clients: no lost, no duplicated rating or record, never "database is locked"."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from haochaping.audit.services import audit_verify
from haochaping.evaluations.models import Evaluation
from haochaping.rectification.models import RectificationCase
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import SignedClient, build_cast, record_payload

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(fn):
    def run(*args):
        try:
            return fn(*args)
        finally:
            connections.close_all()

    return run


def test_racing_ratings_for_one_service_store_exactly_one():
    cast = build_cast()
    api = SignedClient(Client(), cast.system_all.app_id, cast.secret_all)
    assert api.post("/api/v1/service-records", record_payload(cast)).status_code == 201

    @_in_thread
    def rate(i):
        client = SignedClient(Client(), cast.system_all.app_id, cast.secret_all)
        return client.post(
            "/api/v1/evaluations",
            {"project_no": "SCJG2026110001", "level": 1 + i % 2, "text": f"第{i}次", "channel": 2},
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(rate, range(16)))
    assert sorted(statuses) == [201] + [409] * 15
    assert Evaluation.objects.count() == 1
    assert RectificationCase.objects.count() == 1
    assert audit_verify().ok


def test_resending_records_concurrently_loses_and_doubles_nothing():
    cast = build_cast()

    @_in_thread
    def push(i):
        client = SignedClient(Client(), cast.system_all.app_id, cast.secret_all)
        return client.post("/api/v1/service-records", record_payload(cast, project_no=f"P-{i % 10}")).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(push, range(40)))
    assert statuses.count(201) == 10 and statuses.count(200) == 30
    assert ServiceRecord.objects.count() == 10
    assert audit_verify().ok


def test_racing_resends_of_one_rating_all_get_the_stored_rating():
    cast = build_cast()
    api = SignedClient(Client(), cast.system_all.app_id, cast.secret_all)
    assert api.post("/api/v1/service-records", record_payload(cast)).status_code == 201

    @_in_thread
    def resend(_):
        client = SignedClient(Client(), cast.system_all.app_id, cast.secret_all)
        r = client.post("/api/v1/evaluations", {"project_no": "SCJG2026110001", "level": 2, "text": "慢",
                                                "channel": 4, "client_key": "tablet-3-000042"})  # fmt: skip
        return r.status_code, r.json()["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(resend, range(12)))
    assert sorted(status for status, _ in outcomes) == [200] * 11 + [201]
    assert len({pk for _, pk in outcomes}) == 1 and Evaluation.objects.count() == 1
