"""The console on a 390 px phone, as a unit admin (issue 13 item 10): the work queue, a case page
(核实属实 performed by tapping), the rating list and the home page fit the screen width (wide
tables scroll inside their own box), the sidebar folds into a 菜单 button that works without
JavaScript; on a desktop PC the sidebar stays open and the button is hidden.
Screenshots: artifacts/screenshots/console-phone-*.png."""

from __future__ import annotations

import pytest

from haochaping.testing import PASSWORD, build_cast, push_record
from haochaping.testing_browser import browser  # noqa: F401  (fixture)
from haochaping.testing_world import rate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A mobile browser zooms out to show a page wider than the screen (window.innerWidth grows with
# it): compare with the phone's own width as well.
FITS = "() => document.documentElement.scrollWidth <= Math.min(window.innerWidth, 390)"


def login(page, username: str) -> None:
    page.goto("/console/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登 录").tap()
    page.wait_for_url(lambda url: "/login/" not in url)


def test_unit_admin_works_a_case_on_a_390px_phone_without_javascript(browser):  # noqa: F811
    cast = build_cast()
    for n in range(3):
        record = push_record(cast, f"11410404MB0000001A-20261207{n:06d}")
        case = rate(record, 1, text="窗口工作人员态度生硬，让我来回跑了三趟").case

    page = browser.new_page("phone-390", javascript=False)
    login(page, "admin_a")
    page.goto("/console/")
    assert page.evaluate(FITS), "home page wider than the phone"
    browser.screenshot(page, "console-phone-home")

    # The sidebar is folded away; the 菜单 button opens it (a checkbox and its label: no script).
    sidebar = page.locator("nav.sidebar")
    assert not sidebar.is_visible()
    page.locator(".nav-button").tap()
    assert sidebar.is_visible()
    assert page.evaluate(FITS)
    browser.screenshot(page, "console-phone-menu", full_page=False)
    sidebar.get_by_role("link", name="差评工单（待办）").tap()
    page.wait_for_url("**/console/cases/")
    assert page.evaluate(FITS), "work queue wider than the phone"
    assert not sidebar.is_visible()
    browser.screenshot(page, "console-phone-queue")

    page.goto(f"/console/cases/{case.pk}/")
    assert page.evaluate(FITS), "case page wider than the phone"
    form = page.locator("#step-verify")
    form.get_by_label("核实情况").fill("经调阅监控，情况属实")
    button = form.get_by_role("button", name="核实属实")
    button.scroll_into_view_if_needed()
    assert button.is_visible()
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    browser.screenshot(page, "console-phone-case")
    button.tap()
    page.wait_for_load_state()
    assert "已核实属实" in page.locator(".messages").inner_text()
    assert page.evaluate(FITS)

    page.goto("/console/evaluations/")
    assert page.evaluate(FITS), "rating list wider than the phone"
    assert page.locator("table.table td.col-code").first.is_visible()
    browser.screenshot(page, "console-phone-ratings")


def test_desktop_keeps_the_open_sidebar_and_no_menu_button(browser):  # noqa: F811
    build_cast()
    page = browser.new_page("pc", javascript=False)
    page.goto("/console/login/")
    page.get_by_label("用户名").fill("admin_a")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登 录").click()
    page.wait_for_url("**/console/")
    sidebar = page.locator("nav.sidebar")
    assert sidebar.is_visible() and sidebar.bounding_box()["x"] == 0
    assert not page.locator(".nav-button").is_visible()
    assert page.locator(".content").bounding_box()["x"] >= sidebar.bounding_box()["width"]
