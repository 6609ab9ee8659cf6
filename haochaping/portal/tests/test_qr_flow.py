"""The static QR code of a place (``/q/<slug>``) over Django's test client: phone, SMS code, the
unrated services of that place, and rating them through the signed-link page (channel 3)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.evaluations.models import Evaluation
from haochaping.organizations.qrcodes import qr_code_regenerate, qr_place_get_for
from haochaping.organizations.selectors import Scope
from haochaping.portal.tests.factories import MASKED, OTHER_PHONE, PHONE, code_for, push, qr_for, verify
from haochaping.testing import login

PRIVATE = ["张三丰", "410404199001011234", "4104**********1234", PHONE, "赵明远", OTHER_PHONE]


def body(response) -> str:
    return response.content.decode()


def qr_url(qr) -> str:
    return reverse("portal:qr", args=[qr.slug])


@pytest.fixture
def window_qr(cast):
    return qr_for(window=cast.window_a)


@pytest.fixture
def record(cast):
    return push(cast)


def assert_private(response) -> None:
    html = body(response)
    for value in PRIVATE:
        assert value not in html, value


# --- the page --------------------------------------------------------------------------------------


def test_the_qr_page_names_the_window_and_asks_for_the_phone(client, cast, window_qr):
    r = client.get(qr_url(window_qr))
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    html = body(r)
    assert "市场监管综合窗口" in html and "石龙区政务服务中心" in html and "扫码评价" in html
    assert 'type="tel"' in html and 'autocomplete="tel"' in html and "获取验证码" in html


def test_a_street_centres_qr_page_names_the_centre(client, cast):
    qr = qr_for(unit=cast.street)
    html = body(client.get(qr_url(qr)))
    assert "人民路街道便民服务中心" in html and "街道便民服务中心" in html


@pytest.mark.parametrize("slug", ["x" * 16, "abc", "A" * 40, "%2e%2e", "Zm9vYmFyYmF6cXV4cXV4"])
def test_a_forged_slug_is_a_404_page(client, cast, window_qr, slug):
    r = client.get(f"/q/{slug}")
    assert r.status_code == 404 and "二维码无效" in body(r)
    assert client.post(f"/q/{slug}", {"phone": PHONE}).status_code == 404
    assert client.get(f"/q/{slug}/code").status_code == 404


def test_a_regenerated_code_replaces_the_old_one(client, cast, window_qr):
    old = window_qr.slug
    place = qr_place_get_for(scope=Scope(unit_path="/"), ref=f"w{cast.window_a.pk}")
    new = qr_code_regenerate(actor=Actor.cli("tests"), place=place).slug
    assert new != old
    assert client.get(f"/q/{old}").status_code == 404
    assert client.get(f"/q/{new}").status_code == 200
    assert client.get(f"/q/{new}/")["Location"] == f"/q/{new}"  # a scanner's trailing slash


def test_a_deactivated_window_s_code_no_longer_opens(client, cast, window_qr):
    cast.window_a.is_active = False
    cast.window_a.save(update_fields=["is_active"])
    assert client.get(qr_url(window_qr)).status_code == 404


# --- the flow --------------------------------------------------------------------------------------


def test_a_citizen_verifies_the_phone_sees_the_unrated_service_and_rates_it_by_qr(client, cast, window_qr, record):
    r = client.post(qr_url(window_qr), {"phone": "138 1234 5678"})
    assert r.status_code == 302 and r["Location"] == reverse("portal:qr_code", args=[window_qr.slug])
    page = client.get(r["Location"])
    assert MASKED in body(page) and 'autocomplete="one-time-code"' in body(page)
    r = client.post(r["Location"], {"code": code_for()})
    assert r.status_code == 302 and r["Location"] == qr_url(window_qr)

    listing = client.get(qr_url(window_qr))
    html = body(listing)
    assert "食品经营许可（新办）" in html and "王晓红" in html and "工号 A001" in html
    rate_url = reverse("portal:qr_rate", args=[window_qr.slug, record.pk])
    assert rate_url in html
    assert_private(listing)

    r = client.get(rate_url)
    assert r.status_code == 302 and r["Location"].startswith("/r/") and r["Location"].endswith("?c=3")
    form = client.get(r["Location"])
    assert 'name="c" value="3"' in body(form)
    token_path = r["Location"].split("?")[0]
    assert client.post(token_path, {"level": "5", "c": "3"}).status_code == 302
    evaluation = Evaluation.objects.get(record=record)
    assert (evaluation.level, evaluation.channel) == (5, 3)

    after = body(client.get(qr_url(window_qr)))
    assert "暂无待评价的服务" in after and rate_url not in after
    assert client.get(rate_url)["Location"] == qr_url(window_qr)  # rated: back to the list


def test_a_place_code_lists_services_at_its_windows_and_of_the_place_itself(client, cast):
    at_hall = push(cast, "HALL-1")  # window W-A1 stands in the centre (hall)
    at_street = push(cast, "JD-1", unit_code="JD01", window_code=None, staff_no=None)
    hall = body(verify(client, qr_url(qr_for(unit=cast.center))))
    assert f"/rate/{at_hall.pk}" in hall and f"/rate/{at_street.pk}" not in hall
    street = body(client.get(qr_url(qr_for(unit=cast.street))))
    assert f"/rate/{at_street.pk}" in street and f"/rate/{at_hall.pk}" not in street
    window_b = body(client.get(qr_url(qr_for(window=cast.window_b))))
    assert "暂无待评价的服务" in window_b


def test_another_phone_never_sees_or_reaches_someone_elses_services(client, cast, window_qr, record):
    theirs = push(cast, "SCJG-OTHER", applicant_name="赵明远", applicant_phone=OTHER_PHONE)
    html = body(verify(client, qr_url(window_qr), OTHER_PHONE))
    assert f"/rate/{theirs.pk}" in html and f"/rate/{record.pk}" not in html
    assert "食品经营许可（新办）" in html  # their own, same item
    # Asking for the other record by id leads back to the list, never to its rating link.
    r = client.get(reverse("portal:qr_rate", args=[window_qr.slug, record.pk]))
    assert r["Location"] == qr_url(window_qr)
    # Without a verified phone nothing is listed or reachable.
    stranger = Client()
    assert "获取验证码" in body(stranger.get(qr_url(window_qr)))
    r = stranger.get(reverse("portal:qr_rate", args=[window_qr.slug, theirs.pk]))
    assert r["Location"] == qr_url(window_qr)


def test_only_the_last_n_days_are_listed(client, cast, window_qr, record, settings):
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        html = body(verify(client, qr_url(window_qr)))
        assert "暂无待评价的服务" in html and "近 30 天" in html
        settings.CITIZEN_QR_DAYS = 60
        assert f"/rate/{record.pk}" in body(client.get(qr_url(window_qr)))


def test_the_verified_phone_lasts_thirty_minutes(client, cast, window_qr, record):
    verify(client, qr_url(window_qr))
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=29)):
        assert f"/rate/{record.pk}" in body(client.get(qr_url(window_qr)))
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        html = body(client.get(qr_url(window_qr)))
        assert "获取验证码" in html and f"/rate/{record.pk}" not in html


def test_logging_out_forgets_the_phone(client, cast, window_qr, record):
    verify(client, qr_url(window_qr))
    r = client.post(reverse("portal:citizen_logout"), {"next": qr_url(window_qr)})
    assert r["Location"] == qr_url(window_qr)
    assert "获取验证码" in body(client.get(qr_url(window_qr)))
    r = client.post(reverse("portal:citizen_logout"), {"next": "https://evil.example/"})
    assert r["Location"] == reverse("portal:my")


def test_an_invalid_phone_is_explained_and_nothing_is_sent(client, cast, window_qr):
    r = client.post(qr_url(window_qr), {"phone": "12345"})
    assert r.status_code == 422 and "请输入正确的 11 位手机号码" in body(r)
    r = client.post(qr_url(window_qr), {"phone": ""})
    assert r.status_code == 422 and "请输入您办事时登记的手机号码" in body(r)
    assert not AuditEvent.objects.filter(action="portal:sms_code:issued").exists()


def test_the_rate_limits_show_on_the_page_in_chinese(client, cast, window_qr):
    assert client.post(qr_url(window_qr), {"phone": PHONE}).status_code == 302
    r = client.post(qr_url(window_qr), {"phone": PHONE})
    assert r.status_code == 429 and "请 60 秒后再获取验证码" in body(r)
    assert 'value="13812345678"' in body(r)  # the citizen's own input is kept on their page


def test_asked_again_too_soon_the_code_already_sent_can_still_be_entered(client, cast, window_qr, record):
    assert client.post(qr_url(window_qr), {"phone": PHONE}).status_code == 302
    code_url = reverse("portal:qr_code", args=[window_qr.slug])
    # Back on the QR page (browser back, or scanned again) with a code on its way: its field is there.
    html = body(client.get(qr_url(window_qr)))
    assert 'id="pending-code-form"' in html and f'action="{code_url}"' in html and 'data-wait="60"' in html
    # Pressing 获取验证码 again too soon: the wait is explained and the code field offered, not blocked.
    r = client.post(qr_url(window_qr), {"phone": PHONE})
    html = body(r)
    assert r.status_code == 429 and "请 60 秒后再获取验证码" in html
    assert 'id="pending-code-form"' in html and f'action="{code_url}"' in html and MASKED in html
    assert client.post(code_url, {"code": code_for()})["Location"] == qr_url(window_qr)
    assert "去评价" in body(client.get(qr_url(window_qr)))


def test_too_soon_in_a_fresh_session_still_offers_the_code_field(client, cast, window_qr, record):
    """The code went to this phone from another tab or browser a moment ago: enter it here."""
    assert Client().post(qr_url(window_qr), {"phone": PHONE}).status_code == 302
    r = client.post(qr_url(window_qr), {"phone": PHONE})
    assert r.status_code == 429 and 'id="pending-code-form"' in body(r)
    code_url = reverse("portal:qr_code", args=[window_qr.slug])
    assert client.post(code_url, {"code": code_for()})["Location"] == qr_url(window_qr)


def test_after_rating_from_a_qr_code_the_citizen_can_rate_another_or_open_my_ratings(client, cast, window_qr):
    first, second = push(cast, "SCJG-Q1"), push(cast, "SCJG-Q2")
    verify(client, qr_url(window_qr))
    r = client.get(reverse("portal:qr_rate", args=[window_qr.slug, first.pk]))
    token_path = r["Location"].split("?")[0]
    done = client.post(token_path, {"level": "5", "c": "3"})
    html = body(client.get(done["Location"]))
    assert "感谢您的评价" in html
    assert f'id="continue-rating" href="{qr_url(window_qr)}"' in html and "继续评价其他服务" in html
    assert f'id="my-ratings" href="{reverse("portal:my")}"' in html
    listing = body(client.get(qr_url(window_qr)))
    assert reverse("portal:qr_rate", args=[window_qr.slug, second.pk]) in listing


def test_brute_force_on_the_code_page_locks_the_phone(client, cast, window_qr, record):
    client.post(qr_url(window_qr), {"phone": PHONE})
    code_url = reverse("portal:qr_code", args=[window_qr.slug])
    wrong = f"{(int(code_for()) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        r = client.post(code_url, {"code": wrong})
        assert r.status_code == 429 and f"还可以再试 {left} 次" in body(r)
    r = client.post(code_url, {"code": wrong})
    assert "连续输错 5 次" in body(r) and "返回重新获取验证码" in body(r)
    r = client.post(code_url, {"code": code_for()})
    assert "已暂时锁定" in body(r)
    assert "获取验证码" in body(client.get(qr_url(window_qr)))  # not verified
    r = client.post(qr_url(window_qr), {"phone": PHONE})
    assert r.status_code == 429 and "已暂时锁定" in body(r)


def test_the_code_page_without_a_sent_code_goes_back_to_the_phone_form(client, cast, window_qr):
    r = client.get(reverse("portal:qr_code", args=[window_qr.slug]))
    assert r["Location"] == qr_url(window_qr)
    # A code sent from another place's page is entered there, not here.
    other = qr_for(window=cast.window_b)
    client.post(qr_url(other), {"phone": PHONE})
    assert client.get(reverse("portal:qr_code", args=[window_qr.slug]))["Location"] == qr_url(window_qr)


def test_a_staff_session_can_look_but_never_rate_through_the_qr_flow(client, cast, window_qr, record):
    login(client, cast, "clerk_a")
    listing = verify(client, qr_url(window_qr))
    assert "此浏览器已登录管理后台" in body(listing)
    r = client.get(reverse("portal:qr_rate", args=[window_qr.slug, record.pk]))
    rating_page = client.get(r["Location"])
    assert "此浏览器已登录管理后台" in body(rating_page)
    r = client.post(r["Location"].split("?")[0], {"level": "5", "c": "3"})
    assert r.status_code == 403 and "工作人员不能代替群众评价" in body(r)
    assert not Evaluation.objects.exists()
    refused = AuditEvent.objects.get(action="portal:rating:staff_refused")
    assert refused.actor_id == str(cast.users["clerk_a"].pk)
