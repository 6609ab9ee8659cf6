"""The console's 评价设备 pages: who manages devices, the one-time pairing code, online/offline,
revoking, scoping. (The 请评价 button: evaluations/tests/test_console_rating_request.py.)"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.core.errors import AuthenticationFailed
from haochaping.organizations.devices import device_authenticate, device_create, device_heartbeat, device_pair
from haochaping.organizations.models import Device, DeviceKind
from haochaping.testing import login, pair_tablet

LIST = reverse("console:device_list")
NEW = reverse("console:device_new")


def detail(device) -> str:
    return reverse("console:device_detail", args=[device.pk])


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def shown_code(html: str) -> str | None:
    match = re.search(r'id="pairing-code"[^>]*>(\d{4}) (\d{4})<', html)
    return match.group(1) + match.group(2) if match else None


@pytest.fixture
def tablets(cast):
    """A paired tablet at each unit's window."""
    return pair_tablet(cast.window_a, "A 窗口评价器")[0], pair_tablet(cast.window_b, "B 窗口评价器")[0]


# --- the list ------------------------------------------------------------------------------------


def test_a_supervisor_sees_every_device_with_its_state(cast, tablets, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    device_a, device_b = tablets
    device_heartbeat(device=device_a)
    Device.objects.filter(pk=device_b.pk).update(last_seen_at=timezone.now() - dt.timedelta(minutes=5))
    device_create(actor=Actor.cli(), name="新评价器", window=cast.window_a)
    response = login(Client(), cast, "supervisor").get(LIST)
    html = html_of(response)
    rows = {row["device"].name: row for row in response.context["rows"]}
    assert set(rows) == {"A 窗口评价器", "B 窗口评价器", "新评价器"}
    assert (rows["A 窗口评价器"]["pairing"], rows["A 窗口评价器"]["connection"]) == ("已配对", "在线")
    assert (rows["B 窗口评价器"]["pairing"], rows["B 窗口评价器"]["connection"]) == ("已配对", "离线")
    assert (rows["新评价器"]["pairing"], rows["新评价器"]["connection"]) == ("待配对", "—")
    assert response.context["summary"] == {"active": 3, "online": 1, "windows": 2, "equipped": 2}
    assert "评价设备" in html and "添加设备" in html and "市场监管综合窗口" in html and "石龙区政务服务中心" in html
    # Ninety seconds without a heartbeat: offline.
    time_machine.shift(dt.timedelta(seconds=91))
    rows = {row["device"].name: row for row in login(Client(), cast, "supervisor").get(LIST).context["rows"]}
    assert rows["A 窗口评价器"]["connection"] == "离线"


def test_a_department_admin_sees_only_the_devices_of_their_windows(cast, tablets):
    device_a, device_b = tablets
    kiosk, _ = device_create(actor=Actor.cli(), name="大厅自助终端", unit=cast.center, kind=DeviceKind.KIOSK)
    client = login(Client(), cast, "admin_a")
    response = client.get(LIST)
    assert [row["device"] for row in response.context["rows"]] == [device_a]
    html = html_of(response)
    assert "B 窗口评价器" not in html and "社保综合窗口" not in html and "大厅自助终端" not in html
    assert client.get(detail(device_a)).status_code == 200
    for foreign in (device_b, kiosk):
        response = client.get(detail(foreign))
        assert response.status_code == 404 and "设备不存在或无权查看" in response.content.decode()
        assert client.post(detail(foreign), {"action": "revoke"}).status_code == 404
    assert Device.objects.filter(is_active=True).count() == 3


def test_clerks_and_operators_cannot_see_or_manage_devices(cast, tablets):
    device_a, _ = tablets
    for who in ("clerk_a", "operator"):
        client = login(Client(), cast, who)
        for url in (LIST, NEW, detail(device_a)):
            response = client.get(url)
            assert response.status_code == 403, (who, url)
            assert "无权访问" in response.content.decode()
        assert client.post(detail(device_a), {"action": "revoke"}).status_code == 403
        assert client.post(NEW, {"kind": "tablet", "window": cast.window_a.pk}).status_code == 403
        assert 'href="/console/devices/"' not in html_of(client.get(reverse("console:home")))
    assert Device.objects.get(pk=device_a.pk).is_active and Device.objects.count() == 2


def test_an_auditor_looks_but_does_not_touch(cast, tablets):
    device_a, _ = tablets
    client = login(Client(), cast, "auditor")
    html = html_of(client.get(LIST))
    assert "A 窗口评价器" in html and "添加设备" not in html
    assert "撤销设备" not in html_of(client.get(detail(device_a)))
    assert client.get(NEW).status_code == 403
    assert client.post(detail(device_a), {"action": "revoke"}).status_code == 403
    assert Device.objects.get(pk=device_a.pk).is_active


def test_the_navigation_links_the_page_for_admins(cast):
    html = html_of(login(Client(), cast, "admin_a").get(reverse("console:home")))
    assert f'href="{LIST}"' in html and ">评价设备<" in html


# --- creating a device: the code, once --------------------------------------------------------------


def test_creating_a_tablet_shows_its_pairing_code_once(cast, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC), tick=False)
    client = login(Client(), cast, "admin_a")
    form = client.get(NEW)
    assert [label for _, label in form.context["form"].fields["window"].choices][1:] == [
        "市场监管综合窗口（W-A1，石龙区政务服务中心）"
    ]
    # No place in unit A for a kiosk; a 大厅大屏 may show unit A's own figures.
    assert [value for value, _ in form.context["form"].fields["kind"].choices] == ["tablet", "screen"]
    assert [label for _, label in form.context["form"].fields["place"].choices][1:] == ["区市场监督管理局"]
    refused = client.post(NEW, {"kind": "kiosk", "place": cast.unit_a.pk, "name": ""})
    assert refused.status_code == 422 and not Device.objects.exists()
    response = client.post(NEW, {"kind": "tablet", "window": cast.window_a.pk, "name": ""})
    device = Device.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(device)
    assert device.name == "市场监管综合窗口评价器" and device.window == cast.window_a and device.unit == cast.center
    page = client.get(detail(device))
    html = html_of(page)
    code = shown_code(html)
    assert code is not None and "只显示这一次" in html
    assert "有效期至 <strong>2026-11-30 17:30</strong>" in html  # 30 minutes, local time
    assert "http://testserver/tablet/" in html
    assert "已添加设备“市场监管综合窗口评价器”" in html
    # Reloaded: gone, with a way forward.
    again = html_of(client.get(detail(device)))
    assert shown_code(again) is None and code not in again and "如未记下，请重新生成配对码" in again
    # The code shown is the code that pairs.
    paired_device, _ = device_pair(code=code)
    assert paired_device.pk == device.pk
    event = AuditEvent.objects.get(action="organizations:device:created")
    assert event.actor_id == str(cast.users["admin_a"].pk) and event.data["window"] == "W-A1"


