"""工作日历 in headless Chromium: the centre's supervisor opens the page from the menu, enters
the 2027 Spring Festival day by day with the entry form, and a working-day deadline across the
festival follows. Screenshot: artifacts/screenshots/console-calendar-2027.png."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from haochaping.core.models import CalendarDay
from haochaping.rectification.services import case_deadline
from haochaping.testing import PASSWORD, build_cast
from haochaping.testing_browser import browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHANGHAI = ZoneInfo("Asia/Shanghai")
# As the State Council had not published 2027 when this was written, the test enters its own
# Spring Festival (正月初一 = 2027-02-06): off 02-05…02-11, make-up working days 01-31 and 02-20.
DAYS = [(dt.date(2027, 2, 5) + dt.timedelta(days=i), "休息日（放假）", "春节") for i in range(7)] + [
    (dt.date(2027, 1, 31), "工作日（调休上班）", "春节调休上班"),
    (dt.date(2027, 2, 20), "工作日（调休上班）", "春节调休上班"),
]


def test_the_centre_enters_the_2027_spring_festival_with_the_form(browser, settings):  # noqa: F811
    settings.RECTIFICATION_DAYS = 10
    settings.RECTIFICATION_DAY_KIND = "working"
    build_cast()
    page = browser.new_page("pc")
    page.goto("/console/login/")
    page.get_by_label("用户名").fill("supervisor")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登 录").click()
    page.wait_for_url("**/console/")
    page.get_by_role("link", name="工作日历", exact=True).click()
    page.wait_for_url("**/console/calendar/")
    page.get_by_role("link", name="2027 年 ›").click()
    assert "尚未录入该年节假日安排" in page.locator("#calendar-coverage").inner_text()

    form = page.locator("#calendar-day-form")
    for day, kind, note in DAYS:
        form.get_by_label("日期").fill(day.isoformat())
        form.get_by_label(kind).check()
        form.get_by_label("说明").fill(note)
        form.get_by_role("button", name="保存").click()
        page.wait_for_selector(f'tr[data-date="{day.isoformat()}"]')
        assert f"{day.isoformat()}" in page.locator(".msg-success").inner_text()

    assert "按录入的节假日安排计算" in page.locator("#calendar-coverage").inner_text()
    assert "7 个休息日、2 个调休上班日" in page.locator("#calendar-coverage").inner_text()
    assert page.locator('tr[data-date="2027-02-06"]').inner_text().split("\t")[:4] == [
        "2027-02-06",
        "周六",
        "休息日",
        "春节",
    ]
    browser.screenshot(page, "console-calendar-2027")
    assert CalendarDay.objects.filter(date__year=2027).count() == 9
    rated = dt.datetime(2027, 2, 3, 10, 0, tzinfo=SHANGHAI)
    assert case_deadline(rated).astimezone(SHANGHAI).date() == dt.date(2027, 2, 23)
