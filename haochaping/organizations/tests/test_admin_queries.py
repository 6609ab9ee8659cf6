"""The administration lists run a fixed number of queries, whatever their number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from haochaping.audit.services import Actor
from haochaping.organizations.models import Role
from haochaping.organizations.services import console_user_create, staff_create, unit_create, window_create
from haochaping.testing import login

pytestmark = pytest.mark.django_db

PAGES = {"/console/units/": 12, "/console/windows/": 10, "/console/staff/": 10, "/console/accounts/": 10}


def grow(cast, start: int, n: int) -> None:
    actor = Actor.cli("tests")
    for i in range(start, start + n):
        unit = unit_create(actor=actor, code=f"U{i:03d}", name=f"单位{i}", kind="department", parent=cast.district)
        window = window_create(actor=actor, code=f"W{i:03d}", name=f"窗口{i}", unit=cast.center, department=unit)
        person = staff_create(actor=actor, staff_no=f"S{i:03d}", name=f"人员{i}", unit=unit, window=window)
        console_user_create(actor=actor, username=f"user{i:03d}", password="x-unused-123", unit=unit,
                            role=Role.WINDOW_CLERK, staff=person)  # fmt: skip


def counts(client: Client) -> dict[str, int]:
    found = {}
    for path in PAGES:
        client.get(path)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200, path
        found[path] = len(queries)
    return found


def test_administration_lists_run_a_fixed_number_of_queries(cast):
    client = login(Client(), cast, "supervisor")
    grow(cast, 0, 3)
    few = counts(client)
    grow(cast, 3, 10)
    many = counts(client)
    assert many == few, "a page's query count grows with its rows"
    assert {path: n for path, n in many.items() if n > PAGES[path]} == {}
