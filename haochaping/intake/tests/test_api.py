"""Rating intake over the real HTTP API: one per service, bad ratings open a case."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.evaluations.models import Evaluation
from haochaping.rectification.models import RectificationCase
from haochaping.testing import published_response_errors, record_payload


@pytest.fixture
def pushed(cast, api_all):
    api_all.post("/api/v1/service-records", record_payload(cast))
    api_all.post(
        "/api/v1/service-records",
        record_payload(
            cast, project_no="RSJ-1", unit_code="RSJ", item_code=cast.item_b.code, window_code="W-B1", staff_no="B001"
        ),
    )


def rating(**overrides):
    data = {"project_no": "SCJG2026110001", "service_no": 1, "level": 5, "channel": 4}
    data.update(overrides)
    return data


def test_good_rating_is_stored_without_a_case(pushed, api_all):
    r = api_all.post(
        "/api/v1/evaluations", rating(dimensions={"attitude": 5, "efficiency": 4}, reasons=["XC-TD-G01"], text="很热情")
    )
    assert r.status_code == 201
    body = r.json()
    assert body["level"] == 5 and body["level_label"] == "非常满意" and body["case"] is None
    assert body["dimensions"]["attitude"] == 5 and body["dimensions"]["trips"] is None
    assert body["evaluator_name"] == "张**" and body["evaluator_phone"] == "138****5678"
    assert RectificationCase.objects.count() == 0


def test_bad_rating_opens_a_pending_case_with_a_15_day_deadline(pushed, api_all):
    r = api_all.post(
        "/api/v1/evaluations",
        rating(level=1, reasons=["XC-TD-B01"], text="态度很差", evaluated_at="2026-11-30T10:00:00+08:00"),
    )
    assert r.status_code == 201
    case = r.json()["case"]
    assert case["state"] == "pending_verify" and case["state_label"] == "待核实"
    due = dt.datetime.fromisoformat(case["due_at"]).astimezone(timezone.get_current_timezone())
    assert (due.date(), due.hour, due.minute) == (dt.date(2026, 12, 15), 23, 59)
    obj = RectificationCase.objects.get()
    assert obj.unit.code == "SCJG" and obj.number.startswith("CP20261130")
    actions = list(AuditEvent.objects.filter(action__startswith=("evaluations")).values_list("action", flat=True))
    assert actions == ["evaluations:evaluation:created"]
    assert AuditEvent.objects.filter(action="rectification:case:opened").count() == 1


@pytest.mark.parametrize("level", [1, 2])
def test_bad_rating_without_reason_or_text_is_422(pushed, api_all, level):
    r = api_all.post("/api/v1/evaluations", rating(level=level))
    assert r.status_code == 422
    assert "reasons" in r.json()["error"]["fields"]
    assert Evaluation.objects.count() == 0


def test_bad_rating_with_text_only_is_accepted(pushed, api_all):
    assert api_all.post("/api/v1/evaluations", rating(level=2, text="等了两个小时")).status_code == 201


def test_second_rating_for_the_same_service_is_409_in_chinese(pushed, api_all):
    assert api_all.post("/api/v1/evaluations", rating()).status_code == 201
    r = api_all.post("/api/v1/evaluations", rating(level=1, text="改评差评"))
    assert r.status_code == 409
    assert r.json()["error"] == {
        "code": "already_rated",
        "message": "该次服务已评价，每次服务只能评价一次",
        "fields": {},
    }
    assert Evaluation.objects.count() == 1 and RectificationCase.objects.count() == 0


def test_a_second_rating_is_409_before_any_complaint_about_its_content(pushed, api_all):
    assert api_all.post("/api/v1/evaluations", rating()).status_code == 201
    r = api_all.post("/api/v1/evaluations", rating(level=1))  # a bad rating without reason: 422 if first
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_rated"


@pytest.mark.django_db(transaction=True)  # the request's own transaction, not a savepoint
def test_a_refused_second_rating_writes_nothing_but_spends_its_nonce(pushed, api_all):
    """Whether a service is rated is decided by the rating's INSERT (the unique key): the
    refused write is rolled back whole (audit chain included) and its nonce still recorded."""
    from haochaping.audit.services import audit_verify

    assert api_all.post("/api/v1/evaluations", rating()).status_code == 201
    events = AuditEvent.objects.count()
    second = api_all.post("/api/v1/evaluations", rating(level=4), nonce="nonce-second-1")
    assert second.status_code == 409 and second.json()["error"]["code"] == "already_rated"
    replay = api_all.post("/api/v1/evaluations", rating(level=4), nonce="nonce-second-1")
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "nonce_reused"
    assert Evaluation.objects.count() == 1 and AuditEvent.objects.count() == events
    assert audit_verify().ok
    assert api_all.post("/api/v1/evaluations", rating(project_no="RSJ-1")).status_code == 201
    assert audit_verify().ok


def test_rating_an_unknown_service_is_404(pushed, api_all):
    r = api_all.post("/api/v1/evaluations", rating(project_no="NOPE"))
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "record_not_found"


def test_unit_bound_system_cannot_rate_another_units_service(pushed, api_a):
    assert api_a.post("/api/v1/evaluations", rating(project_no="RSJ-1")).status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (rating(level=6), "level"),
        (rating(channel=8), "channel"),
        (rating(dimensions={"attitude": 9}), "dimensions.attitude"),
        (rating(dimensions={"beauty": 5}), "dimensions.beauty"),
        (rating(reasons=["NOPE"]), "reasons"),
        (rating(level=5, reasons=["XC-TD-B01"]), "reasons"),  # a bad reason on a good rating
        (rating(level=1, reasons=["WS-XL-B01"]), "reasons"),  # an online reason on an offline service
        (rating(text="字" * 501), "text"),
        (rating(evaluated_at="2099-01-01T00:00:00+08:00"), "evaluated_at"),
        (rating(evaluated_at="2026-11-29T09:00:00+08:00"), "evaluated_at"),  # before the service was accepted
    ],
)
def test_invalid_ratings_name_the_field(pushed, api_all, payload, field):
    r = api_all.post("/api/v1/evaluations", payload)
    assert r.status_code == 422, r.content
    assert field in r.json()["error"]["fields"]
    assert Evaluation.objects.count() == 0


def test_get_one_and_list_are_scoped_to_the_calling_system(pushed, cast, api_all, api_a):
    r = api_all.post("/api/v1/evaluations", rating(level=2, reasons=["XC-XL-B01"]))
    eid = r.json()["id"]
    api_all.post("/api/v1/evaluations", rating(project_no="RSJ-1", level=4))
    assert api_all.get(f"/api/v1/evaluations/{eid}").json()["id"] == eid
    # system_a neither pushed nor rated these services.
    assert api_a.get(f"/api/v1/evaluations/{eid}").status_code == 404
    assert api_a.get("/api/v1/evaluations").json()["count"] == 0
    listing = api_all.get("/api/v1/evaluations?level=2").json()
    assert listing["count"] == 1 and listing["items"][0]["case"]["state"] == "pending_verify"
    assert api_all.get("/api/v1/evaluations?unit_code=RSJ").json()["count"] == 1
    assert api_all.get("/api/v1/evaluations?channel=4&date_from=2000-01-01").json()["count"] == 2
    assert api_all.get("/api/v1/evaluations?date_to=2000-01-01").json()["count"] == 0


def test_the_list_filters_bad_ratings_like_the_console(pushed, api_all):
    api_all.post("/api/v1/evaluations", rating(level=2, reasons=["XC-XL-B01"]))
    api_all.post("/api/v1/evaluations", rating(project_no="RSJ-1", level=4))
    listing = api_all.get("/api/v1/evaluations?level=bad").json()
    assert listing["count"] == 1 and listing["items"][0]["level"] == 2
    assert api_all.get("/api/v1/evaluations?level=bad&unit_code=RSJ").json()["count"] == 0
    assert api_all.get("/api/v1/evaluations?project_no=RSJ-1").json()["items"][0]["level"] == 4
    # The paging parameters are not filters.
    assert api_all.get("/api/v1/evaluations?level=bad&page=1&page_size=10").json()["page_size"] == 10


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("level=9", "level"),
        ("level=worst", "level"),
        ("channel=0", "channel"),
        ("date_from=x", "date_from"),
        ("date_from=2026-12-01&date_to=2026-11-01", "date_to"),
    ],
)
def test_an_invalid_filter_is_a_422_naming_the_field(pushed, api_all, query, field):
    r = api_all.get(f"/api/v1/evaluations?{query}")
    assert r.status_code == 422, r.content
    error = r.json()["error"]
    assert error["code"] == "validation_error" and list(error["fields"]) == [field]
    assert all(not message.isascii() for message in error["fields"][field])  # in Chinese


def test_the_docs_list_every_filter_of_the_list(client):
    spec = client.get("/api/v1/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/api/v1/evaluations"]["get"]["parameters"]}
    for name in ("unit_code", "level", "channel", "date_from", "date_to", "project_no", "page", "page_size"):
        assert params[name]["in"] == "query" and params[name]["description"], name
    assert params["date_from"]["schema"] == {"type": "string", "format": "date"}
    level = params["level"]["schema"]["anyOf"]
    assert {"type": "integer", "enum": [5, 4, 3, 2, 1]} in level and {"type": "string", "enum": ["bad"]} in level
    assert "bad" in params["level"]["description"]


def test_api_responses_never_carry_plaintext_identity(pushed, api_all):
    api_all.post("/api/v1/evaluations", rating(level=1, text="差"))
    text = api_all.get("/api/v1/evaluations").content.decode()
    for secret in ("张三丰", "13812345678", "410404199001011234"):
        assert secret not in text


def test_evaluations_cannot_be_changed_or_deleted(pushed, api_all):
    api_all.post("/api/v1/evaluations", rating(level=1, text="差"))
    evaluation = Evaluation.objects.get()
    evaluation.level = 5
    with pytest.raises(PermissionError):
        evaluation.save()
    with pytest.raises(PermissionError):
        evaluation.delete()
    with pytest.raises(PermissionError):
        Evaluation.objects.update(level=5)
    with pytest.raises(PermissionError):
        Evaluation.objects.all().delete()
    # Raw SQL is refused by the database trigger too.
    for sql in ("UPDATE evaluations_evaluation SET level = 5", "DELETE FROM evaluations_evaluation"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert Evaluation.objects.get().level == 1


def test_openapi_document_is_served(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert {
        "/api/v1/evaluations",
        "/api/v1/service-records",
        "/api/v1/service-records/batch",
        "/api/v1/units",
        "/api/v1/items",
    } <= set(paths)
    assert client.get("/api/v1/docs").status_code == 200


def test_a_resend_with_the_same_client_key_returns_the_stored_rating(pushed, api_all):
    first = api_all.post("/api/v1/evaluations", rating(level=2, text="慢", client_key="tablet-7-000123"))
    assert first.status_code == 201
    again = api_all.post("/api/v1/evaluations", rating(level=2, text="慢", client_key="tablet-7-000123"))
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.json()["case"]["number"] == first.json()["case"]["number"]
    other = api_all.post("/api/v1/evaluations", rating(level=5, client_key="tablet-7-999999"))
    assert other.status_code == 409
    assert Evaluation.objects.count() == 1 and RectificationCase.objects.count() == 1


@pytest.mark.parametrize("level", [5, 1])
def test_submit_response_is_the_stored_rating_as_get_returns_it(pushed, api_all, level):
    """The POST response is built directly on the hot path; it must equal the validated GET."""
    extra = {"reasons": ["XC-TD-B01"], "text": "态度很差"} if level == 1 else {"text": "好"}
    posted = api_all.post("/api/v1/evaluations", rating(level=level, dimensions={"attitude": level}, **extra))
    assert posted.status_code == 201
    got = api_all.get(f"/api/v1/evaluations/{posted.json()['id']}")
    assert got.status_code == 200
    assert posted.json() == got.json()
    assert (got.json()["case"] is None) == (level == 5)
    resent = api_all.post("/api/v1/evaluations", rating(level=level, dimensions={"attitude": level}, **extra))
    assert resent.status_code == 409


@pytest.mark.django_db(transaction=True)  # the request's own transaction, not a savepoint
def test_a_replayed_rating_is_refused_as_a_reused_nonce_and_stores_nothing(pushed, api_all, caplog):
    first = api_all.post("/api/v1/evaluations", rating(project_no="RSJ-1"), nonce="nonce-replay-1")
    assert first.status_code == 201
    # The same nonce on a new rating (another service): refused for the nonce, nothing stored.
    again = api_all.post("/api/v1/evaluations", rating(level=1, text="差"), nonce="nonce-replay-1")
    assert again.status_code == 401 and again.json()["error"]["code"] == "nonce_reused"
    assert Evaluation.objects.count() == 1 and RectificationCase.objects.count() == 0
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR") and "psycopg" in r.name]
    # The service is still open to a correctly signed rating.
    assert api_all.post("/api/v1/evaluations", rating(level=1, text="差")).status_code == 201


@pytest.mark.parametrize("client_key", ["", "tablet-7"])
def test_a_replay_of_a_stored_rating_is_refused_and_a_fresh_resend_answered(pushed, api_all, client_key):
    body = rating(client_key=client_key)
    assert api_all.post("/api/v1/evaluations", body, nonce="nonce-orig-1").status_code == 201
    replay = api_all.post("/api/v1/evaluations", body, nonce="nonce-orig-1")
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "nonce_reused"
    resend = api_all.post("/api/v1/evaluations", body)  # freshly signed
    assert resend.status_code == (200 if client_key else 409)
    assert Evaluation.objects.count() == 1


def test_the_intake_lookup_does_not_read_the_rating_table():
    """Its plan is prepared once per connection on PostgreSQL (core/db/hot.py): a plan made
    while the rating table was nearly empty would scan that table for every rating. Whether a
    service is rated is left to the rating's INSERT (the tests above cover the answers)."""
    from haochaping.evaluations.selectors import _record_for_rating_sql

    assert Evaluation._meta.db_table not in _record_for_rating_sql()


def test_rating_answers_validate_against_the_published_schema(pushed, api_all, client):
    """The rating's ``case`` is published as the fields it carries (issue 13 item 22)."""
    created = api_all.post("/api/v1/evaluations", rating(level=1, text="差"))
    assert created.status_code == 201
    body = created.json()
    assert set(body["case"]) == {"id", "number", "state", "state_label", "due_at"}
    assert published_response_errors(client, "POST", "/api/v1/evaluations", 201, body) == []
    resent = api_all.post("/api/v1/evaluations", rating(level=1, text="差"))
    assert published_response_errors(client, "POST", "/api/v1/evaluations", resent.status_code, resent.json()) == []
    one = api_all.get(f"/api/v1/evaluations/{body['id']}")
    assert published_response_errors(client, "GET", "/api/v1/evaluations/{evaluation_id}", 200, one.json()) == []
    page = api_all.get("/api/v1/evaluations")
    assert published_response_errors(client, "GET", "/api/v1/evaluations", 200, page.json()) == []
    spec = client.get("/api/v1/openapi.json").json()
    case = spec["components"]["schemas"]["RatingCaseOut"]
    assert set(case["required"]) == set(case["properties"]) == set(body["case"])
