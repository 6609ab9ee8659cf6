"""The window tablet's page and JSON endpoints over Django's test client: pairing, the poll,
ratings with idempotency keys, and who is refused (no credential, revoked, staff sessions)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.evaluations.models import Evaluation, RatingRequest
from haochaping.evaluations.services import evaluation_prepare
from haochaping.evaluations.tablet import rating_request_create
from haochaping.organizations.devices import (
    device_create,
    device_new_pairing_code,
    device_pair,
    device_revoke,
    device_set_paused,
)
from haochaping.organizations.models import Device, DeviceKind
from haochaping.portal.tablet import PAIR_MAX_FAILURES
from haochaping.portal.tests.factories import IDENTITY, push, served_on
from haochaping.testing import login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HEADER = "X-Device-Credential"


class Tablet:
    """A tablet's browser: CSRF enforced like a real one, the credential in its header only."""

    def __init__(self, credential: str = "", client: Client | None = None):
        self.client = client or Client(enforce_csrf_checks=True)
        self.credential = credential

    def headers(self) -> dict[str, str]:
        return {HEADER: self.credential} if self.credential else {}

    def next(self, **query):
        return self.client.get("/tablet/next", query, headers=self.headers())

    def rate(self, body: dict):
        return self.client.post("/tablet/rate", json.dumps(body), content_type="application/json",
                                headers=self.headers())  # fmt: skip


def pair(code: str, client: Client | None = None, **extra):
    client = client or Client(enforce_csrf_checks=True)
    return client.post("/tablet/pair", json.dumps({"code": code}), content_type="application/json", **extra)


def rating(record, **overrides) -> dict:
    body = {"record_id": record.pk, "level": 5, "reasons": ["XC-TD-G01"], "text": "", "dimensions": {},
            "client_key": "t1-lx0abc-9f3a2b1c"}  # fmt: skip
    body.update(overrides)
    return body


@pytest.fixture
def record(cast):
    return push(cast)


@pytest.fixture
def device(cast) -> Device:
    return device_create(actor=Actor.cli(), name="市场监管综合窗口评价器", window=cast.window_a)[0]


@pytest.fixture
def tablet(device) -> Tablet:
    _, credential = device_pair(code=device_new_pairing_code(actor=Actor.cli(), device=device))
    return Tablet(credential)


@pytest.fixture
def requested(tablet, record, cast) -> RatingRequest:
    return rating_request_create(actor=Actor.for_user(cast.users["clerk_a"]), record=record)


# --- the page ------------------------------------------------------------------------------------


def test_the_tablet_page_is_a_chinese_full_screen_shell_with_its_settings(db, settings):
    settings.TABLET_IDLE_SECONDS = 90
    r = Client().get("/tablet/")
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    html = r.content.decode()
    assert 'lang="zh-CN"' in html and "请对本次服务作出评价" in html and "设备配对" in html
    assert "/static/portal/tablet.js" in html and "/static/portal/tablet.css" in html
    assert "http://" not in html and "https://" not in html  # no CDN
    config = r.context["config"]
    assert config["idleSeconds"] == 90 and config["pollMs"] == 1000 and config["header"] == HEADER
    assert config["urls"] == {"pair": "/tablet/pair", "next": "/tablet/next", "rate": "/tablet/rate"}
    assert [level["label"] for level in config["levels"]] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]


def test_the_idle_timeout_defaults_to_two_minutes(db, settings, monkeypatch):
    del settings.TABLET_IDLE_SECONDS  # not declared by settings.py yet: the environment decides
    monkeypatch.delenv("HAOCHAPING_TABLET_IDLE_SECONDS", raising=False)
    assert Client().get("/tablet/").context["config"]["idleSeconds"] == 120
    monkeypatch.setenv("HAOCHAPING_TABLET_IDLE_SECONDS", "300")
    assert Client().get("/tablet/").context["config"]["idleSeconds"] == 300


# --- pairing -------------------------------------------------------------------------------------


def test_a_good_code_pairs_the_tablet_once(device):
    code = device_new_pairing_code(actor=Actor.cli(), device=device)
    r = pair(code[:4] + " " + code[4:])  # typed with a space: still the code
    assert r.status_code == 201 and r["Cache-Control"].startswith("max-age=0")
    body = r.json()
    assert body["header"] == HEADER
    assert body["device"] == {"id": device.pk, "name": "市场监管综合窗口评价器", "window": "市场监管综合窗口",
                              "window_code": "W-A1", "place": "石龙区政务服务中心"}  # fmt: skip
    assert Tablet(body["credential"]).next().status_code == 200
    again = pair(code)
    assert again.status_code == 401 and again.json()["error"]["code"] == "bad_pairing_code"


