"""The rating page in headless Chromium: a phone and a PC, with and without JavaScript.

Screenshots of every page land in artifacts/screenshots/ (phone 375×812 and PC 1280×800,
normal and 大字).
"""

from __future__ import annotations

import time

import pytest

from haochaping.evaluations.models import Evaluation
from haochaping.portal.tests.factories import IDENTITY, link_path, push
from haochaping.rectification.models import RectificationCase
from haochaping.testing import build_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIN_TARGET = 48  # px: the smallest comfortable touch target (适老化)


@pytest.fixture
def record():
    return push(build_cast())


def level(page, label: str):
    """The big button (label) of one overall level."""
    return page.locator("#level-block").get_by_text(label, exact=True)


def assert_fits_the_screen(page) -> None:
    """No sideways scrolling: the page is no wider than the viewport."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def assert_big_targets(page, selector: str) -> None:
    boxes = [box for box in (el.bounding_box() for el in page.locator(selector).all()) if box]
    assert boxes, selector
    for box in boxes:
        assert box["height"] >= MIN_TARGET and box["width"] >= MIN_TARGET, (selector, box)


def test_a_citizen_rates_a_bad_service_from_the_sms_link_on_a_phone(record, browser):
    page = browser.new_page("phone")
    page.goto(link_path(record, query="c=7"))
    assert page.locator("h1").inner_text() == "请您评价这次服务"
    assert page.get_by_text("王晓红（工号 A001）").is_visible()
    assert_fits_the_screen(page)
    assert_big_targets(page, "label.level")
    assert_big_targets(page, "button[type=submit]")
    assert_big_targets(page, ".size-toggle")
    # Until a level is chosen no reason is offered; then only the ones for that level.
    assert page.get_by_text("请先在上方选择总体评价").is_visible()
    assert not page.get_by_label("态度生硬、冷漠").is_visible()
    browser.screenshot(page, "rate-phone-sms")

    level(page, "非常不满意").click()
    assert page.get_by_label("非常不满意").is_checked()
    assert page.get_by_text("态度生硬、冷漠").is_visible()
    assert not page.get_by_text("热情耐心，文明礼貌").is_visible()  # a good reason stays hidden
    assert_big_targets(page, ".chip-item:not([hidden]) label.chip")
    page.get_by_text("态度生硬、冷漠").click()
    page.get_by_label("评价内容").fill("窗口人员态度生硬，材料一次没说清楚")
    assert page.locator("#text-counter").inner_text() == "已输入 17 / 500 字"
    browser.screenshot(page, "rate-phone-filled")
    page.get_by_role("button", name="提交评价").click()

    page.wait_for_url("**/done")
    assert page.locator("h1").inner_text() == "感谢您的评价！"
    case = RectificationCase.objects.select_related("evaluation").get(evaluation__record=record)
    assert page.locator("#case-number").inner_text() == case.number
    assert "短信" in page.content()
    browser.screenshot(page, "thanks-bad-phone")
    evaluation = case.evaluation
    assert (evaluation.level, evaluation.channel) == (1, 7)
    assert evaluation.reasons == ["XC-TD-B01"] and evaluation.text == "窗口人员态度生硬，材料一次没说清楚"
    for value in IDENTITY:
        assert value not in page.content()

    # The same link again: already rated, once only.
    page.goto(link_path(record, query="c=7"))
    assert page.locator("h1").inner_text() == "这次服务已评价"
    assert page.get_by_text("非常不满意").first.is_visible()
    assert page.get_by_text("每次服务只能评价一次").is_visible()
    browser.screenshot(page, "rated-phone")
    assert Evaluation.objects.filter(record=record).count() == 1


def test_without_javascript_the_form_still_rates_from_a_pc(record, browser):
    page = browser.new_page("pc", javascript=False)
    page.goto(link_path(record))
    # Every reason is listed, grouped by the levels it fits.
    for heading in ("好评理由", "一般", "差评理由"):
        assert page.get_by_role("heading", name=heading, exact=True).is_visible()
    assert page.get_by_text("热情耐心，文明礼貌").is_visible() and page.get_by_text("态度生硬、冷漠").is_visible()
    assert page.locator("#text-counter").inner_text() == "已输入 0 / 500 字"
    browser.screenshot(page, "rate-pc-nojs")

    # A mistake first: a bad level with a good reason. The page answers in Chinese, input kept.
    level(page, "不满意").click()
    page.get_by_text("热情耐心，文明礼貌").click()
    page.get_by_label("评价内容").fill("等了很久")
    page.get_by_role("button", name="提交评价").click()
    assert page.locator("#reasons-error").is_visible()
    assert "不一致" in page.locator("#reasons-error").inner_text()
    assert page.get_by_label("不满意", exact=True).is_checked()
    assert page.get_by_label("评价内容").input_value() == "等了很久"
    browser.screenshot(page, "rate-pc-error")

    level(page, "满意").click()
    page.get_by_role("button", name="提交评价").click()
    assert page.locator("h1").inner_text() == "感谢您的评价！"
    evaluation = Evaluation.objects.get(record=record)
    assert (evaluation.level, evaluation.channel) == (4, 1)
    assert evaluation.reasons == ["XC-TD-G01"] and evaluation.text == "等了很久"
    assert not RectificationCase.objects.exists()
    browser.screenshot(page, "thanks-good-pc")


def test_an_expired_link_explains_what_to_do(record, browser):
    page = browser.new_page("phone")
    page.goto(link_path(record, now=time.time() - 31 * 86400))
    assert page.locator("h1").inner_text() == "链接已失效"
    assert page.get_by_text("二维码").first.is_visible()
    assert page.locator("main a[href^='tel:']").first.is_visible()
    browser.screenshot(page, "expired-phone")


def test_a_forged_link_is_a_404_page(record, browser):
    page = browser.new_page("phone")
    token = link_path(record).removeprefix("/r/")
    response = page.goto(f"/r/{token[:-3]}xyz")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "链接无效"
    browser.screenshot(page, "invalid-phone")


def test_large_text_on_phone_and_pc(record, browser):
    path = link_path(record, query="c=7")
    for device in ("phone", "pc"):
        normal = browser.new_page(device)
        normal.goto(path)
        normal_size = normal.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        browser.screenshot(normal, f"rate-{device}")
        big = browser.new_page(device, big=True)
        big.goto(path)
        assert big.evaluate("document.documentElement.classList.contains('big')")
        assert big.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") > normal_size >= 18
        assert_fits_the_screen(big)
        assert_big_targets(big, "label.level")
        browser.screenshot(big, f"rate-{device}-big")

    # With JavaScript the switch works in place: what was typed stays.
    page = browser.new_page("phone")
    page.goto(path)
    page.get_by_label("评价内容").fill("字太小看不清")
    page.get_by_role("button", name="大字版").click()
    assert page.evaluate("document.documentElement.classList.contains('big')")
    assert page.get_by_label("评价内容").input_value() == "字太小看不清"
    assert page.get_by_role("button", name="标准版").get_attribute("aria-pressed") == "true"
    page.reload()
    assert page.evaluate("document.documentElement.classList.contains('big')")  # remembered (cookie)
