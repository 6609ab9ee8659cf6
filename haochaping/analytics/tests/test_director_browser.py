"""The director's walk in Chromium (issue 14 "Done means"): last month's figures with 环比, the
ranking, a department's 差评 drilled down to its ratings, the Excel download; charts drawn from
the app's own files with no console error. Screenshot: artifacts/screenshots/analytics-overview.png."""

from __future__ import annotations

import pytest
from django.utils import timezone

from haochaping.analytics.rollups import rollup_refresh
from haochaping.testing import PASSWORD, build_cast, push_record
from haochaping.testing_browser import browser  # noqa: F401  (fixture)
from haochaping.testing_world import push_b, rate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_director_reads_last_month_ranks_and_drills_down(browser):  # noqa: F811
    cast = build_cast()
    today = timezone.localdate()
    last_month_day = (today.replace(day=1) - timezone.timedelta(days=1)).day
    into_last_month = today.day + (last_month_day - 10)  # the 10th of last month (or near it)
    for n, level in enumerate([5, 5, 4, 1]):
        text = "窗口人员态度差" if level < 3 else ""
        rate(push_record(cast, f"SCJG20261100{n:02d}"), level, text=text, days_ago=into_last_month)
    for n, level in enumerate([5, 2]):
        rate(push_b(cast, f"RSJ20261100{n:02d}"), level, text="排队太久" if level < 3 else "", days_ago=into_last_month)
    rollup_refresh()

    page = browser.new_page("pc")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico")
            else None
        ),
    )
    page.goto("/console/login/")
    page.get_by_label("用户名").fill("supervisor")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登 录").click()
    page.get_by_role("link", name="综合分析").click()
    page.get_by_role("link", name="上月", exact=True).click()
    page.wait_for_url("**period=month**")
    units = page.locator("table.table-summary")
    assert "区市场监督管理局" in units.inner_text() and "区人力资源和社会保障局" in units.inner_text()
    tile = page.locator(".analytics-tile", has_text="差评率").first
    assert "33.33%" in tile.inner_text()  # 2 bad of 6
    assert "环比" in tile.inner_text() and "同比" in tile.inner_text()
    page.locator('.chart[data-chart="analytics-units"] svg').first.wait_for()
    browser.screenshot(page, "analytics-overview")

    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename.startswith("综合分析_")

    page.locator(".drill-links").get_by_role("link", name="排名").click()  # keeps the month chosen
    assert "排名方法" in page.content()
    page.get_by_role("link", name="区人力资源和社会保障局").click()
    page.wait_for_url("**unit=RSJ**")
    page.get_by_role("link", name="差评 1 条").click()
    rows = page.locator("table tbody tr")
    assert rows.count() == 1 and "不满意" in rows.first.inner_text()
    assert errors == []
