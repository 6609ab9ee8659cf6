"""我的评价 in headless Chromium on a phone: after phone + SMS code, a bad rating's case that was
verified, rectified and fed back through the workflow shows its progress and the feedback.
Screenshots in artifacts/screenshots/my-*.png."""

from __future__ import annotations

import pytest

from haochaping.portal.tests.factories import push, sms_code_from_outbox
from haochaping.rectification.workflow import Action
from haochaping.testing import build_cast
from haochaping.testing_world import rate, step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FEEDBACK = "已对窗口工作人员进行约谈，并在窗口张贴一次性告知清单。感谢您的监督！"


def test_my_ratings_shows_the_feedback_of_a_rectified_case(browser):
    cast = build_cast()
    case = rate(push(cast, "SCJG-FED"), 1, reasons=["XC-TD-B01"], text="态度生硬").case
    case = step(cast, "admin_a", case, Action.VERIFY, text="经核实属实")
    case = step(cast, "admin_a", case, Action.RECTIFY, text="已约谈并整改")
    step(cast, "admin_a", case, Action.FEED_BACK, text=FEEDBACK)
    unrated = push(cast, "SCJG-NEW")

    page = browser.new_page("phone")
    page.goto("/my/")
    assert page.locator("h1").inner_text() == "我的评价"
    page.get_by_label("手机号码").fill("13812345678")
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url("**/my/code")
    page.get_by_label("短信验证码").fill(sms_code_from_outbox())
    page.get_by_role("button", name="验证").click()
    page.wait_for_url("**/my/")

    fed = page.locator('[data-project="SCJG-FED"]')
    assert "非常不满意" in fed.inner_text() and case.number in fed.inner_text()
    assert fed.locator(".progress").inner_text() == "已反馈，待回访"
    assert fed.locator(".feedback-text").inner_text() == FEEDBACK
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    browser.screenshot(page, "my-ratings-phone")

    fresh = page.locator('[data-project="SCJG-NEW"]')
    fresh.get_by_role("link", name="去评价").click()
    page.wait_for_url("**/r/**")
    page.locator("#level-block").get_by_text("非常满意", exact=True).click()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url("**/done")
    page.goto("/my/")
    assert page.locator('[data-project="SCJG-NEW"]').get_by_role("link", name="去评价").count() == 0
    assert unrated.evaluation.channel == 2  # 移动端

    page.get_by_role("button", name="退出 / 更换号码").click()
    page.wait_for_url("**/my/")
    assert page.get_by_role("button", name="获取验证码").is_visible()
    assert FEEDBACK not in page.content()
