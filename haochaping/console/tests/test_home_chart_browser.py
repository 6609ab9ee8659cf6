"""The home page's chart in Chromium (issue 14): ECharts, loaded from the app's own static files
(npm ci by ``make install``), draws the 近30天评价量 line as SVG under a ``script-src 'self'``
policy, with no console error and no request to anything but the live server; the page's
``haochapingCharts.update`` merges new data into the drawn chart.
Screenshot: artifacts/screenshots/console-home-chart.png."""

from __future__ import annotations

import pytest

from haochaping.testing import PASSWORD, build_cast, push_record
from haochaping.testing_browser import browser  # noqa: F401  (fixture)
from haochaping.testing_world import rate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The policy being added to every page (issue 14): scripts from the app only, no inline code.
CSP = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'"


def test_the_home_page_draws_its_chart_from_the_apps_own_files(browser):  # noqa: F811
    cast = build_cast()
    for n, level in enumerate([5, 4, 1]):
        rate(push_record(cast, f"SCJG2026120{n:03d}"), level, text="等了很久" if level < 3 else "", days_ago=n)

    page = browser.new_page("pc")
    errors: list[str] = []
    requests: list[str] = []

    def console(message):
        # The browser's own look for /favicon.ico (the console has none) is not the page's error.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))

    def with_csp(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})

    page.goto("/console/login/")
    page.get_by_label("用户名").fill("supervisor")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登 录").click()
    page.wait_for_url("**/console/")
    page.route("**/console/", with_csp)
    page.goto("/console/")  # again, under the policy (a redirect's target is not routed)

    chart = page.locator('.chart[data-chart="home-trend"]')
    chart.locator("svg").first.wait_for()
    box = chart.bounding_box()
    assert box is not None and box["height"] == 300 and box["width"] > 600
    assert "好评" in chart.inner_text() and "差评" in chart.inner_text()  # the legend, drawn as SVG text
    assert page.evaluate("() => window.echarts.version") == "6.1.0"
    assert chart.get_attribute("role") == "img"
    browser.screenshot(page, "console-home-chart")

    # A page that polls fresh figures merges them in (notMerge false): no new chart, no flicker.
    updated = page.evaluate(
        """() => {
            const before = document.querySelector('[data-chart="home-trend"] svg');
            const fresh = {series: [{name: "好评", data: Array(30).fill(7)}]};
            const ok = window.haochapingCharts.update("home-trend", fresh);
            const chart = window.haochapingCharts.get("home-trend");
            return [ok, chart.getOption().series[0].data[0], chart.getOption().series.length,
                    document.querySelector('[data-chart="home-trend"] svg') === before,
                    window.haochapingCharts.update("no-such-chart", {})];
        }"""
    )
    assert updated == [True, 7, 2, True, False]

    page.set_viewport_size({"width": 1100, "height": 800})
    page.wait_for_function(
        "w => document.querySelector('[data-chart=\"home-trend\"] svg').getBoundingClientRect().width < w",
        arg=box["width"],
    )

    assert errors == []
    assert requests and all(url.startswith(browser.base_url) for url in requests), requests
    assert any(url.endswith("/static/vendor/echarts/echarts.min.js") for url in requests)
