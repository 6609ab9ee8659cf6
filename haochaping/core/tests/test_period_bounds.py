"""PeriodForm.bounds: the period's days and the aware [start, end) a statistics query filters on."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from haochaping.core.pages.filters import Period, PeriodForm

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 2, 14)


def test_bounds_cover_the_asked_days_in_local_time():
    period = PeriodForm({"date_from": "2026-01-05", "date_to": "2026-01-31"}).bounds(TODAY)
    assert period == Period(
        dt.date(2026, 1, 5),
        dt.date(2026, 1, 31),
        dt.datetime(2026, 1, 5, tzinfo=SHANGHAI),
        dt.datetime(2026, 2, 1, tzinfo=SHANGHAI),
    )
    assert period.start.utcoffset() == dt.timedelta(hours=8)


def test_bounds_default_to_this_month_and_unpack_like_a_tuple():
    date_from, date_to, start, end = PeriodForm({}).bounds(TODAY)
    assert (date_from, date_to) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert (start, end) == (dt.datetime(2026, 2, 1, tzinfo=SHANGHAI), dt.datetime(2026, 3, 1, tzinfo=SHANGHAI))


def test_an_invalid_bound_falls_back_to_this_month():
    form = PeriodForm({"date_from": "2026-01-31", "date_to": "2026-01-05"})
    period = form.bounds(TODAY)
    assert (period.date_from, period.date_to) == (dt.date(2026, 1, 31), dt.date(2026, 2, 28))
    assert "date_to" in form.errors
