"""差评归因分析 in headless Chromium: a supervisor opens the page, reads the heat table, drills
into a cell and corrects one automatic attribution. Screenshots:
artifacts/screenshots/console-attribution-*.png."""

from __future__ import annotations

import pytest

from haochaping.insight.models import AttributionCorrection, BadRatingCause
from haochaping.insight.tests.test_attribution import make_ratings
from haochaping.testing import PASSWORD, build_cast
from haochaping.testing_browser import browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_supervisor_drills_into_a_cell_and_corrects_an_automatic_attribution(browser):  # noqa: F811
    cast = build_cast()
    ratings = make_ratings(cast)
    page = browser.new_page("pc")
    page.goto("/console/login/")
    page.get_by_label("用户名").fill("supervisor")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登 录").click()
    page.wait_for_url("**/console/")
    page.get_by_role("link", name="差评归因分析").click()
    page.wait_for_selector("#heat-table")
    row = page.locator('#heat-table tr[data-unit="SCJG"]')
    assert row.locator("td").nth(1).inner_text() == "4"  # unit A's bad ratings
    cell = row.locator('td[data-dimension="efficiency"]')
    assert "heat-5" in (cell.get_attribute("class") or "")
    browser.screenshot(page, "console-attribution")
    cell.locator("a").click()
    page.wait_for_selector("#cause-table")
    queue = BadRatingCause.objects.get(evaluation=ratings["queue"])
    line = page.locator(f'#cause-table tr[data-cause="{queue.pk}"]')
    assert line.locator("mark").first.inner_text() == "排队"
    assert "138****5678" in line.inner_text()
    assert page.locator('#cause-table tr[data-source="citizen"] form').count() == 0  # the citizen's: no form
    line.get_by_label("更正后维度").select_option(label="服务机制")
    line.get_by_label("更正说明").fill("电话回访：热线打不通")
    line.get_by_role("button", name="更正").click()
    page.wait_for_selector(".msg-success")
    assert "归因已更正" in page.locator(".msg-success").inner_text()
    browser.screenshot(page, "console-attribution-corrected")
    queue.refresh_from_db()
    assert (queue.source, queue.dimensions) == ("corrected", ["mechanism"])
    assert AttributionCorrection.objects.get().created_by == cast.users["supervisor"]