def test_a_department_admin_cannot_create_a_device_for_another_units_window(cast):
    client = login(Client(), cast, "admin_a")
    response = client.post(NEW, {"kind": "tablet", "window": cast.window_b.pk})
    assert response.status_code == 422
    assert "请选择窗口评价器所在的窗口" in response.content.decode()
    response = client.post(NEW, {"kind": "kiosk", "place": cast.center.pk})
    assert response.status_code == 422  # no kiosk places in their scope
    assert not Device.objects.exists()


def test_a_supervisor_places_a_kiosk_in_a_hall(cast):
    client = login(Client(), cast, "supervisor")
    places = [label for _, label in client.get(NEW).context["form"].fields["place"].choices][1:]
    # Every unit can have a 大厅大屏; only halls and service centres/points take a kiosk.
    assert set(places) >= {"平顶山市石龙区", "石龙区政务服务中心", "人民路街道便民服务中心", "某社区便民服务点"}
    refused = client.post(NEW, {"kind": "kiosk", "place": cast.district.pk})
    assert refused.status_code == 422 and "自助评价终端只能放在" in refused.content.decode()
    response = client.post(NEW, {"kind": "kiosk", "place": cast.street.pk})
    device = Device.objects.get()
    assert response.status_code == 302 and device.kind == "kiosk" and device.unit == cast.street
    assert device.name == "人民路街道便民服务中心自助评价终端" and device.window is None
    assert shown_code(html_of(client.get(detail(device))))


# --- re-issuing and revoking ---------------------------------------------------------------------


def test_reissuing_a_code_ends_the_old_pairing(cast):
    device_a, credential = pair_tablet(cast.window_a, "A 窗口评价器")
    client = login(Client(), cast, "admin_a")
    assert "重新生成配对码" in html_of(client.get(detail(device_a)))
    response = client.post(detail(device_a), {"action": "code"}, follow=True)
    html = html_of(response)
    code = shown_code(html)
    assert code and "原有的配对已失效" in html
    with pytest.raises(AuthenticationFailed):
        device_authenticate(credential)
    assert device_pair(code=code)[0].pk == device_a.pk
    assert AuditEvent.objects.filter(action="organizations:device:pairing_code_issued",
                                     actor_id=str(cast.users["admin_a"].pk)).exists()  # fmt: skip


def test_revoking_a_device_is_final_and_audited(cast):
    device, credential = pair_tablet(cast.window_a)
    client = login(Client(), cast, "supervisor")
    response = client.post(detail(device), {"action": "revoke"}, follow=True)
    html = html_of(response)
    assert "已撤销设备" in html and "已撤销" in html and "撤销设备</button>" not in html
    device.refresh_from_db()
    assert not device.is_active and not device.credential_hash
    with pytest.raises(AuthenticationFailed):
        device_authenticate(credential)
    assert AuditEvent.objects.filter(action="organizations:device:revoked").count() == 1
    # Nothing more can be done with it: no new code for a revoked device.
    response = client.post(detail(device), {"action": "code"}, follow=True)
    assert "该设备已撤销" in html_of(response)
    assert not Device.objects.get(pk=device.pk).pairing_code_hash
    assert not AuditEvent.objects.filter(action="organizations:device:pairing_code_issued",
                                         actor_id=str(cast.users["supervisor"].pk)).exists()  # fmt: skip
