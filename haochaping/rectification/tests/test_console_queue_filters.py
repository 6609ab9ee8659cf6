"""The work queue's date, level and overdue filters, in the console and in GET /api/v1/cases."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from haochaping.rectification.tests.factories import queue_case_numbers as numbers
from haochaping.rectification.tests.factories import queue_cases
from haochaping.testing import login

QUEUE = reverse("console:case_list")


@pytest.fixture
def cases(cast):
    return queue_cases(cast)


def test_the_queue_filters_by_opening_date_level_and_overdue(cast, cases):
    old, new, _ = cases
    admin = login(Client(), cast, "admin_a")
    assert set(numbers(admin.get(QUEUE, {"tab": "all"}))) == {old.number, new.number}
    assert numbers(admin.get(QUEUE, {"tab": "all", "level": "1"})) == [old.number]
    assert numbers(admin.get(QUEUE, {"tab": "all", "level": "2"})) == [new.number]
    assert numbers(admin.get(QUEUE, {"tab": "all", "overdue": "on"})) == [old.number]
    october = {"tab": "all", "date_from": "2026-10-01", "date_to": "2026-10-31"}
    assert numbers(admin.get(QUEUE, october)) == [old.number]
    assert numbers(admin.get(QUEUE, {"tab": "all", "date_from": "2026-11-01"})) == [new.number]
    html = admin.get(QUEUE, {"tab": "all"}).content.decode()
    assert "生成日期起" in html and "差评等级" in html and "仅逾期" in html
    # An unknown level is shown beside the field and not applied.
    page = admin.get(QUEUE, {"tab": "all", "level": "5"})
    assert set(numbers(page)) == {old.number, new.number} and "取值不在允许范围内" in page.content.decode()


def test_the_api_has_the_same_filters_and_documents_them(cast, cases, api_all, client):
    old, new, other = cases

    def listed(query: str) -> set[str]:
        r = api_all.get(f"/api/v1/cases?{query}")
        assert r.status_code == 200, r.content
        return {case["number"] for case in r.json()["items"]}

    assert listed("level=1") == {old.number, other.number}
    assert listed("overdue=true") == {old.number}
    assert listed("date_from=2026-10-01&date_to=2026-10-31") == {old.number}
    assert listed("level=2&date_from=2026-11-01") == {new.number}
    r = api_all.get("/api/v1/cases?level=3")
    assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["level"]
    spec = client.get("/api/v1/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/api/v1/cases"]["get"]["parameters"]}
    assert params["level"]["schema"] == {"type": "integer", "enum": [2, 1]}
    assert params["overdue"]["schema"] == {"type": "boolean", "default": False}
    assert params["date_from"]["schema"] == {"type": "string", "format": "date"}
