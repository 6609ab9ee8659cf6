"""Window tablets: pairing, rating requests from the console or an API (the tablet's ratings:
``intake/tests/test_tablet.py``)."""

import datetime as dt

import pytest

from haochaping.audit.services import Actor
from haochaping.core.errors import AuthenticationFailed
from haochaping.evaluations.models import RatingRequest
from haochaping.evaluations.tablet import rating_request_create, rating_request_next
from haochaping.organizations.devices import (
    device_authenticate,
    device_create,
    device_heartbeat,
    device_is_online,
    device_new_pairing_code,
    device_pair,
    device_revoke,
)
from haochaping.organizations.models import Device
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import pair_tablet, record_payload


@pytest.fixture
def tablet(cast):
    return pair_tablet(cast.window_a, "市场监管综合窗口评价器")


@pytest.fixture
def record(cast, api_all):
    api_all.post("/api/v1/service-records", record_payload(cast))
    return ServiceRecord.objects.get(project_no="SCJG2026110001")


def test_pairing_codes_are_one_time_and_expire(cast, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC))
    device, code = device_create(actor=Actor.cli(), name="评价器", window=cast.window_a)
    assert len(code) == 8 and code not in (device.pairing_code_hash, device.credential_hash)
    time_machine.move_to(dt.datetime(2026, 11, 30, 9, 31, tzinfo=dt.UTC))
    with pytest.raises(AuthenticationFailed):
        device_pair(code=code)
    code = device_new_pairing_code(actor=Actor.cli(), device=device)
    _, credential = device_pair(code=code)
    with pytest.raises(AuthenticationFailed):
        device_pair(code=code)
    assert device_authenticate(credential).pk == device.pk
    assert Device.objects.filter(credential_hash__contains=credential).count() == 0  # only a hash is stored


def test_revoked_or_repaired_devices_lose_their_credential(tablet):
    device, credential = tablet
    device_new_pairing_code(actor=Actor.cli(), device=device)
    with pytest.raises(AuthenticationFailed):
        device_authenticate(credential)
    _, credential = device_pair(code=device_new_pairing_code(actor=Actor.cli(), device=device))
    device_revoke(actor=Actor.cli(), device=device)
    with pytest.raises(AuthenticationFailed):
        device_authenticate(credential)


def test_heartbeat_marks_the_device_online(tablet, time_machine):
    device, _ = tablet
    time_machine.move_to(dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC))
    device_heartbeat(device=device)
    assert device_is_online(device)
    time_machine.move_to(dt.datetime(2026, 11, 30, 9, 5, tzinfo=dt.UTC))
    assert not device_is_online(Device.objects.get(pk=device.pk))


def test_a_request_reaches_the_window_tablet_once_and_a_newer_one_replaces_it(tablet, record, cast, api_all):
    device, _ = tablet
    assert rating_request_next(device=device) is None
    first = rating_request_create(actor=Actor.for_user(cast.users["clerk_a"]), record=record)
    shown = rating_request_next(device=device)
    assert shown.pk == first.pk and shown.status == "shown" and shown.record.item == cast.item_a
    api_all.post("/api/v1/service-records", record_payload(cast, service_no=2, stage="4"))
    second = rating_request_create(actor=Actor.cli(), record=ServiceRecord.objects.get(service_no=2))
    assert rating_request_next(device=device).pk == second.pk
    assert RatingRequest.objects.get(pk=first.pk).status == "replaced"


def test_a_business_system_asks_the_tablet_over_the_api(tablet, record, api_all):
    device, _ = tablet
    r = api_all.post("/api/v1/rating-requests", {"project_no": "SCJG2026110001"})
    assert r.status_code == 201 and r.json()["window_code"] == "W-A1"
    assert rating_request_next(device=device).record_id == record.pk
    r = api_all.post("/api/v1/evaluations", {"project_no": "SCJG2026110001", "level": 5, "channel": 4})
    assert api_all.post("/api/v1/rating-requests", {"project_no": "SCJG2026110001"}).status_code == 409


def test_a_window_without_a_paired_tablet_is_a_clear_error(record, api_all):
    r = api_all.post("/api/v1/rating-requests", {"project_no": "SCJG2026110001"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_tablet"
