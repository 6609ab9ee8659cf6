"""A supervisor works the 评价质量线索 queue in headless Chromium: runs detection, opens a tablet
burst's evidence, dismisses it with a reason (the empty reason refused in Chinese), and turns
the phone-number flag into a supervision record (转督查). Screenshots:
artifacts/screenshots/integrity-*.png."""

from __future__ import annotations

import pytest

from haochaping.insight.integrity_models import FlagState, IntegrityFlag, IntegrityKind
from haochaping.insight.tests.integrity_factories import PLANTED_NAME, PLANTED_PHONE, SETTINGS, plant
from haochaping.testing import PASSWORD, build_cast
from haochaping.testing_browser import browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_supervisor_reviews_integrity_flags(browser, settings):  # noqa: F811
    for name, value in SETTINGS.items():
        setattr(settings, name, value)
    cast = build_cast()
    plant(cast)
    page = browser.new_page("pc")
    page.goto("/console/login/")
    page.get_by_label("用户名").fill("supervisor")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登 录").click()
    page.wait_for_url("**/console/")

    page.get_by_role("link", name="评价质量线索").click()
    page.wait_for_url("**/console/integrity/")
    assert "暂无评价质量线索" in page.locator("#integrity-table").inner_text()
    page.get_by_role("button", name="立即检测").click()
    page.wait_for_url("**/console/integrity/")
    assert "新增 6 条" in page.locator(".messages").inner_text()
    assert page.locator("#integrity-table tbody tr").count() == 6
    browser.screenshot(page, "integrity-queue")

    # The burst: its evidence, then 排除 (a reason is required).
    burst = IntegrityFlag.objects.get(kind=IntegrityKind.TABLET_BURST)
    page.locator(f'tr[data-flag="{burst.pk}"]').get_by_role("link", name="查看证据").click()
    page.wait_for_url(f"**/console/integrity/{burst.pk}/")
    assert "最多9条" in page.locator("#flag-summary").inner_text()
    rows = page.locator("#evidence-table tbody tr")
    assert rows.count() == 9 and "非常满意" in rows.first.inner_text() and "窗口评价器" in rows.first.inner_text()
    browser.screenshot(page, "integrity-evidence")
    page.get_by_role("button", name="排除线索").click()
    assert "请填写排除理由" in page.locator(".messages").inner_text()
    page.get_by_label("排除理由（必填）").fill("经调取监控，系当日集中办理的企业开办批量业务，群众本人评价")
    page.get_by_role("button", name="排除线索").click()
    assert "线索已排除" in page.locator(".messages").inner_text()
    assert "已排除" in page.locator("#flag-state").inner_text()
    burst.refresh_from_db()
    assert burst.state == FlagState.DISMISSED and burst.reviewer is not None

    # The phone number across units: 转督查 (a 回访核实 record of the district).
    page.get_by_role("link", name="评价质量线索", exact=True).first.click()
    phone = IntegrityFlag.objects.get(kind=IntegrityKind.PHONE_MANY_UNITS)
    page.locator(f'tr[data-flag="{phone.pk}"]').get_by_role("link", name="查看证据").click()
    page.wait_for_url(f"**/console/integrity/{phone.pk}/")
    html = page.content()
    assert PLANTED_PHONE not in html and PLANTED_NAME not in html and "139****1111" in html
    page.get_by_label("督查说明（可选）").fill("抽取 3 名评价人电话回访，核实是否本人评价")
    page.get_by_role("button", name="转督查（回访核实）").click()
    assert "已转督查" in page.locator(".messages").inner_text()
    phone.refresh_from_db()
    assert phone.state == FlagState.ESCALATED and phone.supervision is not None
    page.get_by_role("link", name=f"回访核实 {phone.supervision.held_on:%Y-%m-%d}").click()
    page.wait_for_url(f"**/console/supervision/{phone.supervision.pk}/")
    assert "评价质量线索转入" in page.content()
    browser.screenshot(page, "integrity-supervision")
