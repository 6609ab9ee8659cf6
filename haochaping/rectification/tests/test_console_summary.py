"""The per-unit summary of bad-rating handling (制度第十条): page, roll-up by subtree, Excel."""

from __future__ import annotations

import datetime as dt
import re
from io import BytesIO
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from haochaping.core.templatetags.pages import percent
from haochaping.rectification.console.summary import COLUMNS as TABLE_COLUMNS
from haochaping.rectification.models import CaseState
from haochaping.rectification.services import case_scan_deadlines
from haochaping.rectification.workflow import Action
from haochaping.testing import login
from haochaping.testing_world import PLAINTEXT, push, push_b, rate, step, upload

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = ["bad", "pending", "rectifying", "rectified", "closed", "invalidated", "on_time", "overdue", "escalated"]


@pytest.fixture
def handled(cast):
    """Bad ratings in several states, made through the real services.

    Unit A (SCJG): pending; closed on time; invalidated; rectifying and overdue (escalated);
    rectified late; extension requested. Unit B (RSJ): fed back on time; pending, overdue and
    escalated. Community point JD01-SQ01 (under street JD01): pending.
    """

    def bad(project_no, days_ago=0, unit=None):
        record = push_b(cast, project_no) if unit == "b" else push(cast, project_no, **(unit or {}))
        return rate(record, 1, reasons=["XC-TD-B01"], days_ago=days_ago).case

    def walk(case, *actions, who="admin_a"):
        for action in actions:
            actor = {Action.APPROVE_INVALID: "supervisor", Action.CALLBACK_SATISFIED: "operator"}.get(action, who)
            extra = {}
            if action == Action.REQUEST_INVALID:
                extra["files"] = [upload()]
            if action == Action.REQUEST_EXTENSION:
                extra["new_due"] = timezone.localtime(case.due_at).date() + dt.timedelta(days=5)
            case = step(cast, actor, case, action, **extra)
        return case

    bad("A-PENDING")
    walk(bad("A-CLOSED"), Action.VERIFY, Action.RECTIFY, Action.FEED_BACK, Action.CALLBACK_SATISFIED)
    walk(bad("A-INVALID"), Action.REQUEST_INVALID, Action.APPROVE_INVALID)
    walk(bad("A-LATE-OPEN", days_ago=20), Action.VERIFY)
    walk(bad("A-LATE-DONE", days_ago=20), Action.VERIFY, Action.RECTIFY)
    walk(bad("A-EXTENSION"), Action.VERIFY, Action.REQUEST_EXTENSION)
    walk(bad("B-FED-BACK", unit="b"), Action.VERIFY, Action.RECTIFY, Action.FEED_BACK, who="admin_b")
    bad("B-PENDING-LATE", days_ago=20, unit="b")
    bad("Q-PENDING", unit={"unit_code": cast.community.code, "window_code": None, "staff_no": None})
    result = case_scan_deadlines()
    assert result.escalated == 2  # A-LATE-OPEN and B-PENDING-LATE: the late-rectified one is settled
    return cast


def counts(row) -> dict:
    return {name: getattr(row, name) for name in COLUMNS}


EXPECTED = {
    "区市场监督管理局": dict(bad=6, pending=1, rectifying=2, rectified=1, closed=1, invalidated=1, on_time=1,
                             overdue=2, escalated=1),
    "区人力资源和社会保障局": dict(bad=2, pending=1, rectifying=0, rectified=1, closed=0, invalidated=0, on_time=1,
                                   overdue=1, escalated=1),
    "人民路街道便民服务中心": dict(bad=1, pending=1, rectifying=0, rectified=0, closed=0, invalidated=0, on_time=0,
                                   overdue=0, escalated=0),
    "某社区便民服务点": dict(bad=1, pending=1, rectifying=0, rectified=0, closed=0, invalidated=0, on_time=0,
                             overdue=0, escalated=0),
    "石龙区政务服务中心": dict.fromkeys(COLUMNS, 0),
}  # fmt: skip
TOTAL = dict(bad=9, pending=3, rectifying=2, rectified=2, closed=1, invalidated=1, on_time=2, overdue=3, escalated=2)


def period() -> dict:
    today = timezone.localdate()
    return {"date_from": (today - dt.timedelta(days=30)).isoformat(), "date_to": today.isoformat()}


def test_the_summary_counts_each_units_subtree_and_the_total(handled, django_assert_max_num_queries):
    client = login(Client(), handled, "supervisor")
    with django_assert_max_num_queries(10):  # 8 + the menu's case and call counts
        response = client.get(reverse("console:case_summary"), period())
    assert response.status_code == 200
    summary = response.context["summary"]
    rows = {row.name: row for row in summary.rows}
    assert [row.name for row in summary.rows] == [
        "石龙区政务服务中心",
        "人民路街道便民服务中心",
        "某社区便民服务点",
        "区人力资源和社会保障局",
        "区市场监督管理局",
    ]
    assert rows["某社区便民服务点"].depth == 1 and rows["人民路街道便民服务中心"].depth == 0
    for name, expected in EXPECTED.items():
        assert counts(rows[name]) == expected, name
    assert counts(summary.total) == TOTAL
    assert rows["区市场监督管理局"].rectify_rate == pytest.approx(2 / 5)
    assert rows["区市场监督管理局"].on_time_rate == pytest.approx(1 / 3)
    assert summary.total.rectify_rate == pytest.approx(3 / 8)
    assert summary.total.on_time_rate == pytest.approx(2 / 5)
    assert rows["石龙区政务服务中心"].rectify_rate is None
    html = response.content.decode()
    assert "差评整改情况汇总" in html and "合计" in html and "整改率" in html and "按期整改率" in html
    assert "40.0%" in html and "37.5%" in html and "33.3%" in html and "—" in html
    assert "（已整改＋已反馈＋办结）÷（差评数－无效）" in html  # definitions under the table
    assert "统计范围：平顶山市石龙区" in html
    # Each table row shows its unit's figures, column by column (the cells are built by the view).
    shown = {
        re.sub(r"<[^>]+>", "", tr[0]).strip(): [re.sub(r"<[^>]+>", "", td) for td in tr[1:]]
        for tr in (
            re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)
        )
        if tr
    }
    for row in [*summary.rows, summary.total]:
        name = row.name if row is not summary.total else "合计"
        expected = [percent(getattr(row, a)) if is_rate else str(getattr(row, a)) for _, a, is_rate in TABLE_COLUMNS]
        assert shown[name] == expected, name
    assert html.count('class="num num-bad"') == sum(1 for row in summary.rows if row.overdue)


