"""The supervisors' daily digest of overdue cases and demands (督办汇总, issue 13 item 8)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from haochaping.audit.services import Actor
from haochaping.notifications.models import Notification
from haochaping.organizations.models import Role
from haochaping.organizations.services import console_user_create
from haochaping.outreach.services import supervision_digest_daily, supervision_digest_send
from haochaping.outreach.tests.factories import assigned_demand
from haochaping.rectification.models import RectificationCase
from haochaping.testing import PASSWORD, login
from haochaping.testing_world import push, push_b, rate

SH = ZoneInfo("Asia/Shanghai")
OPENED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH)  # the cases are due 2026-11-17 23:59:59
LATER = dt.datetime(2026, 11, 20, 9, 0, tzinfo=SH)  # three days past it, after the digest hour


def digests(user) -> list[Notification]:
    return list(Notification.objects.filter(template_code="supervision_digest", recipient=user).order_by("id"))


@pytest.fixture
def overdue(cast, time_machine, settings):
    """Four cases (three of unit A, one of unit B) and a demand of unit A, all past their time
    limit at ``LATER``."""
    settings.SUPERVISION_DIGEST_HOUR = 8
    time_machine.move_to(OPENED, tick=False)
    cases = [rate(push(cast, f"SCJG-DIG-{n}"), 1, text="态度不好").case for n in range(3)]
    cases.append(rate(push_b(cast, "RSJ-DIG-1"), 2, text="等太久").case)
    demand = assigned_demand(cast, "营业执照变更登记进度太慢", category="timeliness")
    time_machine.move_to(LATER, tick=False)
    return cases, demand


def test_a_supervisor_gets_one_digest_listing_the_overdue_cases_instead_of_a_message_each(cast, overdue):
    cases, demand = overdue
    result = supervision_digest_daily()

    assert result.sent == 1
    assert RectificationCase.objects.filter(escalated_at__isnull=False).count() == 4  # the scans ran first
    supervisor = cast.users["supervisor"]
    assert not Notification.objects.filter(
        recipient=supervisor, template_code__in=["case_escalated", "demand_escalated"]
    ).exists()
    [digest] = digests(supervisor)
    assert digest.title == "今日逾期督办汇总：工单 4 件、诉求 1 件"
    assert digest.body.startswith("截至 2026-11-20 09:00，您督办范围内逾期未办结的工单 4 件、诉求 1 件：\n")
    for case in cases[:3]:
        assert f"· 工单 {case.number}（区市场监督管理局）逾期 3 天" in digest.body
    assert f"· 工单 {cases[3].number}（区人力资源和社会保障局）逾期 3 天" in digest.body
    assert f"· 诉求 {demand.number}（区市场监督管理局）逾期" in digest.body
    assert digest.context["cases_url"] == reverse("console:case_list") + "?tab=overdue"
    assert digest.context["demands_url"] == reverse("console:outreach_demand_list") + "?tab=overdue"
    assert digest.dedupe_key == f"digest:2026-11-20:{supervisor.pk}" and digest.thread == "digest:supervision"
    # The units were told what to do, one message per case each.
    assert Notification.objects.filter(template_code="case_escalated", recipient=cast.users["admin_a"]).count() == 3
    assert Notification.objects.filter(template_code="case_escalated", recipient=cast.users["admin_b"]).count() == 1


def test_the_digest_goes_out_once_a_day(cast, overdue, time_machine):
    supervisor = cast.users["supervisor"]
    assert supervision_digest_daily().sent == 1
    time_machine.move_to(LATER + dt.timedelta(hours=6), tick=False)
    again = supervision_digest_daily()
    assert (again.sent, again.already) == (0, 1)
    assert supervision_digest_send().sent == 0
    assert len(digests(supervisor)) == 1
    time_machine.move_to(LATER + dt.timedelta(days=1), tick=False)
    assert supervision_digest_daily().sent == 1
    _first, second = digests(supervisor)
    assert second.dedupe_key == f"digest:2026-11-21:{supervisor.pk}" and "逾期 4 天" in second.body


def test_before_the_digest_hour_the_job_does_nothing(cast, overdue, time_machine):
    time_machine.move_to(LATER.replace(hour=7, minute=30), tick=False)
    assert supervision_digest_daily().early
    assert not digests(cast.users["supervisor"])
    assert not RectificationCase.objects.filter(escalated_at__isnull=False).exists()


def test_no_digest_when_nothing_is_overdue(cast, time_machine):
    time_machine.move_to(OPENED, tick=False)
    rate(push(cast, "SCJG-DIG-OK"), 1, text="态度不好")  # due in 15 days
    result = supervision_digest_daily()
    assert (result.sent, result.nothing) == (0, 1)
    assert not Notification.objects.filter(template_code="supervision_digest").exists()


def test_each_supervisor_hears_only_of_the_overdue_work_in_their_scope(cast, overdue):
    cases, _demand = overdue
    street = console_user_create(actor=Actor.cli(), username="street_sup", password=PASSWORD, unit=cast.street,
                                 role=Role.SUPERVISOR)  # fmt: skip
    unit_b = console_user_create(actor=Actor.cli(), username="rsj_sup", password=PASSWORD, unit=cast.unit_b,
                                 role=Role.SUPERVISOR)  # fmt: skip
    result = supervision_digest_daily()
    assert (result.sent, result.nothing) == (2, 1)
    assert not digests(street)  # nothing overdue below the street
    [digest] = digests(unit_b)
    assert digest.title == "今日逾期督办汇总：工单 1 件、诉求 0 件"
    assert cases[3].number in digest.body and cases[0].number not in digest.body
    assert digest.context["demands_url"] == ""  # no demand to list: no link
    assert len(digests(cast.users["supervisor"])) == 1


def test_a_long_list_is_cut_and_counted(cast, overdue, monkeypatch):
    from haochaping.outreach.services import digest as module

    monkeypatch.setattr(module, "ITEMS_LISTED", 2)
    supervision_digest_daily()
    [digest] = digests(cast.users["supervisor"])
    assert digest.body.count("· 工单 ") == 2 and "……另有工单 2 件，见逾期清单" in digest.body


def test_the_inbox_shows_the_digest_with_links_to_the_overdue_lists(cast, overdue):
    supervision_digest_daily()
    response = login(Client(), cast, "supervisor").get(reverse("console:inbox"))
    html = response.content.decode()
    assert "今日逾期督办汇总：工单 4 件、诉求 1 件" in html
    assert f'href="{reverse("console:case_list")}?tab=overdue"' in html and ">查看逾期工单<" in html
    assert f'href="{reverse("console:outreach_demand_list")}?tab=overdue"' in html and ">查看逾期诉求<" in html
    assert "区市场监督管理局）逾期 3 天<br>" in html  # one line per item
