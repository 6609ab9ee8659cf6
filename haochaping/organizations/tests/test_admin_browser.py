"""The centre's administrator opens a window and a clerk account, and the clerk takes it over
(issue 15), in headless Chromium: the window, the staff member at it, the account with its
one-time activation link; the clerk sets a password through the link, logs in and changes it on
我的账户. Screenshots: artifacts/screenshots/admin-*.png."""

from __future__ import annotations

import pytest

from haochaping.organizations.models import Staff, Window
from haochaping.testing import PASSWORD, build_cast
from haochaping.testing_browser import browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST, SECOND = "Chuangkou-2027!a", "Chuangkou-2027!b"


def sign_in(page, username: str, password: str) -> None:
    page.goto("/console/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登 录").click()
    page.wait_for_url("**/console/")


def test_the_centre_adds_a_window_and_a_clerk_who_sets_and_changes_the_password(browser):  # noqa: F811
    cast = build_cast()
    admin = browser.new_page("pc")
    sign_in(admin, "supervisor", PASSWORD)

    # A new window at the hall, staffed by unit A.
    admin.get_by_role("link", name="窗口", exact=True).click()
    admin.get_by_role("link", name="新建窗口").click()
    admin.get_by_label("窗口编码").fill("CENTER-W21")
    admin.get_by_label("窗口名称").fill("市场监管综合窗口（二）")
    admin.get_by_label("所在场所").select_option(str(cast.center.pk))
    admin.get_by_label("进驻部门").select_option(str(cast.unit_a.pk))
    admin.get_by_role("button", name="保存").click()
    admin.wait_for_url("**/console/windows/*/")
    assert "已新建窗口“市场监管综合窗口（二）”" in admin.locator(".messages").inner_text()
    window = Window.objects.get(code="CENTER-W21")
    browser.screenshot(admin, "admin-window")

    # The clerk who will serve there: a staff member at the window, then the account.
    admin.get_by_role("link", name="新增工作人员").click()
    admin.get_by_label("工号").fill("A021")
    admin.get_by_label("姓名").fill("周敏")
    admin.get_by_label("所属单位").select_option(str(cast.unit_a.pk))
    assert admin.get_by_label("常驻窗口").input_value() == str(window.pk)  # carried over from the window
    admin.get_by_role("button", name="保存").click()
    admin.wait_for_url("**/console/staff/*/")
    assert Staff.objects.get(staff_no="A021").window == window
    admin.get_by_role("link", name="开通账号").click()
    assert admin.get_by_label("角色").input_value() == "window_clerk"
    admin.get_by_label("用户名").fill("zhoumin")
    admin.get_by_role("button", name="开通并生成激活链接").click()
    admin.wait_for_url("**/console/accounts/*/")
    link = admin.locator("[data-link]").inner_text().strip()
    assert "/console/password/?u=" in link and "待激活" in admin.locator("h1").inner_text()
    browser.screenshot(admin, "admin-account-link")

    # The clerk, on another computer: the link, a password, the login.
    clerk = browser.new_page("pc")
    clerk.goto(link)
    clerk.wait_for_url("**/console/password/")  # the token has left the address bar
    assert "zhoumin" in clerk.locator("#link-form").inner_text()
    clerk.get_by_label("新密码", exact=True).fill(FIRST)
    clerk.get_by_label("确认新密码").fill(FIRST)
    browser.screenshot(clerk, "admin-password-link")
    clerk.get_by_role("button", name="设置密码").click()
    assert "密码已设置" in clerk.locator("#link-done").inner_text()
    clerk.goto(link)  # once only
    assert "链接无效或已过期" in clerk.locator("#link-invalid").inner_text()

    sign_in(clerk, "zhoumin", FIRST)
    assert "周敏（A021）" in clerk.locator(".userbox").inner_text()
    clerk.get_by_role("link", name="我的账户").click()
    clerk.wait_for_url("**/console/me/")
    clerk.locator("#id_old_password").fill(FIRST)  # 当前密码
    clerk.locator("#id_new_password1").fill(SECOND)  # 新密码
    clerk.locator("#id_new_password2").fill(SECOND)  # 确认新密码
    clerk.get_by_role("button", name="修改密码").click()
    assert "密码已修改" in clerk.locator(".messages").inner_text()
    assert "登录成功" in clerk.locator(".login-history").inner_text()
    browser.screenshot(clerk, "admin-my-account")
    clerk.get_by_role("button", name="退出登录").click()
    clerk.wait_for_url("**/console/login/")
    sign_in(clerk, "zhoumin", SECOND)
    assert clerk.url.endswith("/console/")
