"""Self-service terminal / PC mode (``/kiosk/``): 办件编号 + name or phone → SMS code → rate (channel 5)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.evaluations.models import Evaluation
from haochaping.portal.tests.factories import MASKED, PHONE, code_for, link_path, push
from haochaping.rectification.models import RectificationCase
from haochaping.testing import login

KIOSK = "/kiosk/"
SERVICES = "/kiosk/services"


def body(response) -> str:
    return response.content.decode()


@pytest.fixture
def records(cast):
    """One 办件 with two services (accepted, decided) and another person's 办件."""
    first = push(cast, "SCJG-K1", service_no=1)
    second = push(cast, "SCJG-K1", service_no=2, stage="3")
    other = push(cast, "SCJG-K2", applicant_name="赵明远", applicant_phone="13987654321")
    return first, second, other


def start(client, project_no: str = "SCJG-K1", who: str = "张三丰"):
    return client.post(KIOSK, {"project_no": project_no, "who": who})


def sign_in(client, project_no: str = "SCJG-K1", who: str = "张三丰"):
    r = start(client, project_no, who)
    assert r.status_code == 302 and r["Location"] == reverse("portal:kiosk_code"), body(r)
    r = client.post(r["Location"], {"code": code_for()})
    assert r.status_code == 302 and r["Location"] == SERVICES
    return client.get(SERVICES)


def test_the_start_page_is_large_and_asks_for_the_project_number_and_name(client, db):
    html = body(client.get(KIOSK))
    assert '<html lang="zh-CN" class="kiosk-page"' in html and "data-kiosk" in html and 'data-idle="120"' in html
    assert "办件编号" in html and "申请人姓名或手机号码" in html


def test_by_name_the_code_goes_to_the_phone_on_the_record_and_the_services_are_rated_on_channel_5(
    client, cast, records
):
    first = records[0]
    r = start(client, "SCJG-K1", " 张 三丰 ")  # spaces typed by accident
    code_page = client.get(r["Location"])
    assert MASKED in body(code_page) and "SCJG-K1" in body(code_page)
    assert client.post(r["Location"], {"code": code_for()})["Location"] == SERVICES
    listing = client.get(SERVICES)
    html = body(listing)
    assert "申请受理" in html and "审查决定" in html and "2 项待评价" in html
    for value in ("张三丰", PHONE, "410404199001011234"):
        assert value not in html
    rate_url = reverse("portal:kiosk_rate", args=[first.pk])
    form = client.get(rate_url)
    assert form.status_code == 200 and "请您评价这次服务" in body(form) and "返回服务列表" in body(form)
    assert 'name="c"' not in body(form) and "data-kiosk" in body(form)
    r = client.post(rate_url, {"level": "1", "reasons": ["XC-TD-B01"], "text": "等了很久"})
    assert r.status_code == 302 and r["Location"] == reverse("portal:kiosk_done", args=[first.pk])
    evaluation = Evaluation.objects.get(record=first)
    assert (evaluation.level, evaluation.channel) == (1, 5)
    done = body(client.get(r["Location"]))
    case = RectificationCase.objects.get(evaluation=evaluation)
    assert "感谢您的评价" in done and case.number in done and "还有 1 项" in done
    # Rated once only: the form is gone, the list says so.
    assert client.get(rate_url)["Location"] == reverse("portal:kiosk_services")
    assert "1 项待评价" in body(client.get(SERVICES))
    assert client.post(rate_url, {"level": "5"})["Location"] == reverse("portal:kiosk_services")
    assert Evaluation.objects.count() == 1


def test_by_phone_number(client, cast, records):
    assert "SCJG-K1" in body(sign_in(client, "SCJG-K1", "138-1234-5678"))


def test_a_wrong_name_or_phone_says_the_same_as_an_unknown_project(client, cast, records):
    answers = [
        start(client, "SCJG-K1", "张三"),
        start(client, "SCJG-K1", "13900000000"),
        start(client, "NO-SUCH-PROJECT", "张三丰"),
        start(client, "SCJG-K2", "张三丰"),  # somebody else's 办件
    ]
    for r in answers:
        assert r.status_code == 422 and "办件编号与申请人姓名（或手机号码）不一致" in body(r)
    events = AuditEvent.objects.filter(action="portal:kiosk:lookup_failed")
    assert events.count() == 4
    assert "张三" not in json.dumps([e.data for e in events], ensure_ascii=False)
    assert not AuditEvent.objects.filter(action="portal:sms_code:issued").exists()


