"""Service-record intake over the real HTTP API."""

from django.db import connection

from haochaping.audit.models import AuditEvent
from haochaping.core.crypto import blind_index
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import record_payload


def test_push_creates_record_with_a_signed_rating_link(cast, api_all):
    r = api_all.post("/api/v1/service-records", record_payload(cast))
    assert r.status_code == 201
    body = r.json()
    assert body["created"] is True and body["rated"] is False
    assert body["rating_url"].startswith("http://127.0.0.1:8000/r/")
    record = ServiceRecord.objects.get(pk=body["id"])
    assert record.unit == cast.unit_a and record.staff == cast.staff_a and record.window == cast.window_a
    assert record.system == cast.system_all
    assert AuditEvent.objects.filter(action="service_records:record:created", target_id=str(record.pk)).count() == 1


def test_identity_is_encrypted_at_rest_and_indexed_blindly(cast, api_all):
    api_all.post("/api/v1/service-records", record_payload(cast))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT applicant_name, applicant_id_number, applicant_phone, phone_index "
            "FROM service_records_servicerecord"
        )
        name, id_number, phone, phone_index = cursor.fetchone()
    for stored in (name, id_number, phone):
        assert stored.startswith("sm4g1$")
    assert "张三丰" not in name and "13812345678" not in phone and "410404199001011234" not in id_number
    assert phone_index == blind_index("phone", "13812345678")
    record = ServiceRecord.objects.get(phone_index=blind_index("phone", "138 1234 5678"))
    assert record.applicant_phone == "13812345678"
    assert record.applicant_phone_masked == "138****5678"
    assert record.applicant_id_masked == "4104**********1234"


def test_resend_of_the_same_record_returns_the_existing_one(cast, api_all):
    first = api_all.post("/api/v1/service-records", record_payload(cast)).json()
    again = api_all.post("/api/v1/service-records", record_payload(cast))
    assert again.status_code == 200
    assert again.json()["id"] == first["id"] and again.json()["created"] is False
    assert ServiceRecord.objects.count() == 1


def test_same_key_with_different_content_is_a_conflict(cast, api_all):
    api_all.post("/api/v1/service-records", record_payload(cast))
    r = api_all.post("/api/v1/service-records", record_payload(cast, applicant_phone="13900000000"))
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "record_conflict"
    assert "不一致" in r.json()["error"]["message"]


def test_a_second_service_of_the_same_case_file_is_a_new_record(cast, api_all):
    api_all.post("/api/v1/service-records", record_payload(cast))
    r = api_all.post("/api/v1/service-records", record_payload(cast, service_no=2, stage="4"))
    assert r.status_code == 201
    assert ServiceRecord.objects.filter(project_no="SCJG2026110001").count() == 2


def test_unknown_codes_are_reported_per_field(cast, api_all):
    r = api_all.post(
        "/api/v1/service-records",
        record_payload(cast, item_code="NOPE", unit_code="NOPE", staff_no="X9", window_code="W-X"),
    )
    assert r.status_code == 422
    fields = r.json()["error"]["fields"]
    assert set(fields) == {"item_code", "unit_code", "staff_no", "window_code"}
    assert "不存在" in fields["item_code"][0]


def test_schema_errors_are_one_json_shape_in_chinese(cast, api_all):
    r = api_all.post("/api/v1/service-records", record_payload(cast, project_no="X" * 51, stage="9", mode="tv"))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "validation_error" and err["message"] == "提交的数据不符合要求"
    assert set(err["fields"]) >= {"project_no", "stage", "mode"}
    assert "50" in err["fields"]["project_no"][0]


def test_malformed_json_is_a_clear_error(cast, api_all):
    r = api_all.post("/api/v1/service-records", b"{not json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_request" and "JSON" in r.json()["error"]["message"]


def test_unit_bound_system_cannot_push_for_another_unit(cast, api_a):
    r = api_a.post(
        "/api/v1/service-records",
        record_payload(cast, unit_code="RSJ", item_code=cast.item_b.code, window_code=None, staff_no=None),
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "unit_out_of_scope"
    assert ServiceRecord.objects.count() == 0


def test_finished_before_accepted_is_refused(cast, api_all):
    r = api_all.post("/api/v1/service-records", record_payload(cast, finished_at="2026-11-29T09:00:00+08:00"))
    assert r.status_code == 422
    assert "finished_at" in r.json()["error"]["fields"]


def test_batch_reports_each_item(cast, api_all):
    api_all.post("/api/v1/service-records", record_payload(cast, project_no="P-EXISTING"))
    records = [
        record_payload(cast, project_no="P-1"),
        record_payload(cast, project_no="P-EXISTING"),
        record_payload(cast, project_no="P-2", item_code="NOPE"),
        {"project_no": "P-3"},
        record_payload(cast, project_no="P-EXISTING", applicant_name="别人"),
    ]
    r = api_all.post("/api/v1/service-records/batch", {"records": records})
    assert r.status_code == 200
    body = r.json()
    assert [x["status"] for x in body["results"]] == [201, 200, 422, 422, 409]
    assert (body["created"], body["existing"], body["failed"]) == (1, 1, 3)
    assert body["results"][0]["rating_url"]
    assert "item_code" in body["results"][2]["error"]["fields"]
    assert "stage" in body["results"][3]["error"]["fields"]
    assert ServiceRecord.objects.count() == 2


def test_batch_over_1000_is_refused_whole(cast, api_all):
    records = [record_payload(cast, project_no=f"P-{i}") for i in range(1001)]
    r = api_all.post("/api/v1/service-records/batch", {"records": records})
    assert r.status_code == 422
    assert "records" in r.json()["error"]["fields"]
    assert ServiceRecord.objects.count() == 0


def test_batch_of_1000_is_accepted(cast, api_all):
    records = [record_payload(cast, project_no=f"P-{i:04d}") for i in range(1000)]
    body = api_all.post("/api/v1/service-records/batch", {"records": records}).json()
    assert body["created"] == 1000 and body["failed"] == 0
    assert ServiceRecord.objects.count() == 1000


def test_window_and_staff_must_belong_to_the_handling_unit(cast, api_all):
    r = api_all.post("/api/v1/service-records", record_payload(cast, window_code="W-B1", staff_no="B001"))
    assert r.status_code == 422
    assert set(r.json()["error"]["fields"]) == {"window_code", "staff_no"}


def test_unit_bound_system_cannot_name_another_units_staff(cast, api_a):
    r = api_a.post("/api/v1/service-records", record_payload(cast, window_code=None, staff_no="B001"))
    assert r.status_code == 422
    assert "staff_no" in r.json()["error"]["fields"]


def test_unknown_api_paths_answer_in_the_json_error_shape(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "endpoint_not_found"
    assert client.get("/api/v2/evaluations").json()["error"]["code"] == "endpoint_not_found"
