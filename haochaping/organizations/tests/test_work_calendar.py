"""工作日历: the centre enters 2027 (the package stops at 2026) through the console and the
command line, and working-day deadlines of rectification cases follow at once."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from haochaping.audit.models import AuditEvent
from haochaping.core.calendar import WorkCalendar, calendar_coverage, is_workday
from haochaping.core.models import CalendarDay
from haochaping.rectification.services import case_deadline
from haochaping.testing import login

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXAMPLE = Path(settings.BASE_DIR) / "docs" / "examples" / "calendar-2027-example.csv"
# The 2027 Spring Festival (正月初一 = Saturday 6 February 2027) as this test enters it: off
# Friday 02-05 to Thursday 02-11, make-up working days Sunday 01-31 and Saturday 02-20. The
# State Council had not published 2027 when this was written; the test enters its own days.
SPRING_FESTIVAL_OFF = [dt.date(2027, 2, 5) + dt.timedelta(days=i) for i in range(7)]
MAKE_UP = [dt.date(2027, 1, 31), dt.date(2027, 2, 20)]


def csv_file(text: str, name: str = "2027.csv") -> io.BytesIO:
    handle = io.BytesIO(text.encode("utf-8"))
    handle.name = name
    return handle


def enter_spring_festival(client: Client) -> None:
    for day in SPRING_FESTIVAL_OFF:
        r = client.post(reverse("console:calendar_day_add"), {"date": day.isoformat(), "kind": "rest", "note": "春节"})
        assert r.status_code == 302, r.content.decode()
    for day in MAKE_UP:
        r = client.post(reverse("console:calendar_day_add"), {"date": day, "kind": "work", "note": "调休上班"})
        assert r.status_code == 302


def test_a_working_day_deadline_across_the_2027_spring_festival_follows_the_days_entered_on_the_page(cast, settings):
    settings.RECTIFICATION_DAYS = 10
    settings.RECTIFICATION_DAY_KIND = "working"
    rated = dt.datetime(2027, 2, 3, 10, 0, tzinfo=SHANGHAI)  # Wednesday before the festival
    # Nobody knows 2027 yet: Monday–Friday, 10 working days after 02-03 is Wednesday 02-17.
    assert calendar_coverage(2027) == "weekday_fallback"
    assert case_deadline(rated).astimezone(SHANGHAI).date() == dt.date(2027, 2, 17)

    client = login(Client(), cast, "supervisor")
    enter_spring_festival(client)

    assert calendar_coverage(2027) == "override"
    # Thu 02-04 (1), festival 02-05…02-11, Fri 02-12 (2), 02-15…02-19 (3–7), make-up Sat 02-20
    # (8), Mon 02-22 (9), Tue 02-23 (10).
    due = case_deadline(rated).astimezone(SHANGHAI)
    assert due.date() == dt.date(2027, 2, 23) and (due.hour, due.minute) == (23, 59)
    page = client.get(reverse("console:calendar"), {"year": 2027}).content.decode()
    assert "2027-02-06" in page and "春节" in page and "调休上班" in page and "录入" in page
    assert AuditEvent.objects.filter(action="organizations:calendar_day:created").count() == 9


def test_the_list_shows_what_the_package_knows_for_2026(cast):
    page = login(Client(), cast, "supervisor").get(reverse("console:calendar"), {"year": 2026}).content.decode()
    assert "2026-02-15" in page and "春节" in page and "软件包" in page  # a holiday
    assert "2026-02-14" in page  # a make-up Saturday


def test_an_edit_and_a_delete_are_audited_and_seen_by_the_next_computation(cast):
    client = login(Client(), cast, "supervisor")
    calendar = WorkCalendar()  # one computation in progress keeps what it read (documented)
    assert calendar.is_workday(dt.date(2026, 10, 9))
    url = reverse("console:calendar_day", kwargs={"day": "2026-10-09"})
    assert "尚未录入" in client.get(url).content.decode()
    r = client.post(url, {"date": "2026-10-09", "kind": "rest", "note": "本地顺延"})
    assert r.status_code == 302
    assert is_workday(dt.date(2026, 10, 9)) is False  # every new computation reads the table
    event = AuditEvent.objects.get(action="organizations:calendar_day:created")
    assert event.data == {"date": "2026-10-09", "is_workday": False, "note": "本地顺延", "before": None}

    client.post(url, {"date": "2026-10-09", "kind": "rest", "note": "本地顺延一天"})
    event = AuditEvent.objects.get(action="organizations:calendar_day:updated")
    assert event.data["before"] == {"is_workday": False, "note": "本地顺延"}

    r = client.post(reverse("console:calendar_day_delete", kwargs={"day": "2026-10-09"}))
    assert r.status_code == 302
    assert not CalendarDay.objects.exists() and is_workday(dt.date(2026, 10, 9))
    assert AuditEvent.objects.filter(action="organizations:calendar_day:deleted").count() == 1


def test_a_bad_note_is_refused_in_chinese_and_nothing_changes(cast):
    client = login(Client(), cast, "supervisor")
    r = client.post(reverse("console:calendar_day_add"), {"date": "2027-02-30", "kind": "rest", "note": "春节"})
    assert r.status_code == 422 and "有效的日期" in r.content.decode()
    r = client.post(reverse("console:calendar_day_add"), {"date": "2027-02-06", "kind": "rest", "note": "长" * 101})
    assert r.status_code == 422
    assert not CalendarDay.objects.exists()


def test_the_import_shows_each_broken_row_and_writes_nothing(cast):
    client = login(Client(), cast, "supervisor")
    table = (
        "日期,类型,说明\n"
        "2027-02-05,休息日,春节\n"
        "2027-02-30,休息日,春节\n"  # no such day
        "2027-02-06,放假了,春节\n"  # unknown kind
        "2027-02-05,工作日,重复\n"  # the same date twice
    )
    r = client.post(reverse("console:calendar_import"), {"file": csv_file(table)})
    html = r.content.decode()
    assert r.status_code == 200 and "发现 3 处错误，未写入任何数据" in html
    assert "第 3 行「日期」：无法识别“2027-02-30”" in html
    assert "第 4 行「类型」：“放假了”无法识别" in html
    assert "第 5 行「日期」：2027-02-05 与第 2 行重复" in html
    assert "确认导入" not in html and not CalendarDay.objects.exists()
    r = client.post(reverse("console:calendar_import"), {"file": csv_file("日期,说明\n2027-01-01,元旦\n")})
    assert "缺少列：类型" in r.content.decode()


def test_the_example_file_imports_after_a_dry_run_and_a_second_import_changes_nothing(cast):
    client = login(Client(), cast, "supervisor")
    upload = csv_file(EXAMPLE.read_text(encoding="utf-8-sig"), "calendar-2027-example.csv")
    r = client.post(reverse("console:calendar_import"), {"file": upload})
    plan = r.context["plan"]
    assert not plan.errors and plan.created == 33 and not CalendarDay.objects.exists()  # a dry run
    r = client.post(reverse("console:calendar_import"), {"plan": r.context["token"]})
    assert r.status_code == 302 and CalendarDay.objects.count() == 33
    assert not is_workday(dt.date(2027, 2, 8)) and is_workday(dt.date(2027, 1, 31))
    event = AuditEvent.objects.get(action="organizations:calendar_day:imported")
    assert event.data["created"] == 33 and len(event.data["changes"]) == 33

    upload = csv_file(EXAMPLE.read_text(encoding="utf-8-sig"), "again.csv")
    r = client.post(reverse("console:calendar_import"), {"file": upload})
    assert r.context["plan"].unchanged == 33
    client.post(reverse("console:calendar_import"), {"plan": r.context["token"]})
    assert AuditEvent.objects.filter(action="organizations:calendar_day:imported").count() == 1  # nothing changed


def test_an_excel_table_with_real_dates_imports_and_a_tampered_plan_is_refused(cast):
    book = Workbook()
    sheet = book.active
    sheet.append(["日期", "类型", "说明"])
    sheet.append([dt.datetime(2027, 10, 1), "休息日", "国庆节"])
    sheet.append(["2027/10/9", "工作日", "调休上班"])
    data = io.BytesIO()
    book.save(data)
    upload = io.BytesIO(data.getvalue())
    upload.name = "2027.xlsx"
    client = login(Client(), cast, "supervisor")
    r = client.post(reverse("console:calendar_import"), {"file": upload})
    token = r.context["token"]
    r = client.post(reverse("console:calendar_import"), {"plan": token[:-2] + "xx"}, follow=True)
    assert "预检结果已失效" in r.content.decode() and not CalendarDay.objects.exists()
    client.post(reverse("console:calendar_import"), {"plan": token})
    assert dict(CalendarDay.objects.values_list("date", "is_workday")) == {
        dt.date(2027, 10, 1): False,
        dt.date(2027, 10, 9): True,
    }


@pytest.mark.parametrize("who", ["admin_a", "clerk_a", "operator", "auditor"])
def test_only_the_centre_may_see_or_change_the_calendar(cast, who):
    client = login(Client(), cast, who)
    assert client.get(reverse("console:calendar")).status_code == 403
    r = client.post(reverse("console:calendar_day_add"), {"date": "2027-02-06", "kind": "rest"})
    assert r.status_code == 403 and not CalendarDay.objects.exists()
    assert client.post(reverse("console:calendar_import"), {"file": csv_file("日期,类型,说明\n")}).status_code == 403
    assert "工作日历" not in client.get(reverse("console:home")).content.decode()


def test_the_home_page_warns_the_centre_30_days_before_the_calendar_runs_out(cast):
    supervisor, admin = login(Client(), cast, "supervisor"), login(Client(), cast, "admin_a")
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, tzinfo=SHANGHAI), tick=False):
        assert supervisor.get(reverse("console:home")).context["calendar_expiry"] is None  # 31 days left
    with time_machine.travel(dt.datetime(2026, 12, 7, 9, tzinfo=SHANGHAI), tick=False):
        html = supervisor.get(reverse("console:home")).content.decode()
        assert "工作日历将于 2026-12-31 到期，请录入 2027 年节假日安排" in html
        assert f'href="{reverse("console:calendar")}?year=2027"' in html
        assert "工作日历将于" not in admin.get(reverse("console:home")).content.decode()
        call_command("calendar", "import", str(EXAMPLE), stdout=io.StringIO())
        assert supervisor.get(reverse("console:home")).context["calendar_expiry"] is None
    with time_machine.travel(dt.datetime(2028, 1, 3, 9, tzinfo=SHANGHAI), tick=False):
        html = login(Client(), cast, "supervisor").get(reverse("console:home")).content.decode()
        assert "工作日历已于 2027-12-31 到期，请录入 2028 年节假日安排" in html


def test_the_command_line_shows_a_year_and_imports_with_a_dry_run(cast, tmp_path):
    out = io.StringIO()
    call_command("calendar", "import", str(EXAMPLE), "--dry-run", stdout=out)
    assert "预检通过（未写入）：新增 33 天" in out.getvalue() and not CalendarDay.objects.exists()
    call_command("calendar", "import", str(EXAMPLE), stdout=out)
    assert CalendarDay.objects.count() == 33
    assert AuditEvent.objects.get(action="organizations:calendar_day:imported").actor_type == "cli"
    out = io.StringIO()
    call_command("calendar", "show", "2027", stdout=out)
    assert "2027-02-06  周六  休息日  春节（示例）  [录入]" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text("日期,类型,说明\n2027-13-01,休息日,x\n", encoding="utf-8")
    with pytest.raises(CommandError, match="发现 1 处错误"):
        call_command("calendar", "import", str(bad), stderr=io.StringIO())
