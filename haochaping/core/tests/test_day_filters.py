"""A day filter on a datetime column (``date_from`` / ``date_to`` of the lists) keeps the whole
local day and nothing of the days around it, the lists' FilterSets and the records selector alike
(they compare the column with local midnights)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from haochaping.core.filters import FilterSet, date_filter
from haochaping.organizations.selectors import Scope
from haochaping.service_records.models import ServiceRecord
from haochaping.service_records.selectors import service_record_list

DAY = dt.date(2026, 3, 10)
MIDNIGHT = timezone.make_aware(dt.datetime(2026, 3, 10))  # local (Asia/Shanghai): 2026-03-09 16:00 UTC
MOMENTS = {
    "before": MIDNIGHT - dt.timedelta(microseconds=1),
    "first": MIDNIGHT,
    "last": MIDNIGHT + dt.timedelta(days=1, microseconds=-1),
    "after": MIDNIGHT + dt.timedelta(days=1),
}


class RecordDays(FilterSet):
    date_from = date_filter(label="起", field_name="created_at", lookup_expr="date__gte")
    date_to = date_filter(label="止", field_name="created_at", lookup_expr="date__lte")

    class Meta(FilterSet.Meta):
        model = ServiceRecord
        fields: list[str] = []


@pytest.fixture
def named(world) -> dict[int, str]:
    """Four services received at the four moments: {pk: moment's name}."""
    records = list(ServiceRecord.objects.order_by("pk")[:4])
    for record, moment in zip(records, MOMENTS.values(), strict=True):
        ServiceRecord.objects.filter(pk=record.pk).update(created_at=moment)
    return {record.pk: name for record, name in zip(records, MOMENTS, strict=True)}


def test_the_records_selector_keeps_the_local_day(cast, named):
    scope = Scope(unit_path=cast.district.path)

    def kept(**days) -> set[str]:
        return {named[r.pk] for r in service_record_list(scope=scope, **days) if r.pk in named}

    assert kept(date_from=DAY, date_to=DAY) == {"first", "last"}
    assert kept(date_from=DAY) == {"first", "last", "after"}
    assert kept(date_to=DAY) == {"before", "first", "last"}


def test_a_filterset_day_keeps_the_local_day(named):
    def kept(data: dict) -> set[str]:
        return {named[r.pk] for r in RecordDays(data, queryset=ServiceRecord.objects.filter(pk__in=named)).qs}

    assert kept({"date_from": "2026-03-10", "date_to": "2026-03-10"}) == {"first", "last"}
    assert kept({"date_from": "2026-03-10"}) == {"first", "last", "after"}
    assert kept({"date_to": "2026-03-10"}) == {"before", "first", "last"}
    assert kept({"date_from": "2026-03-11"}) == {"after"}
