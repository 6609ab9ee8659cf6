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
    assert f'name="open" value="case:{requested.pk}"' in html  # 查看工单 on an unread message


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
        for n in range(30):  # 30 cases with two messages each, 10 messages about no case
            for kind in ("case_deadline_warning", "case_returned"):
                notification_queue(template=kind, to_user=cast.users["supervisor"],
                                   context={"number": f"N{n}", "due": "2026-12-01", "case_id": 1000 + n})  # fmt: skip
        for n in range(10):
            notification_queue(template="case_deadline_warning", to_user=cast.users["supervisor"],
                               context={"number": f"M{n}", "due": "2026-12-01"})  # fmt: skip
    client = login(Client(), cast, "supervisor")
    # 7 + the menu's case and call counts + the messages of the page's groups (one query).
    with django_assert_max_num_queries(10):
        response = client.get(INBOX)
    groups = response.context["page_obj"]
    assert len(groups) == 41 and sum(group.total for group in groups) == 71
    with django_assert_max_num_queries(10):
        response = client.get(INBOX, {"page_size": "20", "page": "3"})
    assert len(response.context["page_obj"]) == 1 and response.context["page_obj"].paginator.count == 41


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


def _more_about(case, user, *templates: str) -> None:
    with transaction.atomic():
        for template in templates:
            notification_queue(template=template, to_user=user,
                               context={"number": case.number, "due": "2026-12-01", "case_id": case.pk})  # fmt: skip


def test_the_messages_about_one_case_are_one_row_with_their_count(cast, requested):
    supervisor = cast.users["supervisor"]
    _more_about(requested, supervisor, "case_deadline_warning", "case_returned")
    with transaction.atomic():  # about no case: a row of its own
        notification_queue(template="case_deadline_warning", to_user=supervisor, context={"number": "X1", "due": "-"})
    client = login(Client(), cast, "supervisor")
    response = client.get(INBOX)
    groups = list(response.context["page_obj"])
    assert [(g.thread, g.total, g.unread) for g in groups] == [("", 1, 1), (f"case:{requested.pk}", 3, 3)]
    assert groups[1].latest.template_code == "case_returned"  # the newest first
    assert [m.template_code for m in groups[1].messages] == [
        "case_returned",
        "case_deadline_warning",
        "case_review_requested",
    ]
    html = response.content.decode()
    assert html.count('class="inbox-item') == 2
    assert "共 3 条，未读 3 条" in html and "<summary>查看全部 3 条</summary>" in html
    assert "<script" not in html[html.index('<ul class="inbox">') :]  # <details>, no script
    assert f'name="group" value="case:{requested.pk}"' in html


def test_marking_a_group_read_marks_all_its_messages_and_nothing_else(cast, requested):
    supervisor = cast.users["supervisor"]
    _more_about(requested, supervisor, "case_deadline_warning", "case_returned")
    _more_about(requested, cast.users["admin_a"], "case_returned")
    with transaction.atomic():
        notification_queue(template="case_deadline_warning", to_user=supervisor, context={"number": "X1", "due": "-"})
    response = login(Client(), cast, "supervisor").post(INBOX, {"group": f"case:{requested.pk}"}, follow=True)
    assert "已将 3 条消息标为已读" in response.content.decode()
    mine = Notification.objects.filter(recipient=supervisor)
    assert mine.filter(read_at__isnull=True).count() == 1  # the message about no case
    assert Notification.objects.get(recipient=cast.users["admin_a"]).read_at is None  # someone else's group
    row = response.context["page_obj"][1]
    assert (row.total, row.unread) == (3, 0)
    assert f'href="{reverse("console:case_detail", args=[requested.pk])}"' in response.content.decode()


def test_opening_a_groups_case_marks_the_group_read(cast, requested):
    supervisor = cast.users["supervisor"]
    _more_about(requested, supervisor, "case_returned")
    response = login(Client(), cast, "supervisor").post(
        INBOX, {"group": f"case:{requested.pk}", "open": f"case:{requested.pk}"}
    )
    assert response["Location"] == reverse("console:case_detail", args=[requested.pk])
    assert not Notification.objects.filter(recipient=supervisor, read_at__isnull=True).exists()


def test_the_unread_tab_shows_groups_with_an_unread_message(cast, requested):
    supervisor = cast.users["supervisor"]
    _more_about(requested, supervisor, "case_returned")
    first = Notification.objects.filter(recipient=supervisor).earliest("id")
    client = login(Client(), cast, "supervisor")
    client.post(INBOX, {"ids": [first.pk]})
    [group] = client.get(INBOX, {"unread": "1"}).context["page_obj"]
    assert (group.total, group.unread) == (2, 1)
    client.post(INBOX, {"group": group.thread})
    assert list(client.get(INBOX, {"unread": "1"}).context["page_obj"]) == []


def test_a_demands_messages_are_one_group_linking_to_the_demand(cast):
    supervisor = cast.users["supervisor"]
    with transaction.atomic():
        for text in ("第一次", "第二次"):
            notification_queue(template="case_deadline_warning", to_user=supervisor,
                               context={"number": text, "due": "-", "demand_id": 7})  # fmt: skip
    response = login(Client(), cast, "supervisor").get(INBOX)
    [group] = response.context["page_obj"]
    assert (group.thread, group.total) == ("demand:7", 2)
    html = response.content.decode()
    assert 'name="open" value="demand:7"' in html and ">查看诉求<" in html


def test_the_thread_is_filled_for_existing_messages_by_the_migration(cast, requested):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("haochaping.notifications.migrations.0007_notification_thread")
    Notification.objects.update(thread="")
    migration.fill_threads(apps, None)
    assert list(Notification.objects.values_list("thread", flat=True)) == [f"case:{requested.pk}"]
