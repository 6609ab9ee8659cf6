"""Statistics periods: a day, week, month, quarter, year or any range of days, with the period
before it (环比) and the same period a year earlier (同比)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

KINDS = {"day": "日", "week": "周", "month": "月", "quarter": "季度", "year": "年", "range": "自定义"}
MAX_DAYS = 366 * 3


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _year_earlier(day: dt.date) -> dt.date:
    return day.replace(year=day.year - 1, day=min(day.day, calendar.monthrange(day.year - 1, day.month)[1]))


@dataclass(frozen=True)
class Period:
    kind: str
    first: dt.date
    last: dt.date  # inclusive

    @classmethod
    def of(cls, kind: str, on: dt.date) -> Period:
        """The period of ``kind`` that contains ``on``."""
        if kind == "day":
            return cls(kind, on, on)
        if kind == "week":
            first = on - dt.timedelta(days=on.weekday())
            return cls(kind, first, first + dt.timedelta(days=6))
        if kind == "month":
            first = on.replace(day=1)
            return cls(kind, first, _add_months(first, 1) - dt.timedelta(days=1))
        if kind == "quarter":
            first = on.replace(month=(on.month - 1) // 3 * 3 + 1, day=1)
            return cls(kind, first, _add_months(first, 3) - dt.timedelta(days=1))
        if kind == "year":
            return cls(kind, on.replace(month=1, day=1), on.replace(month=12, day=31))
        raise ValueError(f"unknown period kind {kind!r}")

    @classmethod
    def between(cls, first: dt.date, last: dt.date) -> Period:
        if last < first:
            raise ValueError("截止日期不能早于起始日期")
        if (last - first).days >= MAX_DAYS:
            raise ValueError("统计区间不能超过 3 年")
        return cls("range", first, last)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period just before (环比): the previous month, quarter…; a range of the same length."""
        if self.kind in ("month", "quarter", "year"):
            return Period.of(self.kind, self.first - dt.timedelta(days=1))
        return Period(self.kind, self.first - dt.timedelta(days=self.days), self.first - dt.timedelta(days=1))

    def next(self) -> Period:
        if self.kind in ("month", "quarter", "year"):
            return Period.of(self.kind, self.last + dt.timedelta(days=1))
        return Period(self.kind, self.last + dt.timedelta(days=1), self.last + dt.timedelta(days=self.days))

    def year_earlier(self) -> Period:
        """The same period a year earlier (同比)."""
        if self.kind in ("month", "quarter", "year"):
            return Period.of(self.kind, _year_earlier(self.first))
        return Period(self.kind, _year_earlier(self.first), _year_earlier(self.last))

    @property
    def label(self) -> str:
        if self.kind == "day":
            return f"{self.first:%Y年%-m月%-d日}"
        if self.kind == "month":
            return f"{self.first:%Y年%-m月}"
        if self.kind == "quarter":
            return f"{self.first.year}年第{(self.first.month - 1) // 3 + 1}季度"
        if self.kind == "year":
            return f"{self.first.year}年"
        return f"{self.first:%Y年%-m月%-d日}至{self.last:%Y年%-m月%-d日}"

    @property
    def query(self) -> str:
        """The query string that selects this period on the analytics pages."""
        if self.kind == "range":
            return f"period=range&date_from={self.first:%Y-%m-%d}&date_to={self.last:%Y-%m-%d}"
        return f"period={self.kind}&on={self.first:%Y-%m-%d}"
