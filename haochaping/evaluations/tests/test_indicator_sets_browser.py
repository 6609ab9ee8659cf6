"""评价指标体系 in headless Chromium: the centre uploads a province's set, reads the 预检 and the
comparison, confirms with 立即启用. Screenshots: artifacts/screenshots/console-indicators-*.png."""

from __future__ import annotations

import json

import pytest

from haochaping.evaluations.models import IndicatorSet
from haochaping.evaluations.services import DEFAULT_SET
from haochaping.testing import PASSWORD, build_cast
from haochaping.testing_browser import browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_centre_imports_compares_and_activates_a_province_set(browser, tmp_path):  # noqa: F811
    build_cast()
    spec = json.loads(DEFAULT_SET.read_text(encoding="utf-8"))
    spec |= {"code": "henan", "version": "2027.1", "name": "河南省政务服务评价指标体系"}
    spec["indicators"][0]["text"] += "（省版）"
    path = tmp_path / "henan.json"
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")

    page = browser.new_page("pc")
    page.goto("/console/login/")
    page.get_by_label("用户名").fill("supervisor")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登 录").click()
    page.wait_for_url("**/console/")
    page.get_by_role("link", name="评价指标体系").click()
    page.get_by_role("link", name="导入新版本").click()
    page.get_by_label("指标体系文件（.xlsx、.csv 或 .json）").set_input_files(str(path))
    page.get_by_role("button", name="预检").click()
    page.wait_for_selector("#comparison")
    assert page.locator("#count-changed").inner_text() == "1"
    assert page.locator("#count-added").inner_text() == "0"
    browser.screenshot(page, "console-indicators-preview")
    page.get_by_label("导入后立即启用").check()
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_selector(".msg-success")
    assert "并已启用" in page.locator(".msg-success").inner_text()
    assert IndicatorSet.objects.get(is_active=True).code == "henan"
    browser.screenshot(page, "console-indicators-list")
