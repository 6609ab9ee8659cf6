"""The self-service kiosk in headless Chromium at PC size: 办件编号 + name, the SMS code from the
demo outbox, rate (channel 5), finish; and the return to the start after inactivity.
Screenshots in artifacts/screenshots/kiosk-*.png."""

from __future__ import annotations

import pytest

from haochaping.evaluations.models import Evaluation
from haochaping.portal.tests.factories import link_path, push, sms_code_from_outbox
from haochaping.testing import build_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIN_TARGET = 60  # px: kiosk buttons are larger than the phone's 48 px


def assert_big_targets(page, selector: str) -> None:
    boxes = [box for box in (el.bounding_box() for el in page.locator(selector).all()) if box]
    assert boxes, selector
    for box in boxes:
        assert box["height"] >= MIN_TARGET, (selector, box)


def test_a_citizen_rates_both_services_of_a_project_at_the_kiosk(browser):
    cast = build_cast()
    first = push(cast, "SCJG-K1", service_no=1)
    second = push(cast, "SCJG-K1", service_no=2, stage="4")
    page = browser.new_page("pc")

    page.goto("/kiosk/")
    assert page.evaluate("document.documentElement.classList.contains('kiosk-page')")
    assert_big_targets(page, ".kiosk .btn")
    browser.screenshot(page, "kiosk-start")
    page.get_by_label("办件编号").fill("SCJG-K1")
    page.get_by_label("申请人姓名或手机号码").fill("张三丰")
    page.get_by_role("button", name="下一步：获取验证码").click()
    page.wait_for_url("**/kiosk/code")
    assert page.locator("#masked-phone").inner_text() == "138****5678"
    page.get_by_label("短信验证码").fill(sms_code_from_outbox())
    browser.screenshot(page, "kiosk-code")
    page.get_by_role("button", name="验证").click()

    page.wait_for_url("**/kiosk/services")
    assert page.locator("#kiosk-services > li").count() == 2
    assert page.get_by_text("2 项待评价").is_visible()
    browser.screenshot(page, "kiosk-services")
    page.get_by_role("link", name="评价这次服务").first.click()
    page.wait_for_url(f"**/kiosk/rate/{first.pk}")
    page.locator("#level-block").get_by_text("非常满意", exact=True).click()
    page.get_by_text("热情耐心，文明礼貌").click()
    browser.screenshot(page, "kiosk-rate")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url(f"**/kiosk/done/{first.pk}")
    assert page.locator("h1").inner_text() == "感谢您的评价！"
    browser.screenshot(page, "kiosk-thanks")

    page.get_by_role("link", name="评价本办件的其他服务（还有 1 项）").click()
    page.get_by_role("link", name="评价这次服务").click()
    page.wait_for_url(f"**/kiosk/rate/{second.pk}")
    page.locator("#level-block").get_by_text("满意", exact=True).click()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url(f"**/kiosk/done/{second.pk}")
    page.get_by_role("button", name="完成并退出").click()
    page.wait_for_url("**/kiosk/")
    assert page.get_by_label("办件编号").input_value() == ""

    ratings = {e.record_id: (e.level, e.channel) for e in Evaluation.objects.all()}
    assert ratings == {first.pk: (5, 5), second.pk: (4, 5)}
    for value in ("张三丰", "13812345678", "410404199001011234"):
        assert value not in page.content()


def test_the_kiosk_returns_to_the_start_after_inactivity(browser, settings):
    settings.KIOSK_IDLE_SECONDS = 4
    cast = build_cast()
    push(cast, "SCJG-K1")
    page = browser.new_page("pc")
    page.goto("/kiosk/")
    page.get_by_label("办件编号").fill("SCJG-K1")
    page.get_by_label("申请人姓名或手机号码").fill("13812345678")
    page.get_by_role("button", name="下一步：获取验证码").click()
    page.wait_for_url("**/kiosk/code")
    page.get_by_label("短信验证码").fill(sms_code_from_outbox())
    page.get_by_role("button", name="验证").click()
    page.wait_for_url("**/kiosk/services")
    page.wait_for_selector("#kiosk-warn:not([hidden])", timeout=6_000)
    browser.screenshot(page, "kiosk-idle-warning", full_page=False)
    page.wait_for_url("**/kiosk/?timeout=1", timeout=10_000)
    assert page.get_by_text("因长时间未操作，已自动退出").is_visible()
    page.goto("/kiosk/services")  # the server forgot the person too
    page.wait_for_url("**/kiosk/?timeout=1")


PORTRAIT = {"width": 1080, "height": 1920}  # the hall's portrait kiosk


def kiosk_page(browser):
    page = browser.new_page("pc")
    page.set_viewport_size(PORTRAIT)
    return page


def test_the_start_screen_fills_a_portrait_kiosk_and_has_the_big_type_switch(browser):
    """Issue 13 item 16: at 1080×1920 the start screen uses the height without a page scroll."""
    build_cast()
    page = kiosk_page(browser)
    page.goto("/kiosk/")
    for mode in ("standard", "big"):
        assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight"), mode
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), mode
        main = page.locator("#main").bounding_box()
        assert main["height"] >= 0.8 * PORTRAIT["height"], (mode, main)
        bar = page.locator(".kiosk-bar").bounding_box()
        assert bar["y"] + bar["height"] >= 0.8 * PORTRAIT["height"], (mode, bar)  # at the bottom, not mid-screen
        assert page.locator(".kiosk .text-input").first.bounding_box()["height"] >= 96
        browser.screenshot(page, f"kiosk-portrait-start-{mode}", full_page=False)
        if mode == "standard":
            size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
            page.get_by_role("button", name="大字版").click()  # a toggle button with JavaScript
            page.wait_for_function("() => document.documentElement.classList.contains('big')")  # no eval() under CSP
            assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") > size
            assert page.get_by_role("button", name="标准版").is_visible()


def test_a_receipt_qr_scanned_into_the_project_field_is_read(browser):
    """Issue 13 item 16: a keyboard-wedge scanner types the QR's content and Enter."""
    cast = build_cast()
    push(cast, "SCJG-K1", service_no=1)
    second = push(cast, "SCJG-K1", service_no=2, stage="4")
    page = kiosk_page(browser)
    page.goto("/kiosk/")
    field = page.get_by_label("办件编号")
    assert page.evaluate("document.activeElement.id") == "id-project-no"  # ready for the scanner
    # A plain 办件编号: Enter moves on to the name instead of sending a half-filled form.
    page.keyboard.type("SCJG-K1")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "id-who"
    assert page.url.endswith("/kiosk/") and page.locator(".field-error").count() == 0
    # A rating link (what the receipt's QR holds): the number is read from it.
    field.fill("")
    field.focus()
    page.keyboard.type(browser.base_url + link_path(second))
    page.keyboard.press("Enter")
    page.wait_for_selector("#scan-read")
    assert field.input_value() == "SCJG-K1"
    assert page.evaluate("document.activeElement.id") == "id-who"
    browser.screenshot(page, "kiosk-portrait-scanned", full_page=False)
    page.keyboard.type("张三丰")
    page.keyboard.press("Enter")
    page.wait_for_url("**/kiosk/code")
    assert page.locator("#masked-phone").inner_text() == "138****5678"