def test_five_misses_lock_the_project_number_for_fifteen_minutes(client, cast, records):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(5):
            start(client, "SCJG-K1", "李四")
        r = start(client, "SCJG-K1", "张三丰")
        assert r.status_code == 429 and "查询失败次数过多" in body(r)
        assert start(client, "SCJG-K2", "赵明远").status_code == 302  # other numbers are not affected
        clock.shift(15 * 60 + 1)
        assert start(client, "SCJG-K1", "张三丰").status_code == 302


def test_a_record_without_a_mobile_number_cannot_be_verified_here(client, cast):
    push(cast, "SCJG-NOPHONE", applicant_phone="")
    push(cast, "SCJG-LANDLINE", applicant_phone="0375-1234567")
    for project_no in ("SCJG-NOPHONE", "SCJG-LANDLINE"):
        r = start(client, project_no)
        assert r.status_code == 422 and "没有登记可以接收短信的手机号码" in body(r)


def test_sms_limits_apply(client, cast, records):
    start(client)
    r = start(client)
    assert r.status_code == 429 and "请 60 秒后再获取验证码" in body(r)


def test_a_wrong_code_and_the_lock(client, cast, records):
    start(client)
    wrong = f"{(int(code_for()) + 1) % 10**6:06d}"
    for _ in range(4):
        assert "验证码错误" in body(client.post(reverse("portal:kiosk_code"), {"code": wrong}))
    html = body(client.post(reverse("portal:kiosk_code"), {"code": wrong}))
    assert "连续输错 5 次" in html and "请返回首页重新开始" in html
    assert client.get(SERVICES)["Location"] == f"{KIOSK}?timeout=1"


def test_the_terminal_forgets_the_person_after_inactivity(client, cast, records, settings):
    first = records[0]
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client)
        clock.shift(100)
        assert client.get(SERVICES).status_code == 200  # activity: the idle time starts again
        clock.shift(119)
        assert client.get(SERVICES).status_code == 200
        clock.shift(121)
        r = client.get(SERVICES)
        assert r["Location"] == f"{KIOSK}?timeout=1"
        assert "因长时间未操作，已自动退出" in body(client.get(r["Location"]))
        assert client.get(reverse("portal:kiosk_rate", args=[first.pk]))["Location"] == f"{KIOSK}?timeout=1"


def test_a_rating_form_opened_in_time_is_accepted_later_without_time_pressure(client, cast, records):
    first = records[0]
    rate_url = reverse("portal:kiosk_rate", args=[first.pk])
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sign_in(client)
        assert client.get(rate_url).status_code == 200
        clock.shift(10 * 60)  # a slow, careful reader
        assert client.post(rate_url, {"level": "4"}).status_code == 302
        clock.shift(25 * 60)  # but not after the 30-minute session
        assert client.post(reverse("portal:kiosk_rate", args=[records[1].pk]), {"level": "4"}).status_code == 302
    assert Evaluation.objects.count() == 1


def test_finishing_or_reopening_the_start_page_ends_the_session(client, cast, records):
    sign_in(client)
    r = client.post(reverse("portal:kiosk_reset"))
    assert r["Location"] == KIOSK
    assert client.get(SERVICES)["Location"] == f"{KIOSK}?timeout=1"
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):  # one code a minute per phone
        sign_in(client)
        client.get(KIOSK)
        assert client.get(SERVICES)["Location"] == f"{KIOSK}?timeout=1"


def test_the_kiosk_state_is_not_a_verified_phone_for_my_ratings(client, cast, records):
    sign_in(client)
    assert "获取验证码" in body(client.get("/my/"))


def test_a_staff_session_on_a_terminal_cannot_rate(client, cast, records):
    login(client, cast, "clerk_a")
    sign_in(client)
    rate_url = reverse("portal:kiosk_rate", args=[records[0].pk])
    assert "此终端已登录管理后台" in body(client.get(SERVICES))
    assert "此浏览器已登录管理后台" in body(client.get(rate_url))
    r = client.post(rate_url, {"level": "5"})
    assert r.status_code == 403 and "工作人员不能代替群众评价" in body(r)
    assert not Evaluation.objects.exists()
    assert AuditEvent.objects.filter(action="portal:rating:staff_refused").count() == 1