def test_a_wrong_malformed_or_expired_code_is_refused_in_chinese(device, time_machine):
    time_machine.move_to(timezone.now())
    code = device_new_pairing_code(actor=Actor.cli(), device=device)
    wrong = "00000000" if code != "00000000" else "11111111"
    r = pair(wrong)
    assert r.status_code == 401 and "配对码无效或已过期" in r.json()["error"]["message"]
    r = pair("1234")
    assert r.status_code == 422 and r.json()["error"]["fields"] == {"code": ["须为 8 位数字"]}
    r = Client().post("/tablet/pair", {"code": code})  # a form post, not JSON
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_content_type"
    time_machine.shift(dt.timedelta(minutes=31))
    r = pair(code)
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_pairing_code"
    assert not Device.objects.get(pk=device.pk).credential_hash


def test_guessing_codes_locks_pairing_from_that_address(device):
    code = device_new_pairing_code(actor=Actor.cli(), device=device)
    wrong = "00000000" if code != "00000000" else "11111111"
    for _ in range(PAIR_MAX_FAILURES):
        assert pair(wrong, REMOTE_ADDR="10.0.0.9").status_code == 401
    r = pair(code, REMOTE_ADDR="10.0.0.9")  # even the right code, while locked
    assert r.status_code == 429 and r.json()["error"]["code"] == "pairing_locked"
    assert AuditEvent.objects.filter(action="portal:tablet:pairing_failed").count() == PAIR_MAX_FAILURES
    assert pair(code, REMOTE_ADDR="10.0.0.10").status_code == 201  # another tablet is not affected


def test_a_kiosk_code_is_refused_and_stays_valid_for_the_kiosk(cast):
    kiosk, code = device_create(actor=Actor.cli(), name="大厅自助终端", unit=cast.center, kind=DeviceKind.KIOSK)
    r = pair(code)
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_a_tablet"
    assert not Device.objects.get(pk=kiosk.pk).credential_hash
    paired, _ = device_pair(code=code)  # the pairing was rolled back: the code still works
    assert paired.pk == kiosk.pk


# --- the poll ------------------------------------------------------------------------------------


def test_the_poll_is_a_heartbeat_and_says_when_there_is_nothing_to_rate(tablet, device, time_machine):
    time_machine.move_to(timezone.now() + dt.timedelta(minutes=5), tick=False)
    r = tablet.next()
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    body = r.json()
    assert body["request"] is None and body["device"]["window"] == "市场监管综合窗口"
    assert dt.datetime.fromisoformat(body["now"]) == timezone.now()
    assert Device.objects.get(pk=device.pk).last_seen_at == timezone.now()


def test_a_request_shows_the_service_the_clerk_and_the_reasons_but_never_the_applicant(tablet, requested, record):
    r = tablet.next()
    body = r.json()["request"]
    assert body["id"] == requested.pk and body["record_id"] == record.pk
    assert body["staff"] == {"name": "王晓红", "staff_no": "A001", "photo": None}
    assert body["service"] == {"item": "食品经营许可（新办）", "unit": "区市场监督管理局", "stage": "申请受理",
                               "served_on": served_on(record).isoformat()}  # fmt: skip
    codes = {reason["code"] for reason in body["reasons"]}
    assert "XC-TD-B01" in codes and not any(code.startswith("XS-") for code in codes)  # offline set only
    bad = next(reason for reason in body["reasons"] if reason["code"] == "XC-TD-B01")
    assert bad == {"code": "XC-TD-B01", "text": "态度生硬、冷漠", "group": "服务态度", "levels": [2, 1]}
    for value in IDENTITY:
        assert value not in r.content.decode()
    assert RatingRequest.objects.get(pk=requested.pk).status == "shown"
    # Polled again with the request it already has: a few bytes, not the whole screen.
    again = tablet.next(known=requested.pk).json()
    assert again["request"] == {"id": requested.pk, "unchanged": True}


def test_the_clerks_photo_is_served_to_that_tablet_only(tablet, requested, cast, device):
    cast.staff_a.photo.save("a001.png", ContentFile(PNG))
    body = tablet.next().json()["request"]
    assert body["staff"]["photo"] == f"/tablet/photo/{requested.pk}"
    r = tablet.client.get(body["staff"]["photo"], headers=tablet.headers())
    assert r.status_code == 200 and r["Content-Type"] == "image/png" and b"".join(r.streaming_content) == PNG
    assert Client().get(body["staff"]["photo"]).status_code == 401
    _, code = device_create(actor=Actor.cli(), name="社保窗口评价器", window=cast.window_b)
    _, credential = device_pair(code=code)
    assert Tablet(credential).client.get(body["staff"]["photo"], headers={HEADER: credential}).status_code == 404


