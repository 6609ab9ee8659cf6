"""Static QR code end to end in headless Chromium on a phone: scan (open) a window's code, phone
number, the SMS code read from the demo outbox after the worker ran, the unrated service, rate
it, and it is gone from the list. Screenshots in artifacts/screenshots/qr-*.png."""

from __future__ import annotations

import pytest

from haochaping.evaluations.models import Evaluation
from haochaping.portal.tests.factories import PHONE, push, qr_for, sms_code_from_outbox
from haochaping.testing import build_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_fits_the_screen(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_citizen_scans_a_window_code_verifies_the_phone_and_rates_the_service(browser):
    cast = build_cast()
    record = push(cast)
    qr = qr_for(window=cast.window_a)
    page = browser.new_page("phone")

    page.goto(f"/q/{qr.slug}")
    assert page.locator("h1").inner_text() == "扫码评价"
    assert page.locator("#place-name").inner_text() == "市场监管综合窗口"
    assert page.get_by_text("石龙区政务服务中心").first.is_visible()
    assert_fits_the_screen(page)
    browser.screenshot(page, "qr-phone-start")

    page.get_by_label("手机号码").fill("138 1234 5678")
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url(f"**/q/{qr.slug}/code")
    assert page.locator("#masked-phone").inner_text() == "138****5678"
    code = sms_code_from_outbox()
    page.get_by_label("短信验证码").fill(code)
    browser.screenshot(page, "qr-phone-code")
    page.get_by_role("button", name="验证").click()

    page.wait_for_url(f"**/q/{qr.slug}")
    services = page.locator("#pending-services > li")
    assert services.count() == 1
    assert (
        "食品经营许可（新办）" in services.first.inner_text() and "王晓红（工号 A001）" in services.first.inner_text()
    )
    assert_fits_the_screen(page)
    browser.screenshot(page, "qr-phone-services")

    page.get_by_role("link", name="去评价").click()
    page.wait_for_url("**/r/**")
    assert page.locator("h1").inner_text() == "请您评价这次服务"
    page.locator("#level-block").get_by_text("满意", exact=True).click()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url("**/done")
    assert page.locator("h1").inner_text() == "感谢您的评价！"
    evaluation = Evaluation.objects.get(record=record)
    assert (evaluation.level, evaluation.channel) == (4, 3)  # 二维码

    page.goto(f"/q/{qr.slug}")
    assert page.locator("#pending-services").count() == 0
    assert page.get_by_text("暂无待评价的服务").is_visible()
    browser.screenshot(page, "qr-phone-all-rated")
    for value in ("张三丰", PHONE, "410404199001011234"):
        assert value not in page.content()


def test_a_wrong_code_is_explained_and_a_forged_code_is_a_404_page(browser):
    cast = build_cast()
    qr = qr_for(window=cast.window_a)
    page = browser.new_page("phone", big=True)
    page.goto(f"/q/{qr.slug}")
    page.get_by_label("手机号码").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url("**/code")
    code = sms_code_from_outbox()
    page.get_by_label("短信验证码").fill(f"{(int(code) + 1) % 10**6:06d}")
    page.get_by_role("button", name="验证").click()
    assert "还可以再试 4 次" in page.locator("#form-errors").inner_text()
    assert_fits_the_screen(page)
    browser.screenshot(page, "qr-phone-wrong-code-big")

    response = page.goto(f"/q/{qr.slug[:-2]}xx")
    assert response.status == 404 and page.locator("h1").inner_text() == "二维码无效"
    browser.screenshot(page, "qr-phone-invalid")


def test_at_390px_a_code_already_received_is_entered_while_the_resend_waits_then_rate_another(browser):
    """Issue 13 item 15: "请 44 秒后再获取验证码" must not block the code already received, and the
    thank-you page offers 继续评价其他服务 and 我的评价."""
    cast = build_cast()
    first, second = push(cast, "SCJG-Q1"), push(cast, "SCJG-Q2")
    qr = qr_for(window=cast.window_a)
    page = browser.new_page("phone-390")

    page.goto(f"/q/{qr.slug}")
    page.get_by_label("手机号码").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url(f"**/q/{qr.slug}/code")
    code = sms_code_from_outbox()

    # The citizen goes back and asks again: the wait is explained, the code field stays usable.
    page.goto(f"/q/{qr.slug}")
    page.get_by_label("手机号码").fill(PHONE)
    send = page.locator("#send-code")
    assert send.is_disabled() and "秒后可重新获取" in send.inner_text()  # counting down
    page.evaluate("document.getElementById('send-code').disabled = false")  # as without JavaScript
    send.click()
    page.wait_for_load_state()
    assert "秒后再获取验证码" in page.locator("#form-errors").inner_text()
    assert page.locator("#send-code").is_disabled()
    code_field = page.locator("#pending-code-form").get_by_label("短信验证码")
    assert code_field.is_enabled() and code_field.is_editable()
    assert page.locator("#pending-masked").inner_text() == "138****5678"
    assert_fits_the_screen(page)
    browser.screenshot(page, "qr-390-code-while-waiting")
    code_field.fill(code)
    page.locator("#pending-code-form").get_by_role("button", name="验证").click()

    page.wait_for_url(f"**/q/{qr.slug}")
    assert page.locator("#pending-services > li").count() == 2
    page.locator("#pending-services > li").first.get_by_role("link", name="去评价").click()
    page.wait_for_url("**/r/**")
    page.locator("#level-block").get_by_text("满意", exact=True).click()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url("**/done")
    assert page.get_by_role("link", name="我的评价").is_visible()
    assert_fits_the_screen(page)
    browser.screenshot(page, "qr-390-thanks-next-steps")

    page.get_by_role("link", name="继续评价其他服务").click()
    page.wait_for_url(f"**/q/{qr.slug}")
    assert page.locator("#pending-services > li").count() == 1
    assert Evaluation.objects.filter(record__in=[first, second]).count() == 1
