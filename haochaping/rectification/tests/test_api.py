"""The case workflow over the signed API, for business systems with their own UI."""

import base64

import pytest

from haochaping.rectification.models import CaseAttachment, RectificationCase
from haochaping.testing import record_payload


@pytest.fixture
def case_id(cast, api_all):
    api_all.post("/api/v1/service-records", record_payload(cast))
    r = api_all.post("/api/v1/evaluations", {"project_no": "SCJG2026110001", "level": 2, "channel": 4,
                                             "text": "材料要求反复变化"})  # fmt: skip
    return RectificationCase.objects.get(number=r.json()["case"]["number"]).pk


def test_list_and_detail_show_the_case_and_what_the_system_may_do(case_id, api_a):
    listing = api_a.get("/api/v1/cases?open_only=true").json()
    assert listing["count"] == 1
    item = listing["items"][0]
    assert item["state"] == "pending_verify" and item["level"] == 2 and item["unit_code"] == "SCJG"
    assert item["allowed_actions"] == ["verify", "request_invalid"]
    detail = api_a.get(f"/api/v1/cases/{case_id}").json()
    assert [s["action"] for s in detail["timeline"]] == ["opened"]


def test_the_list_filters_by_state_unit_and_open_only(case_id, api_all):
    assert api_all.get("/api/v1/cases?state=pending_verify&unit_code=SCJG").json()["count"] == 1
    assert api_all.get("/api/v1/cases?unit_code=RSJ").json()["count"] == 0
    assert api_all.get("/api/v1/cases?state=closed").json()["count"] == 0
    assert api_all.get("/api/v1/cases?open_only=false&page_size=5").json()["count"] == 1


@pytest.mark.parametrize(("query", "field"), [("state=nope", "state"), ("open_only=maybe", "open_only")])
def test_an_invalid_filter_is_a_422_naming_the_field(case_id, api_a, query, field):
    r = api_a.get(f"/api/v1/cases?{query}")
    assert r.status_code == 422, r.content
    error = r.json()["error"]
    assert error["code"] == "validation_error" and list(error["fields"]) == [field]


def test_the_docs_list_every_filter_of_the_list(client):
    spec = client.get("/api/v1/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/api/v1/cases"]["get"]["parameters"]}
    assert {"state", "unit_code", "open_only", "page", "page_size"} <= set(params)
    assert all(params[name]["description"] for name in ("state", "unit_code", "open_only"))
    assert params["open_only"]["schema"] == {"type": "boolean", "default": False}
    assert "pending_verify" in params["state"]["schema"]["enum"]


def test_a_system_verifies_and_rectifies_with_an_attachment(case_id, api_a):
    r = api_a.post(f"/api/v1/cases/{case_id}/transitions", {"action": "verify", "text": "经调查属实"})
    assert r.status_code == 200 and r.json()["state"] == "rectifying"
    photo = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 32).decode()
    r = api_a.post(f"/api/v1/cases/{case_id}/transitions", {
        "action": "rectify", "text": "已简化材料清单并公示",
        "attachments": [{"name": "公示照片.png", "content_base64": photo}],
    })  # fmt: skip
    assert r.status_code == 200 and r.json()["state"] == "rectified"
    assert CaseAttachment.objects.get().name == "公示照片.png"
    assert [s["action"] for s in r.json()["timeline"]] == ["opened", "verify", "rectify"]


