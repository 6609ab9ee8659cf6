"""A supervisor opens a proposed common problem, the unit's root cause and plan are filled, the
linked cases are closed, and the page shows 双归零 (制度第十一条), in headless Chromium.
Screenshots: artifacts/screenshots/problem-*.png."""

from __future__ import annotations

import pytest
from django.test import override_settings

from haochaping.insight.problems.models import CommonProblem
from haochaping.rectification.models import CaseState, RectificationCase
from haochaping.rectification.workflow import Action
from haochaping.testing import PASSWORD, build_cast
from haochaping.testing_browser import browser  # noqa: F401  (fixture)
from haochaping.testing_world import PDF, build_world, step

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username: str) -> None:
    page.goto("/console/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登 录").click()
    page.wait_for_url("**/console/")


def test_a_supervisor_handles_a_common_problem_to_double_zero(browser, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path
    cast = build_cast()
    world = build_world(cast)
    page = browser.new_page("pc")
    sign_in(page, "supervisor")
    page.get_by_role("link", name="共性问题线索").click()
    with override_settings(INSIGHT_PROBLEM_THRESHOLD=dict.fromkeys(["staff", "window", "item", "phrase", "reason"], 1)):
        page.get_by_role("button", name="立即检测").click()
        page.wait_for_url("**/console/problems/proposals/")
    assert "新增线索 2 条" in page.locator(".messages").inner_text()
    page.locator(f"tr:has-text('{cast.unit_a.name}')").get_by_role("link", name="研判").click()
    page.get_by_label("问题标题").fill("窗口服务态度集中差评")
    page.get_by_role("button", name="立为共性问题").click()
    page.wait_for_url("**/console/problems/*/")
    problem = CommonProblem.objects.get(title="窗口服务态度集中差评")
    assert world.case_a.number in page.locator("#linked-table").inner_text()
    page.get_by_label("原因分析", exact=True).fill("新入职人员未经服务规范培训")
    page.get_by_label("整改方案", exact=True).fill("全员服务规范培训并纳入考核")
    page.get_by_role("button", name="保存", exact=True).click()
    page.locator("form[data-action=analyse] button").click()
    assert "整改中" in page.locator("#problem-state").inner_text()
    form = page.locator("form[data-action=rectify]")
    form.locator("textarea").fill("已完成培训，制度上墙")
    form.locator("input[type=file]").set_input_files(
        files=[{"name": "培训记录.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    form.locator("button").click()
    page.locator("form[data-action=close] textarea").fill("同意办结")
    page.locator("form[data-action=close] button").click()
    assert "办结" in page.locator("#problem-state").inner_text()
    assert "工单未清零" in page.locator("#double-zero").inner_text()
    # The linked case is closed through its own workflow (the unit, then the callback).
    for action in (Action.VERIFY, Action.RECTIFY, Action.FEED_BACK):
        step(cast, "admin_a", RectificationCase.objects.get(pk=world.case_a.pk), action)
    step(cast, "supervisor", RectificationCase.objects.get(pk=world.case_a.pk), Action.CALLBACK_SATISFIED)
    assert RectificationCase.objects.get(pk=world.case_a.pk).state == CaseState.CLOSED
    page.reload()
    assert "已双归零" in page.locator("#double-zero").inner_text()
    browser.screenshot(page, "problem-double-zero")
    page.locator(".breadcrumb").get_by_role("link", name="共性问题").click()
    assert "已双归零" in page.locator(f"tr[data-problem='{problem.pk}']").inner_text()
