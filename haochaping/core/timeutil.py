"""Time helpers: local (Asia/Shanghai) dates and deadline arithmetic."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """Naive times from business systems are Beijing time."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, timezone.get_fixed_timezone(480))
    return value


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def start_of_local_day(day: dt.date) -> dt.datetime:
    """Local midnight at the start of ``day``. A filter on a date of a datetime column compares
    the column with this (``>= start``, ``< start of the next day``): an index on the column is
    used, where ``column__date`` converts every row (on SQLite in Python, row by row)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def end_of_local_day(day: dt.date) -> dt.datetime:
    tz = timezone.get_current_timezone()
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=tz)


def natural_days_deadline(start: dt.datetime, days: int) -> dt.datetime:
    """End of the local day ``days`` natural days after ``start`` (制度第九条: 15 个自然日)."""
    return end_of_local_day(local_date(start) + dt.timedelta(days=days))