def test_a_code_pasted_as_displayed_pairs(device):
    """Issue 13 item 14: the console shows "9946 5374"; pasted with a space or a dash it pairs."""
    code = device_new_pairing_code(actor=Actor.cli(), device=device)
    assert pair(code[:4] + "-" + code[4:]).status_code == 201
    code = device_new_pairing_code(actor=Actor.cli(), device=device)
    assert pair(f" {code[:4]} - {code[4:]} ").status_code == 201


def test_the_idle_screen_gets_the_windows_staff_on_duty_and_their_photos(tablet, cast, device):
    """Issue 13 item 14: the poll carries the window's staff on duty (name, 工号, photo)."""
    cast.staff_a.photo.save("a001.png", ContentFile(PNG))
    state = tablet.next().json()["state"]
    assert state == {
        "paused": False,
        "staff": [{"name": "王晓红", "staff_no": "A001", "photo": f"/tablet/staff-photo/{cast.staff_a.pk}"}],
    }
    r = tablet.client.get(state["staff"][0]["photo"], headers=tablet.headers())
    assert r.status_code == 200 and b"".join(r.streaming_content) == PNG
    assert Client().get(state["staff"][0]["photo"]).status_code == 401
    # Another window's staff are not this tablet's to show.
    cast.staff_b.photo.save("b001.png", ContentFile(PNG))
    r = tablet.client.get(f"/tablet/staff-photo/{cast.staff_b.pk}", headers=tablet.headers())
    assert r.status_code == 404
    # Off duty: not shown.
    type(cast.staff_a).objects.filter(pk=cast.staff_a.pk).update(is_active=False)
    assert tablet.next().json()["state"]["staff"] == []


def test_a_paused_tablet_says_so_and_gets_no_request(tablet, requested, cast, device):
    """Issue 13 item 14: 暂停服务 set on the console reaches the tablet; no rating is offered."""
    device_set_paused(actor=Actor.for_user(cast.users["clerk_a"]), device=device, paused=True)
    body = tablet.next().json()
    assert body["state"]["paused"] is True and body["request"] is None
    device_set_paused(actor=Actor.for_user(cast.users["clerk_a"]), device=device, paused=False)
    body = tablet.next().json()
    assert body["state"]["paused"] is False and body["request"]["id"] == requested.pk


# --- rating --------------------------------------------------------------------------------------


def test_a_rating_is_stored_once_as_a_tablet_rating_and_a_replay_returns_it(tablet, requested, record):
    body = rating(record, level=1, reasons=["XC-TD-B01"], text="态度不好", dimensions={"attitude": 1})
    r = tablet.rate(body)
    assert r.status_code == 201
    first = r.json()
    evaluation = Evaluation.objects.select_related("case").get()
    assert first["id"] == evaluation.pk and first["created"] is True and first["channel"] == 4
    assert (evaluation.level, evaluation.channel, evaluation.attitude) == (1, 4, 1)
    assert evaluation.client_key == body["client_key"] and first["case"] == evaluation.case.number
    assert RatingRequest.objects.get(pk=requested.pk).status == "done"
    # The offline queue sends it again (its first answer was lost): the same rating, 200.
    again = tablet.rate(body)
    assert again.status_code == 200 and again.json()["id"] == evaluation.pk and again.json()["created"] is False
    assert Evaluation.objects.count() == 1
    # Another key for a rated service: the one-per-service rule.
    other = tablet.rate(rating(record, client_key="t1-other-0001"))
    assert other.status_code == 409 and other.json()["error"]["code"] == "already_rated"
    assert tablet.next().json()["request"] is None


def test_a_replay_racing_the_first_send_still_gets_the_stored_rating(tablet, record, monkeypatch):
    body = rating(record)
    stored = tablet.rate(body).json()

    def passed_the_check(*, target, **kwargs):  # both sends passed "already rated?"; this one loses the INSERT
        return evaluation_prepare(target=dataclasses.replace(target, rated_by_insert=True), **kwargs)

    monkeypatch.setattr("haochaping.intake.services.evaluation_prepare", passed_the_check)
    r = tablet.rate(body)
    assert r.status_code == 200 and r.json()["id"] == stored["id"] and r.json()["created"] is False
    other = tablet.rate(rating(record, client_key="t1-someone-else"))
    assert other.status_code == 409
    assert Evaluation.objects.count() == 1


def test_the_tablets_clock_dates_a_queued_rating_when_plausible(tablet, record):
    rated_at = timezone.now() - dt.timedelta(hours=2)
    r = tablet.rate(rating(record, evaluated_at=rated_at.isoformat()))
    assert r.status_code == 201
    assert Evaluation.objects.get().evaluated_at == rated_at


