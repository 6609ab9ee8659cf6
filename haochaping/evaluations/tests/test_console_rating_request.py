"""The clerk's 请评价 button: pushing a service to a window's tablet, who may, and where."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from haochaping.audit.models import AuditEvent
from haochaping.evaluations.models import RatingRequest
from haochaping.evaluations.tablet import rating_request_next
from haochaping.testing import flash_messages, login, pair_tablet
from haochaping.testing_world import push, push_b, rate


def ask(record) -> str:
    return reverse("console:record_rating_request", args=[record.pk])


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def tablets(cast):
    """A paired tablet at each unit's window."""
    return pair_tablet(cast.window_a, "A 窗口评价器")[0], pair_tablet(cast.window_b, "B 窗口评价器")[0]


def test_a_clerk_pushes_their_service_to_the_window_tablet(cast, tablets):
    device_a, _ = tablets
    record = push(cast, "SCJG2026110001")
    rated = push(cast, "SCJG2026110009")
    rate(rated, 5)
    client = login(Client(), cast, "clerk_a")
    page = client.get(reverse("console:record_list"))
    html = html_of(page)
    assert html.count(">请评价</button>") == 1 and f'action="{ask(record)}"' in html
    response = client.post(ask(record), {"next": reverse("console:record_list") + "?page=1"})
    assert response.status_code == 302 and response["Location"] == reverse("console:record_list") + "?page=1"
    assert flash_messages(response) == ["已推送到“市场监管综合窗口”窗口评价器，请办事群众在评价器上评价。"]
    request = RatingRequest.objects.get()
    assert request.device == device_a and request.record == record and request.requested_by == "clerk_a"
    assert rating_request_next(device=device_a).pk == request.pk
    assert AuditEvent.objects.filter(action="evaluations:rating_request:created",
                                     actor_id=str(cast.users["clerk_a"].pk)).exists()  # fmt: skip


def test_the_button_shows_only_where_a_paired_tablet_waits(cast):
    record = push(cast, "SCJG2026110001")
    client = login(Client(), cast, "admin_a")
    assert "请评价</button>" not in html_of(client.get(reverse("console:record_list")))
    html = html_of(client.get(ask(record)))
    assert "还没有已配对的窗口评价器" in html and "请评价</button>" not in html
    response = client.post(ask(record))
    assert response.status_code == 302
    assert flash_messages(response) == ["未能推送到评价器：该窗口没有已配对的评价器"]
    assert not RatingRequest.objects.exists()
    pair_tablet(cast.window_a)
    assert "请评价</button>" in html_of(client.get(reverse("console:record_list")))
    assert "请评价</button>" in html_of(client.get(ask(record)))


def test_a_rated_service_cannot_be_pushed_again(cast, tablets):
    record = push(cast, "SCJG2026110001")
    rate(record, 4)
    client = login(Client(), cast, "clerk_a")
    assert "已评价，每次服务只能评价一次" in html_of(client.get(ask(record)))
    response = client.post(ask(record))
    assert flash_messages(response) == ["未能推送到评价器：该次服务已评价，每次服务只能评价一次"]
    assert not RatingRequest.objects.exists()


def test_nobody_pushes_another_units_or_another_clerks_service(cast, tablets):
    record_b = push_b(cast, "RSJ2026110001")
    nobody = push(cast, "SCJG2026110002", staff_no=None)  # unit A, served by nobody in particular
    for who, record in (("clerk_a", record_b), ("admin_a", record_b), ("clerk_a", nobody)):
        client = login(Client(), cast, who)
        assert client.get(ask(record)).status_code == 404, who
        assert client.post(ask(record)).status_code == 404, who
    for who in ("operator", "auditor"):
        response = login(Client(), cast, who).post(ask(record_b))
        assert response.status_code == 403, who
    assert not RatingRequest.objects.exists()


