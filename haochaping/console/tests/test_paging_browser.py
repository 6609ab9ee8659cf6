"""Long lists in headless Chromium without JavaScript: the page-size choice and the jump box keep
the filters; a long 办件编号 stays on one line. Screenshot: artifacts/screenshots/console-paging.png."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from haochaping.testing import PASSWORD, build_cast, push_record
from haochaping.testing_browser import browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Real 办件编号 are long: a system prefix, the unit's credit code, the date and a serial number.
LONG_NO = "11410404MB0000001A-2026120700{:04d}"

# How many lines the first text of each 办件编号 cell takes (1: not wrapped).
LINES_OF_NUMBERS = """
() => [...document.querySelectorAll('td.col-code')].map((td) => {
  const range = document.createRange();
  range.selectNodeContents(td.firstChild);
  return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
})
"""


def test_page_size_and_jump_work_without_javascript_and_numbers_do_not_wrap(browser):  # noqa: F811
    cast = build_cast()
    for n in range(45):
        push_record(cast, project_no=LONG_NO.format(n))
    page = browser.new_page("pc", javascript=False)
    page.goto("/console/login/")
    page.get_by_label("用户名").fill("supervisor")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登 录").click()
    page.wait_for_url("**/console/")
    page.goto(f"/console/records/?unit={cast.unit_a.code}")

    assert page.locator("td.col-code").count() == 45  # the default, 50 a page
    assert page.evaluate(LINES_OF_NUMBERS) == [1] * 45

    page.locator(".pager-size select").select_option("20")
    page.locator(".pager-size").get_by_role("button", name="确定").click()
    page.wait_for_load_state()
    assert parse_qs(urlparse(page.url).query) == {"unit": [cast.unit_a.code], "page_size": ["20"]}
    assert page.locator("td.col-code").count() == 20

    page.locator(".pager-jump input[name=page]").fill("3")
    page.locator(".pager-jump").get_by_role("button", name="跳转").click()
    page.wait_for_load_state()
    query = parse_qs(urlparse(page.url).query)
    assert query == {"unit": [cast.unit_a.code], "page_size": ["20"], "page": ["3"]}
    assert page.locator("td.col-code").count() == 5
    assert "第 3 / 3 页" in page.locator(".pager").inner_text()
    browser.screenshot(page, "console-paging")