@pytest.mark.parametrize(
    "moment",
    [
        lambda record: timezone.now() + dt.timedelta(days=1),  # a tablet clock running ahead
        lambda record: record.accepted_at - dt.timedelta(days=3),  # before the service
        lambda record: "yesterday",
    ],
)
def test_an_implausible_tablet_time_never_loses_the_rating(tablet, record, moment):
    value = moment(record)
    r = tablet.rate(rating(record, evaluated_at=value if isinstance(value, str) else value.isoformat()))
    assert r.status_code == 201
    assert abs(Evaluation.objects.get().evaluated_at - timezone.now()) < dt.timedelta(minutes=1)


def test_another_windows_service_is_not_found(tablet, cast):
    other = push(cast, "RSJ2026110001", item_code=cast.item_b.code, unit_code="RSJ", window_code="W-B1",
                 staff_no="B001")  # fmt: skip
    r = tablet.rate(rating(other))
    assert r.status_code == 404 and r.json()["error"]["code"] == "record_not_found"
    assert tablet.rate(rating(other, record_id=999999)).status_code == 404
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"client_key": ""}, "client_key"),
        ({"client_key": "short"}, "client_key"),
        ({"level": "5"}, "level"),
        ({"record_id": None}, "record_id"),
        ({"record_id": 2**64}, "record_id"),
        ({"client_key": "t1-abc-123\n"}, "client_key"),
        ({"reasons": "XC-TD-G01"}, "reasons"),
        ({"dimensions": {"speed": 5}}, "dimensions"),
        ({"text": 5}, "text"),
    ],
)
def test_a_malformed_rating_is_a_422_with_the_field(tablet, record, change, field):
    r = tablet.rate(rating(record, **change))
    assert r.status_code == 422 and field in r.json()["error"]["fields"]
    assert not Evaluation.objects.exists()


def test_the_rating_rules_of_the_service_apply(tablet, record):
    r = tablet.rate(rating(record, level=2, reasons=[], text=""))
    assert r.status_code == 422 and "reasons" in r.json()["error"]["fields"]
    r = tablet.rate(rating(record, level=1, reasons=["XC-TD-G01"]))  # a good reason for a bad level
    assert r.status_code == 422
    r = tablet.client.post("/tablet/rate", "{not json", content_type="application/json", headers=tablet.headers())
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_json"
    assert not Evaluation.objects.exists()


# --- who is refused ------------------------------------------------------------------------------


@pytest.mark.parametrize("credential", ["", "not-a-credential"])
def test_without_a_valid_credential_everything_is_401(record, requested, credential):
    tablet = Tablet(credential)
    for response in (tablet.next(), tablet.rate(rating(record))):
        assert response.status_code == 401
        assert response.json()["error"]["code"] in ("device_not_paired", "bad_device_credential")
    assert not Evaluation.objects.exists()


def test_a_revoked_or_repaired_tablet_is_refused(tablet, device, record):
    device_new_pairing_code(actor=Actor.cli(), device=device)  # re-issued: the old pairing ends
    assert tablet.next().status_code == 401
    _, tablet.credential = device_pair(code=device_new_pairing_code(actor=Actor.cli(), device=device))
    assert tablet.next().status_code == 200
    device_revoke(actor=Actor.cli(), device=device)
    assert tablet.next().status_code == 401 and tablet.rate(rating(record)).status_code == 401


def test_a_kiosk_credential_is_not_a_tablet(cast, record):
    _, code = device_create(actor=Actor.cli(), name="大厅自助终端", unit=cast.center, kind=DeviceKind.KIOSK)
    _, credential = device_pair(code=code)
    r = Tablet(credential).rate(rating(record))
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_a_tablet"


def test_a_staff_session_without_the_device_credential_cannot_rate(cast, record, requested):
    staff = Tablet(client=login(Client(), cast, "clerk_a"))  # logged in to the console, no credential
    r = staff.rate(rating(record))
    assert r.status_code == 401
    assert staff.next().status_code == 401
    assert not Evaluation.objects.exists()


def test_a_staff_session_is_refused_even_on_the_paired_tablet(cast, tablet, record, requested):
    tablet.client = login(tablet.client, cast, "clerk_a")
    assert tablet.next().status_code == 200  # the poll still works
    r = tablet.rate(rating(record))
    assert r.status_code == 403 and r.json()["error"]["code"] == "staff_session"
    assert "工作人员不能代替群众评价" in r.json()["error"]["message"]
    assert not Evaluation.objects.exists()
    event = AuditEvent.objects.get(action="portal:tablet:staff_refused")
    assert event.actor_id == str(cast.users["clerk_a"].pk)


def test_only_the_documented_methods_are_allowed(tablet):
    assert tablet.client.get("/tablet/rate", headers=tablet.headers()).status_code == 405
    assert tablet.client.get("/tablet/pair").status_code == 405
    assert tablet.client.post("/tablet/next", headers=tablet.headers()).status_code == 405