def test_a_department_admin_summarises_only_their_unit(handled):
    response = login(Client(), handled, "admin_b").get(reverse("console:case_summary"), period())
    summary = response.context["summary"]
    assert [row.name for row in summary.rows] == ["区人力资源和社会保障局"]
    assert counts(summary.total) == EXPECTED["区人力资源和社会保障局"]
    assert "区市场监督管理局" not in response.content.decode()


def test_the_period_selects_cases_by_when_they_were_opened(handled):
    today = timezone.localdate()
    client = login(Client(), handled, "supervisor")
    recent = client.get(reverse("console:case_summary"), {"date_from": (today - dt.timedelta(days=5)).isoformat()})
    assert recent.context["summary"].total.bad == 6  # the three rated 20 days ago are left out
    response = client.get(reverse("console:case_summary"))  # default: this month
    first = today.replace(day=1)
    assert response.context["date_from"] == first and response.context["date_to"].month == today.month
    since, before = today - dt.timedelta(days=40), today - dt.timedelta(days=60)
    response = client.get(reverse("console:case_summary"), {"date_from": since, "date_to": before})
    assert "截止日期不能早于起始日期" in response.content.decode()
    # The invalid bound is reported and not applied; the valid one still is.
    assert response.context["date_from"] == since and response.context["date_to"] >= today


def test_the_excel_export_opens_with_the_same_counts(handled, django_assert_max_num_queries):
    client = login(Client(), handled, "supervisor")
    with django_assert_max_num_queries(6):
        response = client.get(reverse("console:case_summary_export"), period())
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="case-summary-')
    assert f"filename*=UTF-8''{quote('差评整改情况汇总_')}" in disposition
    book = load_workbook(BytesIO(response.content))
    sheet = book.active
    assert sheet.title == "差评整改汇总"
    assert sheet["A1"].value == "差评整改情况汇总表"
    today = timezone.localdate()
    assert f"{today - dt.timedelta(days=30):%Y-%m-%d} 至 {today:%Y-%m-%d}" in sheet["A2"].value
    assert "平顶山市石龙区" in sheet["A2"].value
    headers = [cell.value for cell in sheet[4]]
    assert headers == ["单位", "差评数", "待核实", "整改中", "已整改/已反馈", "办结", "无效", "按期整改", "逾期",
                       "督办数", "整改率", "按期整改率"]  # fmt: skip
    table = {row[0].value: row for row in sheet.iter_rows(min_row=5, max_row=10)}
    assert set(table) == set(EXPECTED) | {"合计"}
    for name, expected in [*EXPECTED.items(), ("合计", TOTAL)]:
        assert [cell.value for cell in table[name][1:10]] == [expected[c] for c in COLUMNS], name
    scjg = table["区市场监督管理局"]
    assert scjg[10].value == pytest.approx(0.4) and scjg[10].number_format == "0.0%"
    assert scjg[11].value == pytest.approx(1 / 3)
    assert table["石龙区政务服务中心"][10].value == "—"
    assert table["合计"][0].font.b
    assert table["某社区便民服务点"][0].alignment.indent == 1
    assert sheet.column_dimensions["A"].width >= 20
    texts = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert any("按期整改 ÷（按期整改＋逾期）" in text for text in texts)  # definitions travel with the data
    for value in PLAINTEXT:
        assert all(value not in text for text in texts)


def test_the_excel_export_of_a_department_admin_is_their_unit_only(handled):
    response = login(Client(), handled, "admin_a").get(reverse("console:case_summary_export"), period())
    sheet = load_workbook(BytesIO(response.content)).active
    names = [row[0].value for row in sheet.iter_rows(min_row=5, max_row=6)]
    assert names == ["区市场监督管理局", "合计"]
    assert "区人力资源和社会保障局" not in str([c.value for row in sheet.iter_rows() for c in row])


def test_invalidated_ratings_leave_the_rectification_rate(handled):
    """整改率 counts (已整改+已反馈+办结) over the bad ratings that were not invalidated."""
    response = login(Client(), handled, "admin_a").get(reverse("console:case_summary"), period())
    total = response.context["summary"].total
    assert total.invalidated == 1 and total.bad == 6
    assert total.rectify_rate == pytest.approx((total.rectified + total.closed) / 5)
    assert CaseState.INVALIDATED.label == "无效评价"
