"""The H5 rating page over Django's test client: link states, validation, channels, privacy."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.test import Client

from haochaping.audit.models import AuditEvent
from haochaping.core.crypto import sign_token
from haochaping.evaluations.models import Evaluation
from haochaping.portal.tests.factories import IDENTITY, link_path, push, served_on
from haochaping.rectification.models import RectificationCase
from haochaping.service_records.services import RATING_LINK_PURPOSE
from haochaping.testing import login

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
ANDROID = "Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
DAY = 86400


@pytest.fixture
def record(cast):
    return push(cast)


def text_of(response) -> str:
    return response.content.decode()


def assert_no_identity(response) -> None:
    body = text_of(response)
    for value in IDENTITY:
        assert value not in body, value


# --- the page ------------------------------------------------------------------------------------


def test_a_valid_link_shows_the_service_and_the_staff_but_never_the_applicant(client, record):
    r = client.get(link_path(record))
    assert r.status_code == 200
    body = text_of(r)
    assert '<html lang="zh-CN"' in body
    day = served_on(record)
    served = f"{day.year}年{day.month}月{day.day}日"
    for shown in ("食品经营许可（新办）", "区市场监督管理局", served, "申请受理", "王晓红", "工号 A001"):
        assert shown in body
    for label in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert f">{label}</label>" in body
    assert_no_identity(r)


def test_reasons_come_from_the_active_set_for_the_records_mode(client, cast, record):
    offline = text_of(client.get(link_path(record)))
    assert 'value="XC-TD-B01"' in offline and 'value="WD-CN-B01"' in offline  # offline and any-mode reasons
    assert 'value="WS-ZT-B01"' not in offline  # an online-only reason
    online = text_of(client.get(link_path(push(cast, "SCJG2026110002", mode="online"))))
    assert 'value="WS-ZT-B01"' in online and 'value="XC-TD-B01"' not in online
    # Without JavaScript the reasons are grouped by the levels they fit.
    for heading in ("好评理由", "一般", "差评理由"):
        assert heading in offline


def test_each_level_reason_and_dimension_has_a_label(client, record):
    body = text_of(client.get(link_path(record)))
    for level in range(1, 6):
        assert f'id="level-{level}"' in body and f'for="level-{level}"' in body
    assert 'for="reason-XC-TD-B01"' in body and 'id="reason-XC-TD-B01"' in body
    assert 'for="id-dim_attitude"' in body and 'for="id-text"' in body


# --- submitting ------------------------------------------------------------------------------------


def test_a_good_rating_is_stored_and_thanked(client, record):
    r = client.post(
        link_path(record),
        {"level": "5", "reasons": ["XC-TD-G01", "WD-PT-G01"], "text": "办得很快", "dim_attitude": "5"},
        headers={"User-Agent": DESKTOP},
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("/done")
    evaluation = Evaluation.objects.get(record=record)
    assert (evaluation.level, evaluation.channel, evaluation.text) == (5, 1, "办得很快")
    assert evaluation.reasons == ["XC-TD-G01", "WD-PT-G01"] and evaluation.attitude == 5 and evaluation.trips is None
    assert evaluation.evaluator_name == "" and not RectificationCase.objects.exists()
    done = client.get(r.headers["Location"])
    assert done.status_code == 200 and "感谢您的评价" in text_of(done) and "工单编号" not in text_of(done)
    event = AuditEvent.objects.get(action="evaluations:evaluation:created", target_id=str(evaluation.pk))
    assert event.actor_type == "citizen"


def test_a_bad_rating_opens_a_case_and_the_thank_you_page_explains_what_happens(client, record):
    r = client.post(link_path(record), {"level": "1", "reasons": ["XC-XL-B01"]}, follow=True)
    case = RectificationCase.objects.get(evaluation__record=record)
    body = text_of(r)
    assert case.number in body and "核实" in body and "整改" in body and "短信" in body
    assert f"{case.due_at.astimezone().year}年" in body
    assert_no_identity(r)


@pytest.mark.parametrize(
    ("query", "user_agent", "channel"),
    [
        ("", DESKTOP, 1),
        ("", IPHONE, 2),
        ("", ANDROID, 2),
        ("c=7", IPHONE, 7),  # SMS link
        ("c=3", DESKTOP, 3),  # QR code on the ticket
        ("c=4", IPHONE, 2),  # a link cannot claim to be a hall tablet
        ("c=x", DESKTOP, 1),
        ("c=²", DESKTOP, 1),  # a "digit" int() cannot read
    ],
)
def test_the_channel_is_the_links_origin_else_the_kind_of_browser(client, record, query, user_agent, channel):
    path = link_path(record, query=query)
    page = client.get(path, headers={"User-Agent": user_agent})
    if channel in (3, 7):  # a link channel: carried into the form
        assert f'name="c" value="{channel}"' in text_of(page)
    else:
        assert 'name="c"' not in text_of(page)
    data = {"level": "4"}
    if query:
        data["c"] = query[2:]
    client.post(link_path(record), data, headers={"User-Agent": user_agent})
    assert Evaluation.objects.get(record=record).channel == channel


# --- validation --------------------------------------------------------------------------------


def test_a_bad_level_without_reason_or_text_is_refused_in_chinese_and_the_input_is_kept(client, record):
    r = client.post(link_path(record), {"level": "2", "dim_efficiency": "1", "dim_attitude": "2"})
    assert r.status_code == 422
    body = text_of(r)
    assert "请至少勾选一项理由" in body and 'id="reasons-error"' in body and 'id="form-errors"' in body
    assert 'id="level-2" value="2" checked' in body
    assert '<option value="1" selected>非常不满意</option>' in body  # efficiency kept
    assert '<option value="2" selected>不满意</option>' in body  # attitude kept
    assert "<details" in body and 'id="dimensions-block" open' in body
    assert not Evaluation.objects.exists()


def test_missing_level_keeps_ticked_reasons_and_text(client, record):
    r = client.post(link_path(record), {"reasons": ["XC-TD-B01"], "text": "窗口人员态度生硬"})
    assert r.status_code == 422
    body = text_of(r)
    assert "请选择总体评价" in body
    assert 'value="XC-TD-B01" id="reason-XC-TD-B01"' in body and 'data-levels="2 1" checked' in body
    assert ">窗口人员态度生硬</textarea>" in body and "已输入 8 / 500 字" in body
    assert not Evaluation.objects.exists()


def test_text_over_500_characters_is_refused(client, record):
    text = "慢" * 501
    r = client.post(link_path(record), {"level": "1", "text": text})
    assert r.status_code == 422
    assert "评价内容不能超过 500 字（现有 501 字）" in text_of(r)
    assert text in text_of(r)  # kept, so it can be shortened
    assert not Evaluation.objects.exists()


def test_500_characters_with_line_breaks_are_counted_as_the_page_counts_them(client, record):
    text = "\r\n".join(["好" * 99] * 5)  # 495 characters + 4 line breaks = 499 (CRLF counts as one)
    r = client.post(link_path(record), {"level": "5", "text": text})
    assert r.status_code == 302
    assert len(Evaluation.objects.get(record=record).text) == 499


def test_a_reason_of_another_level_or_mode_is_refused(client, record):
    r = client.post(link_path(record), {"level": "5", "reasons": ["XC-TD-B01"]})
    assert r.status_code == 422 and "态度生硬、冷漠" in text_of(r) and "不一致" in text_of(r)
    r = client.post(link_path(record), {"level": "1", "reasons": ["WS-ZT-B01"]})  # online-only reason
    assert r.status_code == 422 and "所选理由不在本次评价的理由中" in text_of(r)
    r = client.post(link_path(record), {"level": "6"})
    assert r.status_code == 422 and "总体评价无效" in text_of(r)
    r = client.post(link_path(record), {"level": "4", "dim_trips": "9"})
    assert r.status_code == 422 and "“跑趟次数”的评价无效" in text_of(r)
    assert not Evaluation.objects.exists()


# --- link states -------------------------------------------------------------------------------------


def test_a_rated_service_shows_when_and_how_it_was_rated_and_refuses_a_second_rating(client, record):
    client.post(link_path(record), {"level": "3"})
    r = client.get(link_path(record))
    body = text_of(r)
    assert r.status_code == 200 and "这次服务已评价" in body and "基本满意" in body and "只能评价一次" in body
    assert "年" in body and 'name="level"' not in body
    again = Client().post(link_path(record), {"level": "1", "text": "再评一次"})
    assert again.status_code == 409 and "这次服务已评价" in text_of(again)
    assert Evaluation.objects.filter(record=record).count() == 1


def test_the_thank_you_page_is_only_for_the_browser_that_just_rated(client, cast, record):
    # Each link is made once: a link's token carries its expiry to the second, so two calls
    # of link_path across a second boundary give two different (equally valid) links.
    link = link_path(record)
    done = client.post(link, {"level": "4"}).headers["Location"]
    assert "感谢您的评价" in text_of(client.get(done))
    other = Client().get(done)
    assert other.status_code == 302 and other.headers["Location"] == link
    unrated_link = link_path(push(cast, "SCJG2026110002"))
    r = client.get(unrated_link + "/done")
    assert r.status_code == 302 and r.headers["Location"] == unrated_link


def test_an_expired_link_says_so_and_what_to_do_next(client, record, settings):
    settings.PORTAL_HALL_PHONE = "0375-6060123"
    r = client.get(link_path(record, now=time.time() - 31 * DAY))
    body = text_of(r)
    assert r.status_code == 200 and "链接已失效" in body and "二维码" in body
    assert "0375-6060123" in body and 'href="tel:03756060123"' in body
    assert 'name="level"' not in body
    r = client.post(link_path(record, now=time.time() - 31 * DAY), {"level": "5"})
    assert "链接已失效" in text_of(r) and not Evaluation.objects.exists()


def test_an_expired_link_of_an_old_service_does_not_send_the_citizen_to_rate_elsewhere(client, cast):
    """Past CITIZEN_QR_DAYS neither the QR code nor 我的评价 takes a rating: the page says what is left."""
    with time_machine.travel(time.time() - 40 * DAY):
        old = push(cast, "SCJG-OLD")
        link = link_path(old)
    body = text_of(client.get(link))
    assert "链接已失效" in body and "超过网上评价期限" in body and "扫描" not in body
    assert 'id="my-ratings" href="/my/"' in body
    recent = text_of(client.get(link_path(push(cast, "SCJG-RECENT"), now=time.time() - 31 * DAY)))
    assert "扫描" in recent and "30 天内办理的服务可以评价" in recent and 'href="/my/"' in recent


def test_the_invalid_and_rated_pages_point_to_my_ratings(client, record):
    assert 'id="my-ratings" href="/my/"' in text_of(client.get("/r/garbage"))
    client.post(link_path(record), {"level": "1", "text": "窗口人员态度差"})
    body = text_of(client.get(link_path(record)))
    assert "这次服务已评价" in body and "整改进度可在" in body and 'id="my-ratings" href="/my/"' in body


def test_the_hall_phone_has_a_default_and_can_be_configured(client, record, settings):
    expired = link_path(record, now=time.time() - 31 * DAY)
    body = text_of(client.get(expired))
    assert "12345（政务服务便民热线）" in body and 'href="tel:12345"' in body
    settings.PORTAL_HALL_PHONE = "0375-6060888（石龙区政务服务中心）"  # HAOCHAPING_PORTAL_HALL_PHONE
    body = text_of(client.get(expired))
    assert "0375-6060888（石龙区政务服务中心）" in body and 'href="tel:03756060888"' in body


def test_a_form_opened_before_the_link_expired_can_still_be_submitted(client, record):
    issued = time.time()
    path = link_path(record, now=issued - 30 * DAY + 600)  # expires in 10 minutes
    page = text_of(client.get(path))
    opened = page.split('name="opened" value="')[1].split('"')[0]
    with time_machine.travel(issued + 3600, tick=False):  # the reader took an hour
        assert "链接已失效" in text_of(client.get(path))
        r = client.post(path, {"level": "4", "opened": opened})
    assert r.status_code == 302 and Evaluation.objects.filter(record=record).exists()


def test_an_old_or_foreign_opened_stamp_does_not_revive_an_expired_link(client, cast, record):
    other = push(cast, "SCJG2026110002")
    opened = text_of(client.get(link_path(other))).split('name="opened" value="')[1].split('"')[0]
    expired = link_path(record, now=time.time() - 31 * DAY)
    assert "链接已失效" in text_of(client.post(expired, {"level": "4", "opened": opened}))
    assert "链接已失效" in text_of(client.post(expired, {"level": "4", "opened": "garbage"}))
    assert not Evaluation.objects.exists()


def _token(payload) -> str:
    return sign_token(RATING_LINK_PURPOSE, payload)


def test_forged_tampered_and_reused_links_all_get_the_same_404(client, cast, record):
    other = push(cast, "SCJG2026110002")
    good = link_path(record).removeprefix("/r/")
    body, mac = good.split(".")
    future = int(time.time()) + DAY
    tokens = [
        "garbage",
        "a" * 600,
        good[:-1] + ("A" if good[-1] != "A" else "B"),  # signature changed
        f"{_token({'r': other.pk, 'k': record.fingerprint[:12], 'x': future}).split('.')[0]}.{mac}",
        _token({"r": other.pk, "k": record.fingerprint[:12], "x": future}),  # signed, but for another service
        _token({"r": 999999, "k": record.fingerprint[:12], "x": future}),  # signed, record does not exist
        _token({"r": True, "k": record.fingerprint[:12], "x": future}),
        _token({"r": "1", "k": record.fingerprint[:12], "x": future}),
        _token({"r": record.pk, "k": "", "x": future}),
        _token({"r": record.pk, "k": record.fingerprint[:12]}),
        _token({"r": record.pk, "k": record.fingerprint[:12], "x": 10**20}),
        sign_token("other.purpose", {"r": record.pk, "k": record.fingerprint[:12], "x": future}),
        f"{body}.",
        ".",
    ]
    pages = set()
    for token in tokens:
        r = client.get(f"/r/{token}")
        assert r.status_code == 404, token
        assert "链接无效" in text_of(r)
        pages.add(text_of(r).replace(f"/r/{token}?", "/r/…?"))  # the 大字 toggle links back to the same path
        assert client.post(f"/r/{token}", {"level": "5"}).status_code == 404
    assert len(pages) == 1  # nothing tells a missing record from a forged token
    assert not Evaluation.objects.exists()


def test_a_trailing_slash_is_forgiven(client, record):
    path = link_path(record)  # once: a second call may fall in the next second (another token)
    r = client.get(path + "/?c=7")
    assert r.status_code == 302 and r.headers["Location"] == path + "?c=7"


# --- staff -------------------------------------------------------------------------------------------


def test_a_staff_session_can_never_rate_for_a_citizen(client, cast, record):
    login(client, cast, "clerk_a")
    page = client.get(link_path(record))
    assert page.status_code == 200 and "工作人员不能代替办事群众评价" in text_of(page)
    assert 'data-label="提交评价" disabled' in text_of(page)
    r = client.post(link_path(record), {"level": "5", "reasons": ["XC-TD-G01"]})
    assert r.status_code == 403
    assert "工作人员不能代替群众评价" in text_of(r)
    assert not Evaluation.objects.exists()
    event = AuditEvent.objects.get(action="portal:rating:staff_refused")
    assert event.actor_id == str(cast.users["clerk_a"].pk) and event.target_id == str(record.pk)


def test_a_supervisor_session_is_refused_too(client, cast, record):
    login(client, cast, "supervisor")
    assert client.post(link_path(record), {"level": "1", "text": "替群众评"}).status_code == 403
    assert not Evaluation.objects.exists()


# --- privacy, display -------------------------------------------------------------------------------


def test_no_page_ever_contains_the_applicants_identity(client, cast, record):
    assert_no_identity(client.get(link_path(record)))
    assert_no_identity(client.post(link_path(record), {"level": "2"}))  # validation errors
    assert_no_identity(client.post(link_path(record), {"level": "2", "text": "材料要求反复变化"}, follow=True))
    assert_no_identity(client.get(link_path(record)))  # 已评价
    expired = push(cast, "SCJG2026110002")
    assert_no_identity(client.get(link_path(expired, now=time.time() - 31 * DAY)))


def test_the_large_text_switch_works_without_javascript(client, record):
    r = client.get(link_path(record, query="c=7&big=1"))
    assert r.cookies["portal_big"].value == "1" and '<html lang="zh-CN" class="big">' in text_of(r)
    assert "big=0" in text_of(r) and "c=7" in text_of(r)  # the toggle keeps the link's other parameters
    again = client.get(link_path(record))
    assert '<html lang="zh-CN" class="big">' in text_of(again) and "标准版" in text_of(again)
    client.get(link_path(record, query="big=0"))
    assert '<html lang="zh-CN">' in text_of(client.get(link_path(record)))


def test_pages_are_not_cached(client, record):
    r = client.get(link_path(record))
    assert "no-store" in r.headers["Cache-Control"]
