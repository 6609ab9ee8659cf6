"""大厅大屏 paired as a display device (portal ``/screen/``): registered on the 评价设备 page,
paired with the one-time code, then shown without anybody's login, for its place's subtree only,
until the device is revoked. The credential opens nothing else."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from haochaping.analytics.rollups import rollup_refresh
from haochaping.analytics.screen import screen_data
from haochaping.audit.services import Actor
from haochaping.organizations.devices import device_create
from haochaping.organizations.models import Device, DeviceKind
from haochaping.portal.screen import COOKIE
from haochaping.testing import login
from haochaping.testing_world import PLAINTEXT

pytestmark = pytest.mark.django_db

PAGE, PAIR, DATA = reverse("portal:screen"), reverse("portal:screen_pair"), reverse("portal:screen_data")


@pytest.fixture
def refreshed(cast, world):
    rollup_refresh()
    return world


def register_screen(client: Client, cast, place) -> tuple[Device, str]:
    """As the supervisor would: 添加设备 → 大厅大屏 at a place; the code is shown once."""
    login(client, cast, "supervisor")
    response = client.post(reverse("console:device_new"), {"kind": "screen", "place": str(place.pk), "name": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    device = Device.objects.get(kind=DeviceKind.SCREEN)
    html = client.get(response["Location"]).content.decode()
    assert reverse("portal:screen") in html  # the pairing steps name the address to open
    code = "".join(re.search(r'id="pairing-code"[^>]*>(\d{4}) (\d{4})<', html).groups())
    client.logout()
    return device, code


def test_a_paired_hall_screen_shows_its_place_without_a_login_until_revoked(cast, refreshed):
    admin, hall = Client(), Client()
    device, code = register_screen(admin, cast, cast.district)
    assert device.name == "平顶山市石龙区大厅大屏" and device.unit == cast.district

    first = hall.get(PAGE)
    assert first.status_code == 200 and "大厅大屏配对" in first.content.decode()
    assert hall.get(DATA).status_code == 401

    paired = hall.post(PAIR, {"code": f"{code[:4]} {code[4:]}"})
    assert paired.status_code == 302 and paired["Location"] == PAGE
    cookie = paired.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/screen/"
    assert cookie.value not in device.credential_hash and Device.objects.get(pk=device.pk).credential_hash

    page = hall.get(PAGE)
    html = page.content.decode()
    assert page.status_code == 200 and "平顶山市石龙区 政务服务“好差评”实时监测" in html
    assert f'data-url="{DATA}"' in html and "重新配对" in html
    data = hall.get(DATA).json()
    assert data["tiles"] == screen_data(cast.district.path)["tiles"]
    for text in PLAINTEXT:
        assert text not in html and text not in str(data)
    assert Device.objects.get(pk=device.pk).last_seen_at is not None  # heartbeat: online on the 评价设备 page

    # The credential is no login: the console and the tablet endpoints ignore it.
    assert hall.get(reverse("console:home")).status_code == 302
    assert hall.get(reverse("console:analytics_screen_data")).status_code == 302
    assert hall.get(reverse("portal:tablet_next")).status_code == 401
    # The code is single-use.
    assert Client().post(PAIR, {"code": code}).status_code == 422

    login(admin, cast, "supervisor")
    assert admin.post(reverse("console:device_detail", args=[device.pk]), {"action": "revoke"}).status_code == 302
    assert hall.get(DATA).status_code == 401
    gone = hall.get(PAGE)
    assert "凭据已失效" in gone.content.decode() and gone.cookies[COOKIE].value == ""


def test_a_street_screen_shows_only_the_streets_subtree(cast, refreshed):
    _device, code = device_create(actor=Actor.cli("tests"), name="街道大屏", kind=DeviceKind.SCREEN, unit=cast.street)
    hall = Client()
    assert hall.post(PAIR, {"code": code}).status_code == 302
    data = hall.get(DATA).json()
    assert data == {**screen_data(cast.street.path), "generated_at": data["generated_at"]}
    assert data["tiles"] != screen_data(cast.district.path)["tiles"] or data["title"].startswith(cast.street.name)
    assert data["title"].startswith(cast.street.name)


def test_a_tablets_code_does_not_pair_a_screen_and_stays_valid_for_the_tablet(cast):
    _tablet, code = device_create(actor=Actor.cli("tests"), name="评价器", kind=DeviceKind.TABLET, window=cast.window_a)
    refused = Client().post(PAIR, {"code": code})
    assert refused.status_code == 422 and "不是大厅大屏的配对码" in refused.content.decode()
    assert COOKIE not in refused.cookies or refused.cookies[COOKIE].value == ""
    response = Client().post(reverse("portal:tablet_pair"), {"code": code}, content_type="application/json")
    assert response.status_code == 201


def test_wrong_codes_are_refused_in_chinese_and_limited_per_address(cast):
    hall = Client()
    short = hall.post(PAIR, {"code": "123"})
    assert short.status_code == 422 and "请输入 8 位数字配对码" in short.content.decode()
    for _ in range(10):
        assert hall.post(PAIR, {"code": "00000000"}).status_code == 422
    assert hall.post(PAIR, {"code": "00000000"}).status_code == 429
