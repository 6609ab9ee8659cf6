"""The in-app inbox (消息), its header badge, and the console navigation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haochaping.notifications.models import Notification
from haochaping.notifications.services import notification_queue
from haochaping.rectification.workflow import Action
from haochaping.testing import login
from haochaping.testing_world import push, rate, step

INBOX = reverse("console:inbox")


@pytest.fixture
def requested(cast):
    """Unit A asks for an extension: the district supervisor gets a review message."""
    case = rate(push(cast, "SCJG2026140001"), 2, reasons=["XC-XL-B01"]).case
    step(cast, "admin_a", case, Action.VERIFY)
    new_due = timezone.localtime(case.due_at).date() + dt.timedelta(days=7)
    step(cast, "admin_a", case, Action.REQUEST_EXTENSION, text="需延期", new_due=new_due)
    return case


def test_the_header_shows_the_unread_count_and_the_inbox_lists_the_message(cast, requested):
    client = login(Client(), cast, "supervisor")
    html = client.get(reverse("console:home")).content.decode()
    assert 'class="badge"' in html and 'aria-label="1 条未读"' in html
    response = client.get(INBOX)
    html = response.content.decode()
    assert response.status_code == 200 and "待审核：申请延期" in html and requested.number in html
    assert [n.linked_case_id for n in response.context["page_obj"]] == [requested.pk]
    assert f'name="open" value="{requested.pk}"' in html  # 查看工单 on an unread message


def test_opening_the_case_of_a_message_marks_it_read(cast, requested):
    client = login(Client(), cast, "supervisor")
    message = Notification.objects.get(recipient=cast.users["supervisor"])
    response = client.post(INBOX, {"ids": [message.pk], "open": requested.pk})
    assert response["Location"] == reverse("console:case_detail", args=[requested.pk])
    assert Notification.objects.get(pk=message.pk).read_at is not None
    html = client.get(INBOX).content.decode()
    assert f'href="{reverse("console:case_detail", args=[requested.pk])}"' in html  # read: a plain link now


def test_marking_a_message_read_clears_the_badge(cast, requested):
    client = login(Client(), cast, "supervisor")
    message = Notification.objects.get(recipient=cast.users["supervisor"])
    response = client.post(INBOX, {"ids": [message.pk]})
    assert response.status_code == 302 and response["Location"] == INBOX
    html = client.get(INBOX).content.decode()
    assert "已将 1 条消息标为已读" in html and 'class="badge"' not in html
    assert Notification.objects.get(pk=message.pk).read_at is not None
    assert list(client.get(INBOX, {"unread": "1"}).context["page_obj"]) == []


def test_mark_all_read_only_touches_the_users_own_messages(cast, requested):
    supervisor_message = Notification.objects.get(recipient=cast.users["supervisor"])
    other = login(Client(), cast, "admin_a")
    other.post(INBOX, {"ids": [supervisor_message.pk]})  # someone else's id: ignored
    other.post(INBOX, {"all": "1"})
    assert Notification.objects.get(pk=supervisor_message.pk).read_at is None
    login(Client(), cast, "supervisor").post(INBOX, {"all": "1"})
    assert Notification.objects.get(pk=supervisor_message.pk).read_at is not None


def test_a_message_never_opens_a_case_outside_the_users_scope(cast, requested):
    with transaction.atomic():
        notification_queue(template="case_returned", to_user=cast.users["admin_b"],
                           context={"number": requested.number, "action": "退回", "case_id": requested.pk})  # fmt: skip
    client = login(Client(), cast, "admin_b")
    message = Notification.objects.get(recipient=cast.users["admin_b"])
    assert client.get(INBOX).context["page_obj"][0].linked_case_id == requested.pk
    response = client.post(INBOX, {"ids": [message.pk], "open": requested.pk}, follow=True)
    assert response.status_code == 404 and "未找到该记录" in response.content.decode()


def test_the_inbox_uses_a_fixed_number_of_queries(cast, requested, django_assert_max_num_queries):
    with transaction.atomic():
        for n in range(30):
            notification_queue(template="case_deadline_warning", to_user=cast.users["supervisor"],
                               context={"number": f"N{n}", "due": "2026-12-01", "case_id": requested.pk})  # fmt: skip
    client = login(Client(), cast, "supervisor")
    with django_assert_max_num_queries(9):  # 7 + the menu's case and call counts
        response = client.get(INBOX)
    assert len(response.context["page_obj"]) == 31


def test_the_inbox_is_in_chinese_when_empty(cast):
    html = login(Client(), cast, "admin_b").get(INBOX).content.decode()
    assert "暂无消息" in html and 'class="badge"' not in html


NAV = ["工作台", "办件服务", "评价记录", "差评工单（待办）", "整改汇总", "消息"]


@pytest.mark.parametrize("who", ["supervisor", "admin_a", "operator", "clerk_a", "auditor"])
def test_the_navigation_lists_the_pages_and_review_only_for_supervisors(cast, who):
    html = login(Client(), cast, who).get(reverse("console:home")).content.decode()
    nav = html[html.index('<nav class="sidebar"') : html.index("</nav>")]
    positions = [nav.index(f">{label}<") for label in NAV]
    assert positions == sorted(positions)
    assert (f'href="{reverse("console:case_list")}?tab=review"' in nav) == (who == "supervisor")
