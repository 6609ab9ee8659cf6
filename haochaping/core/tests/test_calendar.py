"""Working-day calendar: package data for 2026, overrides, the weekday fallback, deadlines.

The 2026 dates below are what chinesecalendar 1.11 ships (国办发明电〔2025〕7号):
Spring Festival 2026-02-15..02-23 off, make-up Saturdays 02-14 and 02-28;
National Day 2026-10-01..10-07 off, make-up Sunday 09-20 and Saturday 10-10.
"""

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest

from haochaping.core import calendar
from haochaping.core.calendar import (
    DayKind,
    WorkCalendar,
    add_natural_days,
    add_working_days,
    calendar_coverage,
    deadline,
    is_workday,
)
from haochaping.core.models import CalendarDay

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fresh_warnings():
    calendar._forget_warnings()
    yield
    calendar._forget_warnings()


def days(start: str, end: str) -> list[dt.date]:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def test_national_day_2026_is_seven_days_off_with_make_up_sunday_and_saturday():
    assert [d for d in days("2026-09-30", "2026-10-12") if not is_workday(d)] == [
        *days("2026-10-01", "2026-10-07"),
        dt.date(2026, 10, 11),  # an ordinary Sunday
    ]
    assert dt.date(2026, 9, 20).weekday() == 6 and is_workday(dt.date(2026, 9, 20))
    assert dt.date(2026, 10, 10).weekday() == 5 and is_workday(dt.date(2026, 10, 10))
    assert is_workday(dt.date(2026, 10, 8))


def test_spring_festival_2026_is_nine_days_off_between_two_make_up_saturdays():
    off = [d for d in days("2026-02-13", "2026-03-01") if not is_workday(d)]
    assert off == [*days("2026-02-15", "2026-02-23"), dt.date(2026, 3, 1)]
    assert is_workday(dt.date(2026, 2, 14)) and is_workday(dt.date(2026, 2, 28))


def test_adding_working_days_skips_the_national_day_holiday():
    # Wed 09-30 + 1 working day = Thu 10-08; + 3 = Sat 10-10 (make-up day), + 4 = Mon 10-12.
    assert add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    assert add_working_days(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)
    assert add_working_days(dt.date(2026, 9, 30), 4) == dt.date(2026, 10, 12)
    # Counting from inside the holiday starts on the first day back.
    assert add_working_days(dt.date(2026, 10, 3), 1) == dt.date(2026, 10, 8)


def test_a_make_up_saturday_counts_as_a_working_day():
    # Fri 02-27 + 1 is the make-up Saturday 02-28, not Monday 03-02.
    assert add_working_days(dt.date(2026, 2, 27), 1) == dt.date(2026, 2, 28)
    assert add_working_days(dt.date(2026, 2, 27), 2) == dt.date(2026, 3, 2)


def test_counting_backwards_and_zero_days():
    assert add_working_days(dt.date(2026, 10, 8), -1) == dt.date(2026, 9, 30)
    assert add_working_days(dt.date(2026, 10, 3), 0) == dt.date(2026, 10, 3)


def test_an_override_beats_the_package():
    CalendarDay.objects.create(date=dt.date(2026, 10, 8), is_workday=False, note="本地顺延一天")
    CalendarDay.objects.create(date=dt.date(2026, 10, 11), is_workday=True, note="集中办理日")
    assert not is_workday(dt.date(2026, 10, 8))
    assert is_workday(dt.date(2026, 10, 11))
    assert add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 9)
    assert calendar_coverage(2026) == "package"


def test_a_year_nobody_knows_falls_back_to_weekdays_and_warns_once(caplog):
    caplog.set_level(logging.WARNING, logger="haochaping.calendar")
    assert calendar_coverage(2031) == "weekday_fallback"
    # 2031-10-01 is a Wednesday: without a calendar it is an ordinary working day.
    assert is_workday(dt.date(2031, 10, 1))
    assert not is_workday(dt.date(2031, 10, 4))  # Saturday
    assert add_working_days(dt.date(2031, 10, 3), 1) == dt.date(2031, 10, 6)
    warnings = [r for r in caplog.records if r.name == "haochaping.calendar"]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING and "2031" in warnings[0].getMessage()


def test_entered_overrides_cover_a_year_the_package_does_not_know(caplog):
    caplog.set_level(logging.WARNING, logger="haochaping.calendar")
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=d, is_workday=False, note="国庆节") for d in days("2031-10-01", "2031-10-07")]
        + [CalendarDay(date=dt.date(2031, 10, 11), is_workday=True, note="国庆调休")]
    )
    assert calendar_coverage(2031) == "override"
    assert add_working_days(dt.date(2031, 9, 30), 1) == dt.date(2031, 10, 8)
    assert add_working_days(dt.date(2031, 10, 10), 1) == dt.date(2031, 10, 11)  # make-up Saturday
    assert is_workday(dt.date(2031, 10, 9))  # not entered: plain weekday rule
    assert not [r for r in caplog.records if r.name == "haochaping.calendar"]


def test_coverage_of_a_year_the_package_knows():
    assert calendar_coverage(2026) == "package"
    assert calendar_coverage(2025) == "package"


def test_natural_day_deadline_is_the_end_of_the_local_day():
    # 20:30 UTC on 09-30 is already 10-01 in Shanghai: 15 natural days later is 10-16.
    start = dt.datetime(2026, 9, 30, 20, 30, tzinfo=dt.UTC)
    due = deadline(start, 15, DayKind.NATURAL)
    assert due == dt.datetime(2026, 10, 16, 23, 59, 59, tzinfo=SHANGHAI)
    assert add_natural_days(dt.date(2026, 10, 1), 15) == dt.date(2026, 10, 16)


def test_working_day_deadline_is_the_end_of_the_local_day_after_the_holiday():
    start = dt.datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    assert deadline(start, 3, DayKind.WORKING) == dt.datetime(2026, 10, 10, 23, 59, 59, tzinfo=SHANGHAI)
    with pytest.raises(ValueError, match="unknown day kind"):
        deadline(start, 3, "lunar")


def test_one_calendar_instance_reads_each_years_overrides_once(django_assert_num_queries):
    cal = WorkCalendar()
    with django_assert_num_queries(2):  # 2025 and 2026
        # New Year 2026: 01-01..01-03 off, Sunday 01-04 is a make-up working day.
        assert cal.add_working_days(dt.date(2025, 12, 30), 2) == dt.date(2026, 1, 4)
        assert cal.is_workday(dt.date(2026, 10, 10))
