"""A rating keeps its record's unit and staff member (the lists of a unit or a clerk read them)."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from haochaping.evaluations.models import Evaluation
from haochaping.testing import login, record_payload

BEFORE = ("evaluations", "0006_suggestion_text_index")
AFTER = ("evaluations", "0007_rating_unit_staff")


def _placement(pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT unit_id, staff_id FROM evaluations_evaluation WHERE id = %s", [pk])
        return cursor.fetchone()


def _rate(api, cast, project_no: str, **record) -> int:
    assert api.post("/api/v1/service-records", record_payload(cast, project_no=project_no, **record)).status_code == 201
    r = api.post("/api/v1/evaluations", {"project_no": project_no, "level": 1, "text": "差", "channel": 4})
    assert r.status_code == 201, r.json()
    return r.json()["id"]


def _two_ratings(api_all, cast) -> tuple[int, int]:
    at_window = _rate(api_all, cast, "SCJG2026110001")
    online = _rate(
        api_all, cast, "RSJ2026110002", unit_code=cast.unit_b.code, item_code=cast.item_b.code,
        window_code="", staff_no="", mode="online",
    )  # fmt: skip
    return at_window, online


def test_a_rating_stores_its_records_unit_and_staff_member(cast, api_all):
    at_window, online = _two_ratings(api_all, cast)
    assert _placement(at_window) == (cast.unit_a.pk, cast.staff_a.pk)
    assert _placement(online) == (cast.unit_b.pk, None)


def test_the_lists_of_a_unit_and_of_a_clerk_read_the_ratings_copies(cast, api_all, client):
    at_window, online = _two_ratings(api_all, cast)
    page = login(client, cast, "clerk_a").get("/console/evaluations/")
    assert [e.pk for e in page.context["page_obj"].object_list] == [at_window]
    client.logout()
    page = login(client, cast, "admin_b").get("/console/evaluations/")
    assert [e.pk for e in page.context["page_obj"].object_list] == [online]
    client.logout()
    page = login(client, cast, "supervisor").get("/console/evaluations/", {"unit_code": cast.unit_a.code})
    assert [e.pk for e in page.context["page_obj"].object_list] == [at_window]
    page = client.get("/console/evaluations/", {"staff_no": cast.staff_a.staff_no})
    assert [e.pk for e in page.context["page_obj"].object_list] == [at_window]


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_existing_ratings_and_keeps_them_append_only(cast, api_all):
    at_window, online = _two_ratings(api_all, cast)
    call_command("migrate", *BEFORE, verbosity=0)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM evaluations_evaluation WHERE id = %s", [at_window])
            assert "unit_id" not in [c[0] for c in cursor.description]
        call_command("migrate", *AFTER, verbosity=0)
        assert _placement(at_window) == (cast.unit_a.pk, cast.staff_a.pk)
        assert _placement(online) == (cast.unit_b.pk, None)
        # The UPDATE trigger is back straight after the copy (not only after the whole migrate).
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE evaluations_evaluation SET level = 5 WHERE id = %s", [at_window])
        assert Evaluation.objects.get(pk=at_window).level == 1
    finally:
        call_command("migrate", verbosity=0)
