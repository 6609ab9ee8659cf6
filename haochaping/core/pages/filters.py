"""The filter bars of the console lists: GET forms whose invalid fields are reported, not applied.

Filter forms never restrict access themselves: their unit choices come from the caller's scope
(so nobody is offered another unit's name), and the selectors apply the scope again anyway.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple, Protocol

from django import forms
from django.utils import timezone

from haochaping.core.pages.forms import FastSelect


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class UnitLike(Protocol):
    code: str
    name: str
    depth: int


def unit_choices(units: Iterable[UnitLike], *, everything: str = "全部单位") -> list[tuple[str, str]]:
    """Units as options, indented by depth below the shallowest one (the user's own unit)."""
    units = list(units)
    top = min((u.depth for u in units), default=0)
    return [("", everything)] + [(u.code, "\u3000" * (u.depth - top) + u.name) for u in units]


class GetFilterForm(forms.Form):
    """A GET filter bar; invalid fields are reported and simply not applied."""

    def values(self) -> dict:
        """The valid filter values (validating first); empty strings become None."""
        self.is_valid()
        return {name: (value if value not in ("", None) else None) for name, value in self.cleaned_data.items()}

    @property
    def is_filtered(self) -> bool:
        return any(value for key, value in self.data.items() if key != "page")


def check_date_range(form: forms.Form, cleaned: dict, *, max_years: int | None = None) -> None:
    """``date_to`` before ``date_from`` (or a period over ``max_years``) is an error on ``date_to``
    (``add_error`` also drops it from the cleaned values, so it is not applied)."""
    date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
    if date_from and date_to:
        if date_from > date_to:
            form.add_error("date_to", "截止日期不能早于起始日期")
        elif max_years is not None and (date_to - date_from).days > 366 * max_years:
            form.add_error("date_to", f"统计期间不能超过{_YEARS.get(max_years, max_years)}年")


_YEARS = {1: "一", 2: "两", 3: "三"}


class Period(NamedTuple):
    """A statistics period: its first and last day, and the aware datetimes ``[start, end)`` that
    cover those days in the current time zone (``end`` is midnight after ``date_to``)."""

    date_from: dt.date
    date_to: dt.date
    start: dt.datetime
    end: dt.datetime


class PeriodForm(GetFilterForm):
    """A statistics period (summaries, reports): defaults to the current month."""

    date_from = forms.DateField(label="起始日期", required=False, widget=DateInput())
    date_to = forms.DateField(label="截止日期", required=False, widget=DateInput())

    MAX_YEARS = 3
    MAX_DAYS = 366 * MAX_YEARS

    def clean(self):
        cleaned = super().clean()
        check_date_range(self, cleaned, max_years=self.MAX_YEARS)
        return cleaned

    def period(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """The valid period asked for; a missing or invalid bound falls back to this month."""
        values = self.values()
        first = today.replace(day=1)
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        date_from, date_to = values.get("date_from") or first, values.get("date_to") or last
        if date_from > date_to or (date_to - date_from).days > self.MAX_DAYS:
            return first, last
        return date_from, date_to

    def bounds(self, today: dt.date) -> Period:
        """``period(today)`` with the aware datetimes a query filters on (``start <= t < end``)."""
        date_from, date_to = self.period(today)
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return Period(date_from, date_to, start, end)


class ListFilterForm(GetFilterForm):
    """Unit (with its sub-units) and a date range: the base of the record list's filter bar (the
    rating and case lists use a shared ``core.filters.FilterSet`` instead)."""

    unit = forms.ChoiceField(label="单位", required=False, widget=FastSelect)  # a city has hundreds
    date_from = forms.DateField(label="起始日期", required=False, widget=DateInput())
    date_to = forms.DateField(label="截止日期", required=False, widget=DateInput())

    def __init__(self, data, *, units: Iterable[UnitLike]):
        super().__init__(data)
        self.fields["unit"].choices = unit_choices(units)

    def clean(self):
        cleaned = super().clean()
        check_date_range(self, cleaned)
        return cleaned
