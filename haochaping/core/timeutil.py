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


def end_of_local_day(day: dt.date) -> dt.datetime:
    tz = timezone.get_current_timezone()
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=tz)


def natural_days_deadline(start: dt.datetime, days: int) -> dt.datetime:
    """End of the local day ``days`` natural days after ``start`` (制度第九条: 15 个自然日)."""
    return end_of_local_day(local_date(start) + dt.timedelta(days=days))


def start_of_local_day(day: dt.date) -> dt.datetime:
    """The first instant of the local day: ``moment >= start_of_local_day(d)`` is "on ``d`` or
    later", a range an index on ``moment`` serves (``moment__date__gte`` casts every row)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def local_day_lookups(field: str, *, first: dt.date | None = None, last: dt.date | None = None) -> dict:
    """Filter keywords keeping ``field`` within the local days ``first``..``last`` (both
    included, either open), as bounds on the column itself so that its index is used."""
    lookups: dict = {}
    if first is not None:
        lookups[f"{field}__gte"] = start_of_local_day(first)
    if last is not None:
        lookups[f"{field}__lt"] = start_of_local_day(last + dt.timedelta(days=1))
    return lookups
