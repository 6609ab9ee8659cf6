"""The Content-Security-Policy in headless Chromium (issue 13 item 25).

The ``browser`` fixture fails any test whose pages caused a violation, so every browser test
checks its own pages; these tests prove that the watch works (an injected inline script is
refused and reported) and walk the pages whose scripts and styles moved to static files: the
rating page's script, the tablet's, the kiosk's, and the console's indented report rows.
"""

from __future__ import annotations

import pytest

from haochaping.portal.tests.factories import link_path, push
from haochaping.testing import PASSWORD, build_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INJECT_INLINE_SCRIPT = """() => {
  const script = document.createElement('script');
  script.textContent = 'window.injected = true;';
  document.body.appendChild(script);
  return window.injected === true;
}"""


def test_an_inline_script_is_refused_and_the_violation_is_reported(browser):
    page = browser.new_page("phone")
    page.goto("/my/")
    assert page.evaluate(INJECT_INLINE_SCRIPT) is False
    page.wait_for_timeout(200)  # the console message arrives asynchronously
    assert any("inline script" in text and "script-src" in text for text in browser.csp_violations)
    browser.csp_violations.clear()  # provoked on purpose: not this test's failure


def test_the_rating_page_script_runs_under_the_policy(browser):
    record = push(build_cast())
    page = browser.new_page("phone")
    page.goto(link_path(record))
    assert page.evaluate("document.documentElement.classList.contains('js')")  # portal.js ran
    page.locator("#level-block").get_by_text("非常不满意", exact=True).click()
    assert page.get_by_label("态度生硬、冷漠").is_visible()  # reasons follow the level (portal.js)
    page.locator("[data-size-toggle]").click()  # 大字版 in place, no reload
    assert page.evaluate("document.documentElement.classList.contains('big')")
    assert browser.csp_violations == []


def test_the_tablet_and_kiosk_scripts_run_under_the_policy(browser):
    build_cast()
    tablet = browser.new_page("pc")
    tablet.goto("/tablet/")
    tablet.locator("#screen-pair").wait_for(state="visible")  # tablet.js read its JSON config
    tablet.locator(".key[data-key='1']").click()
    assert tablet.locator("#pair-code").input_value() == "1"
    kiosk = browser.new_page("pc")
    kiosk.goto("/kiosk/")
    assert kiosk.evaluate("document.documentElement.classList.contains('js')")
    assert browser.csp_violations == []


def test_console_pages_keep_their_styles_from_files(browser):
    build_cast()
    page = browser.new_page("pc")
    page.goto("/console/login/")
    page.get_by_label("用户名").fill("supervisor")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登 录").click()
    page.wait_for_url("**/console/")
    page.goto("/console/cases/summary/")
    indents = page.eval_on_selector_all(
        "td[class*='indent-']", "cells => cells.map(c => [c.className, parseFloat(getComputedStyle(c).paddingLeft)])"
    )
    assert indents, "no indented unit rows"
    font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    for class_name, padding in indents:
        depth = int(class_name.split("indent-")[1].split()[0])
        assert padding >= depth * font * 0.9, (class_name, padding)
    page.goto("/console/devices/")
    assert page.locator("link[href$='organizations/devices.css']").count() == 1
    assert browser.csp_violations == []
