"""Working-day calendar: Chinese public holidays and make-up workdays (调休), with overrides.

Where a day's answer comes from, first match wins:

1. ``CalendarDay`` rows (operators enter next year's State Council calendar each November, or
   correct a single day);
2. the ``chinesecalendar`` package, which knows the years up to its last release (it raises
   ``NotImplementedError`` outside them);
3. plain Monday–Friday, with a warning logged once per year per process. ``calendar_coverage``
   tells the UI which of the three a year relies on, so it can show the same warning.

Deadlines are the end of a local (Asia/Shanghai) day: see ``core.timeutil``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Literal

import chinese_calendar
from django.db import models

from haochaping.core.models import CalendarDay
from haochaping.core.timeutil import end_of_local_day, local_date, natural_days_deadline

logger = logging.getLogger("haochaping.calendar")

Coverage = Literal["override", "package", "weekday_fallback"]

_warned_years: set[int] = set()
_warned_lock = threading.Lock()


class DayKind(models.TextChoices):
    """How a deadline counts days (制度第九条 counts natural days; a deployment may choose working days)."""

    NATURAL = "natural", "自然日"
    WORKING = "working", "工作日"


def _package_is_workday(day: dt.date) -> bool | None:
    """The package's answer, or None for a year it does not know."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def _package_knows(year: int) -> bool:
    return _package_is_workday(dt.date(year, 1, 1)) is not None


package_knows = _package_knows

_HOLIDAY_NAMES = {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}


def package_special_days(year: int) -> dict[dt.date, tuple[bool, str]]:
    """What the package knows about ``year`` beyond Monday–Friday: every public holiday day
    (``False``) and every make-up working day (``True``), with the holiday's Chinese name
    (春节, 国庆节…). Empty for a year the package does not know."""
    from chinese_calendar import constants

    days: dict[dt.date, tuple[bool, str]] = {}
    for table, is_workday in ((constants.holidays, False), (constants.workdays, True)):
        for day, name in table.items():
            if day.year == year:
                days[day] = (is_workday, _HOLIDAY_NAMES.get(name, name))
    return dict(sorted(days.items()))


def _warn_fallback(year: int) -> None:
    with _warned_lock:
        if year in _warned_years:
            return
        _warned_years.add(year)
    logger.warning(
        "no holiday calendar for %s (neither calendar overrides nor the chinesecalendar package): "
        "counting Monday-Friday as working days; enter the year's calendar to fix deadlines",
        year,
    )


class WorkCalendar:
    """One read of the override table per year touched, for the lifetime of the instance.

    Create one per request or per job run (a deadline scan over many cases reuses it); the
    module-level functions below create a fresh one per call.
    """

    def __init__(self) -> None:
        self._overrides: dict[int, dict[dt.date, bool]] = {}

    def overrides(self, year: int) -> dict[dt.date, bool]:
        if year not in self._overrides:
            rows = CalendarDay.objects.filter(date__year=year).values_list("date", "is_workday")
            self._overrides[year] = dict(rows)
        return self._overrides[year]

    def coverage(self, year: int) -> Coverage:
        if _package_knows(year):
            return "package"
        if self.overrides(year):
            return "override"
        return "weekday_fallback"

    def is_workday(self, day: dt.date) -> bool:
        overrides = self.overrides(day.year)
        if day in overrides:
            return overrides[day]
        answer = _package_is_workday(day)
        if answer is not None:
            return answer
        if not overrides:  # nobody entered this year at all: a guess, say so
            _warn_fallback(day.year)
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start`` (before it for negative n); ``start`` itself for 0.

        ``start`` need not be a working day: 1 working day after a Saturday is the next working
        day (Monday, or a make-up Sunday).
        """
        step = 1 if n >= 0 else -1
        day, remaining = start, abs(n)
        while remaining:
            day += dt.timedelta(days=step)
            if self.is_workday(day):
                remaining -= 1
        return day

    def deadline(self, start: dt.datetime, n: int, kind: str = DayKind.NATURAL) -> dt.datetime:
        """End of the local day ``n`` natural or working days after ``start``."""
        if kind == DayKind.NATURAL:
            return natural_days_deadline(start, n)
        if kind == DayKind.WORKING:
            return end_of_local_day(self.add_working_days(local_date(start), n))
        raise ValueError(f"unknown day kind {kind!r}")


def is_workday(day: dt.date) -> bool:
    return WorkCalendar().is_workday(day)


def add_working_days(start: dt.date, n: int) -> dt.date:
    return WorkCalendar().add_working_days(start, n)


def add_natural_days(start: dt.date, n: int) -> dt.date:
    return start + dt.timedelta(days=n)


def deadline(start: dt.datetime, n: int, kind: str = DayKind.NATURAL) -> dt.datetime:
    return WorkCalendar().deadline(start, n, kind)


def calendar_coverage(year: int) -> Coverage:
    """Where ``year``'s working days come from: "package" (the installed chinesecalendar),
    "override" (the package does not know the year; operators entered it as CalendarDay rows,
    on top of Monday–Friday) or "weekday_fallback" (nobody knows it: plain Monday–Friday, warn)."""
    return WorkCalendar().coverage(year)


def _forget_warnings() -> None:
    """Tests only: forget which fallback years were already warned about in this process."""
    with _warned_lock:
        _warned_years.clear()
