"""The 办件 list of a one-unit subtree filters on that unit's id (so the databases read its
newest services through the (unit, created_at) index); a larger subtree or a clerk's list does
not, and what each caller sees is unchanged."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from haochaping.organizations.models import Unit
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import login, push_record

LIST = reverse("console:record_list")


def _list_sql(client: Client) -> tuple[list[int], str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert response.status_code == 200
    shown = [r.pk for r in response.context["page_obj"].object_list]
    (sql,) = [
        q["sql"]
        for q in queries.captured_queries
        if 'ORDER BY "service_records_servicerecord"."created_at" DESC' in q["sql"] and "LIMIT" in q["sql"]
    ]
    return shown, sql


@pytest.mark.django_db
def test_a_lone_units_list_filters_on_its_id(cast):
    push_record(cast, "SCJG-LONE-1")
    push_record(cast, "SCJG-LONE-2")
    seen = set()
    for who in ("admin_a", "supervisor"):
        user = cast.users[who]
        unit = user.membership.unit
        lone = not Unit.objects.filter(path__startswith=unit.path).exclude(pk=unit.pk).exists()
        shown, sql = _list_sql(login(Client(), cast, who))
        expected = ServiceRecord.objects.filter(unit__path__startswith=unit.path).order_by("-created_at", "-pk")
        assert shown == [r.pk for r in expected[:50]], who
        assert (f'"service_records_servicerecord"."unit_id" = {unit.pk}' in sql) == lone, (who, sql)
        assert shown
        seen.add(lone)
    assert seen == {True, False}  # a lone unit and a larger subtree