def test_illegal_and_forbidden_steps_are_clear_errors(case_id, api_a):
    r = api_a.post(f"/api/v1/cases/{case_id}/transitions", {"action": "rectify", "text": "x"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "illegal_transition"
    r = api_a.post(f"/api/v1/cases/{case_id}/transitions", {"action": "approve_invalid", "text": "x"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "action_not_allowed"
    r = api_a.post(f"/api/v1/cases/{case_id}/transitions", {"action": "verify"})
    assert r.status_code == 422 and "text" in r.json()["error"]["fields"]
    r = api_a.post(f"/api/v1/cases/{case_id}/transitions", {"action": "fly"})
    assert r.status_code == 422 and "action" in r.json()["error"]["fields"]
    bad = {"action": "request_invalid", "text": "恶意", "attachments": [{"name": "a.pdf", "content_base64": "!!"}]}
    assert api_a.post(f"/api/v1/cases/{case_id}/transitions", bad).status_code == 422


def test_cases_of_other_units_do_not_exist_for_a_unit_bound_system(cast, api_all, api_a):
    api_all.post("/api/v1/service-records", record_payload(cast, project_no="RSJ-9", unit_code="RSJ",
                                                           item_code=cast.item_b.code, window_code="W-B1",
                                                           staff_no="B001"))  # fmt: skip
    r = api_all.post("/api/v1/evaluations", {"project_no": "RSJ-9", "level": 1, "channel": 4, "text": "差"})
    other = RectificationCase.objects.get(number=r.json()["case"]["number"]).pk
    assert api_a.get(f"/api/v1/cases/{other}").status_code == 404
    assert api_a.post(f"/api/v1/cases/{other}/transitions", {"action": "verify", "text": "x"}).status_code == 404
    assert api_a.get("/api/v1/cases").json()["count"] == 0
    assert api_all.get("/api/v1/cases").json()["count"] == 1


def test_a_replayed_transition_is_refused(case_id, api_a):
    body = {"action": "verify", "text": "经调查属实"}
    assert api_a.post(f"/api/v1/cases/{case_id}/transitions", body, nonce="replay-nonce-1").status_code == 200
    r = api_a.post(f"/api/v1/cases/{case_id}/transitions", body, nonce="replay-nonce-1")
    assert r.status_code == 401 and r.json()["error"]["code"] == "nonce_reused"


@pytest.mark.parametrize("name", ["", ".", "..", "/"])
def test_an_attachment_without_a_usable_file_name_is_a_422_naming_it(case_id, api_all, name):
    photo = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 32).decode()
    files = [{"name": "录音.png", "content_base64": photo}, {"name": name, "content_base64": photo}]
    body = {"action": "request_invalid", "text": "恶意差评", "attachments": files}
    r = api_all.post(f"/api/v1/cases/{case_id}/transitions", body)
    assert r.status_code == 422, r.content
    error = r.json()["error"]
    assert error["code"] == "validation_error" and list(error["fields"]) == ["attachments.1.name"]
    assert RectificationCase.objects.get(pk=case_id).state == "pending_verify"
    assert not CaseAttachment.objects.exists()


def _bad_rating(cast, api_all, project_no: str, service_no: int = 1) -> dict:
    api_all.post("/api/v1/service-records", record_payload(cast, project_no=project_no, service_no=service_no))
    r = api_all.post("/api/v1/evaluations", {"project_no": project_no, "service_no": service_no, "level": 1,
                                             "channel": 4, "text": "窗口无人"})  # fmt: skip
    assert r.status_code == 201, r.content
    return r.json()


def test_an_integrator_finds_the_case_of_its_service_newest_first(cast, api_all):
    first = _bad_rating(cast, api_all, "SCJG2026110001")
    second = _bad_rating(cast, api_all, "SCJG2026110002")
    third = _bad_rating(cast, api_all, "SCJG2026110002", service_no=2)
    RectificationCase.objects.filter(number=first["case"]["number"]).update(opened_at="2026-11-28T09:00:00+08:00")
    RectificationCase.objects.filter(number=second["case"]["number"]).update(opened_at="2026-11-29T09:00:00+08:00")
    RectificationCase.objects.filter(number=third["case"]["number"]).update(opened_at="2026-11-30T09:00:00+08:00")

    listing = api_all.get("/api/v1/cases").json()
    assert [c["number"] for c in listing["items"]] == [r["case"]["number"] for r in (third, second, first)]

    by_project = api_all.get("/api/v1/cases?project_no=SCJG2026110002").json()["items"]
    assert [(c["project_no"], c["service_no"]) for c in by_project] == [("SCJG2026110002", 2), ("SCJG2026110002", 1)]
    by_service = api_all.get("/api/v1/cases?project_no=SCJG2026110002&service_no=1").json()["items"]
    assert [c["number"] for c in by_service] == [second["case"]["number"]]
    by_number = api_all.get(f"/api/v1/cases?number={first['case']['number']}").json()["items"]
    assert [c["number"] for c in by_number] == [first["case"]["number"]]
    assert api_all.get("/api/v1/cases?number=CP0000").json()["count"] == 0

    bad = api_all.get("/api/v1/cases?service_no=x")
    assert bad.status_code == 422 and list(bad.json()["error"]["fields"]) == ["service_no"]


def test_the_rating_response_leads_to_its_case_in_one_call(cast, api_all):
    rating = _bad_rating(cast, api_all, "SCJG2026110001")
    case = api_all.get(f"/api/v1/cases/{rating['case']['id']}")
    assert case.status_code == 200
    assert case.json()["number"] == rating["case"]["number"]
    one = api_all.get(f"/api/v1/evaluations/{rating['id']}").json()
    listed = api_all.get("/api/v1/evaluations").json()["items"][0]
    assert one["case"]["id"] == listed["case"]["id"] == rating["case"]["id"]


def test_the_docs_list_the_case_finding_filters(client):
    spec = client.get("/api/v1/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/api/v1/cases"]["get"]["parameters"]}
    assert {"project_no", "service_no", "number"} <= set(params)
    assert params["service_no"]["schema"]["type"] == "integer"
