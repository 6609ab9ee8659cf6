"""The self-service kiosk in headless Chromium at PC size: 办件编号 + name, the SMS code from the
demo outbox, rate (channel 5), finish; and the return to the start after inactivity.
Screenshots in artifacts/screenshots/kiosk-*.png."""

from __future__ import annotations

import pytest

from haochaping.evaluations.models import Evaluation
from haochaping.portal.tests.factories import push, sms_code_from_outbox
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
    assert page.evaluate("document.documentElement.classList.contains('big')")
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