def test_validation_errors_keep_the_input_on_the_kiosk_form(client, cast, records):
    sign_in(client)
    r = client.post(reverse("portal:kiosk_rate", args=[records[0].pk]), {"level": "2", "dim_attitude": "2"})
    assert r.status_code == 422 and "请至少勾选一项理由" in body(r) and "data-kiosk" in body(r)


# --- issue 13 item 16 ------------------------------------------------------------------------------


def test_the_kiosk_has_the_big_type_switch_and_a_fresh_start_returns_to_the_default(client, cast, records):
    html = body(client.get(KIOSK))
    assert 'href="/kiosk/?big=1"' in html and ">大字版</a>" in html
    big = client.get(KIOSK, {"big": "1"})
    assert '<html lang="zh-CN" class="big kiosk-page"' in body(big) and ">标准版</a>" in body(big)
    assert client.cookies["portal_big"].value == "1"
    r = start(client)  # the choice holds for this person's visit
    assert '<html lang="zh-CN" class="big kiosk-page"' in body(client.get(r["Location"]))
    fresh = client.get(KIOSK)  # 返回首页, the idle return, the next person
    assert '<html lang="zh-CN" class="kiosk-page"' in body(fresh)
    assert fresh.cookies["portal_big"].value == "" and fresh.cookies["portal_big"]["max-age"] == 0


def test_a_scanned_receipt_link_fills_in_its_project_number(client, cast, records):
    url = "https://pj.example.gov.cn" + link_path(records[1])
    r = client.post(KIOSK, {"project_no": url, "who": ""})  # the scanner's Enter
    html = body(r)
    assert r.status_code == 200 and "已读取受理回执上的办件编号" in html
    assert 'value="SCJG-K1"' in html and url not in html and "field-error" not in html
    r = client.post(KIOSK, {"project_no": url, "who": "张三丰"})
    assert r.status_code == 302 and r["Location"] == reverse("portal:kiosk_code")
    # A plain 办件编号 in the QR code is taken as typed; a forged link is not read.
    assert start(client, " SCJG-K2\n", "赵明远").status_code == 302
    r = client.post(KIOSK, {"project_no": "https://pj.example.gov.cn/r/forged-token", "who": "张三丰"})
    assert r.status_code == 422 and "无法识别该二维码" in body(r)


def test_one_client_address_trying_many_numbers_is_refused(client, cast, records, settings):
    settings.KIOSK_LOOKUP_CLIENT_FAILURES = 6
    for n in range(6):  # a different number each time: the per-number limit never trips
        r = client.post(KIOSK, {"project_no": f"SCJG-X{n}", "who": "张三丰"}, REMOTE_ADDR="10.1.1.1")
        assert r.status_code == 422
    r = client.post(KIOSK, {"project_no": "SCJG-K1", "who": "张三丰"}, REMOTE_ADDR="10.1.1.1")
    assert r.status_code == 429 and "本终端查询失败次数过多" in body(r)
    # Another terminal is not affected.
    assert client.post(KIOSK, {"project_no": "SCJG-K1", "who": "张三丰"}, REMOTE_ADDR="10.1.1.2").status_code == 302


def test_a_wrong_name_costs_what_an_unknown_number_costs(client, cast, records, monkeypatch):
    """The answer's text was already the same; its work (identity decryptions) is too now, so
    the timing does not tell that the number exists."""
    from haochaping.core import crypto

    calls: list[str] = []
    real = crypto.sm4_decrypt

    def counting(token, *, context=""):
        calls.append(context)
        return real(token, context=context)

    monkeypatch.setattr("haochaping.core.fields.sm4_decrypt", counting)
    monkeypatch.setattr("haochaping.portal.citizen_data.sm4_decrypt", counting, raising=False)
    counts = {}
    for project_no, who in (("SCJG-K2", "张三"), ("NO-SUCH", "张三"), ("SCJG-K2", "13900000000"),
                            ("NO-SUCH", "13900000000")):  # fmt: skip
        calls.clear()
        r = start(client, project_no, who)
        assert r.status_code == 422 and "办件编号与申请人姓名（或手机号码）不一致" in body(r)
        counts[(project_no, who)] = len(calls)
    assert counts[("SCJG-K2", "张三")] == counts[("NO-SUCH", "张三")] > 0
    assert counts[("SCJG-K2", "13900000000")] == counts[("NO-SUCH", "13900000000")] > 0
