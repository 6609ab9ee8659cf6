"""The feedback SMS's short link to 我的评价 (``/m/<token>``) and the page's own help text."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client

from haochaping.notifications.models import Notification
from haochaping.portal.tests.factories import IDENTITY, OTHER_PHONE, PHONE, push, verify
from haochaping.rectification.workflow import Action
from haochaping.testing_world import rate, step

MY = "/my/"
# A typical feedback, as a department admin writes it (31 characters, ends a sentence itself).
FEEDBACK = "已对窗口人员进行批评教育，并优化一次性告知清单，感谢您的监督。"
SEGMENT = 67  # characters per part of a long (concatenated) Chinese SMS; 70 for a single one


@pytest.fixture
def fed(cast, settings):
    settings.PUBLIC_BASE_URL = "https://pj.shilongqu.gov.cn"  # a production-length address
    record = push(cast, "SCJG-FED")
    case = rate(record, 1, reasons=["XC-TD-B01"]).case
    case = step(cast, "admin_a", case, Action.VERIFY, text="属实")
    case = step(cast, "admin_a", case, Action.RECTIFY, text="已整改")
    step(cast, "admin_a", case, Action.FEED_BACK, text=FEEDBACK)
    push(cast, "SCJG-NEWER")  # a later service of the same citizen: listed above it otherwise
    sms = Notification.objects.get(template_code="case_feedback")
    return record, sms


def link_of(sms) -> str:
    match = re.search(r"https?://\S+", sms.body)
    assert match, sms.body
    return match.group(0)


def test_the_feedback_sms_is_short_reads_right_and_links_to_my_ratings(fed):
    record, sms = fed
    url = link_of(sms)
    assert urlsplit(url).path.startswith("/m/")
    assert sms.body == f"【石龙区政务服务】您对“{record.item.name}”的评价已有整改反馈：{FEEDBACK}查看详情：{url}"
    assert "。。" not in sms.body
    assert len(sms.body) <= 2 * SEGMENT, len(sms.body)  # two SMS parts at most
    assert len(url) <= 60
    # No identity in the link: the token names the record and an expiry day, nothing else.
    for secret in [*IDENTITY, record.project_no, PHONE]:
        assert secret not in url
    assert sms.template_params["url"] == url


def test_a_long_feedback_is_summarised_in_the_sms(cast):
    record = push(cast, "SCJG-LONG")
    case = rate(record, 1, reasons=["XC-TD-B01"]).case
    case = step(cast, "admin_a", case, Action.VERIFY, text="属实")
    case = step(cast, "admin_a", case, Action.RECTIFY, text="已整改")
    step(cast, "admin_a", case, Action.FEED_BACK, text="经核实，" + "窗口已调整排班并增加引导人员，" * 6 + "感谢监督。")
    sms = Notification.objects.get(template_code="case_feedback")
    assert "…查看详情：" in sms.body
    assert len(sms.body) <= 2 * SEGMENT


def test_the_link_asks_for_the_sms_code_then_opens_on_the_service_it_names(fed):
    _record, sms = fed
    client = Client()
    response = client.get(urlsplit(link_of(sms)).path)
    assert response.status_code == 302 and response["Location"] == MY
    html = client.get(MY).content.decode()
    assert "获取验证码" in html and "SCJG-FED" not in html  # not verified by the link
    html = verify(client, MY).content.decode()
    assert 'id="sms-service"' in html and "短信中提到的服务" in html
    assert html.index('data-project="SCJG-FED"') < html.index('data-project="SCJG-NEWER"')
    assert FEEDBACK in html


def test_someone_else_opening_the_link_learns_nothing(fed):
    _record, sms = fed
    client = Client()
    client.get(urlsplit(link_of(sms)).path)
    html = verify(client, MY, phone=OTHER_PHONE).content.decode()
    assert "SCJG-FED" not in html and "sms-service" not in html


def test_an_expired_link_says_so_and_a_forged_one_is_plain_my_ratings(fed):
    _record, sms = fed
    path = urlsplit(link_of(sms)).path
    client = Client()
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=32)):
        assert client.get(path)["Location"] == MY
        html = client.get(MY).content.decode()
    assert 'id="link-expired"' in html and "超过有效期（30 天）" in html
    forged = Client()
    token = path.rsplit("/", 1)[1]
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "1.2.x", "a" * 300):
        assert forged.get(f"/m/{bad}")["Location"] == MY
        html = forged.get(MY).content.decode()
        assert "link-expired" not in html


def test_my_ratings_has_its_own_help_text(client):
    html = client.get(MY).content.decode()
    assert "天内办理的服务可以评价" not in html  # the QR page's text
    assert "全部服务" in html and "整改反馈" in html