def test_an_outside_next_address_is_ignored(cast, tablets):
    record = push(cast, "SCJG2026110001")
    response = login(Client(), cast, "clerk_a").post(ask(record), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("console:record_list")


def test_the_record_list_stays_within_its_query_budget_with_tablets(cast, tablets, django_assert_max_num_queries):
    for n in range(60):
        push(cast, f"SCJG2026120{n:03d}")
    client = login(Client(), cast, "admin_a")
    with django_assert_max_num_queries(12):
        html = html_of(client.get(reverse("console:record_list")))
    assert html.count(">请评价</button>") == 50


def test_the_records_list_says_pushed_and_waiting_until_the_citizen_rates(cast, tablets):
    """Issue 13 item 14: after 请评价 the row says 已推送，等待评价 while the request is live."""
    _ = tablets
    record = push(cast, "SCJG2026110001")
    client = login(Client(), cast, "clerk_a")
    assert "已推送，等待评价" not in html_of(client.get(reverse("console:record_list")))
    client.post(ask(record))
    html = html_of(client.get(reverse("console:record_list")))
    assert html.count("已推送，等待评价") == 1
    rate(record, 5)  # answered: no longer waiting (and no longer 未评价)
    assert "已推送，等待评价" not in html_of(client.get(reverse("console:record_list")))


def test_the_clerk_pauses_and_resumes_their_windows_tablet(cast, tablets):
    """Issue 13 item 14: 暂停服务 from the console, audited; a paused tablet takes no request."""
    device_a, _ = tablets
    record = push(cast, "SCJG2026110001")
    client = login(Client(), cast, "clerk_a")
    pause = reverse("console:tablet_pause", args=[device_a.pk])
    html = html_of(client.get(reverse("console:record_list")))
    assert f'action="{pause}"' in html and "服务中" in html and ">暂停服务</button>" in html
    response = client.post(pause, {"paused": "1", "next": reverse("console:record_list")})
    assert response.status_code == 302 and response["Location"] == reverse("console:record_list")
    assert flash_messages(response) == ["“市场监管综合窗口”窗口评价器已暂停服务，恢复前不会显示评价页面。"]
    device_a.refresh_from_db()
    assert device_a.paused_at is not None
    assert AuditEvent.objects.filter(action="organizations:device:paused", target_id=str(device_a.pk),
                                     actor_id=str(cast.users["clerk_a"].pk)).exists()  # fmt: skip
    assert ">恢复服务</button>" in html_of(client.get(reverse("console:record_list")))
    response = client.post(ask(record))
    assert flash_messages(response) == ["未能推送到评价器：该窗口评价器已暂停服务，请先在办件服务页面恢复服务"]
    assert not RatingRequest.objects.exists()
    client.get(reverse("console:record_list"))  # the message shown
    response = client.post(pause, {"paused": "0"})
    assert flash_messages(response) == ["“市场监管综合窗口”窗口评价器已恢复服务。"]
    device_a.refresh_from_db()
    assert device_a.paused_at is None
    assert AuditEvent.objects.filter(action="organizations:device:resumed", target_id=str(device_a.pk)).exists()
    client.post(ask(record))
    assert rating_request_next(device=device_a) is not None


def test_nobody_pauses_another_windows_tablet(cast, tablets):
    device_a, device_b = tablets
    for who, device in (("clerk_a", device_b), ("admin_b", device_a), ("operator", device_a)):
        client = login(Client(), cast, who)
        response = client.post(reverse("console:tablet_pause", args=[device.pk]), {"paused": "1"})
        assert response.status_code in (403, 404), who
    assert not type(device_a).objects.filter(paused_at__isnull=False).exists()
    # The admin of unit A may (the device pages' scope).
    client = login(Client(), cast, "admin_a")
    client.post(reverse("console:tablet_pause", args=[device_a.pk]), {"paused": "1"})
    device_a.refresh_from_db()
    assert device_a.paused_at is not None
