"""POST /api/v1/demands and GET /api/v1/demands/{id} for business systems."""

from haochaping.audit.models import AuditEvent
from haochaping.organizations.selectors import caller_for_user
from haochaping.outreach.choices import DemandStep
from haochaping.outreach.models import Demand
from haochaping.outreach.services import DemandStepInput, demand_transition
from haochaping.testing import published_response_errors

BODY = {
    "content": "网上办事大厅提交材料时一直提示上传失败，换了浏览器也不行",
    "contact": {"name": "周芷若", "phone": "137-0000-2222"},
    "external_id": "HOTLINE-2026-0001",
}


def test_a_system_submits_a_demand_and_reads_it_back(cast, api_all):
    response = api_all.post("/api/v1/demands", BODY)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("SQ") and len(body["query_code"]) == 6
    assert body["category_code"] == "platform-web" and body["suggested_category_code"] == "platform-web"
    assert (body["state"], body["state_label"], body["source"]) == ("received", "待分派", "api")
    assert (body["contact_name"], body["contact_phone"]) == ("周**", "137****2222")
    assert body["unit_code"] == cast.district.code and body["overdue"] is False
    assert "周芷若" not in response.content.decode() and "13700002222" not in response.content.decode()
    demand = Demand.objects.get(pk=body["id"])
    assert demand.system == cast.system_all and demand.contact_phone == "13700002222"
    event = AuditEvent.objects.get(action="outreach:demand:submitted")
    assert event.actor_type == "system" and event.actor_id == cast.system_all.app_id

    got = api_all.get(f"/api/v1/demands/{demand.pk}")
    assert got.status_code == 200
    assert got.json()["number"] == demand.number and got.json()["query_code"] is None


def test_a_resend_with_the_same_external_id_returns_the_stored_demand(cast, api_all):
    first = api_all.post("/api/v1/demands", BODY)
    again = api_all.post("/api/v1/demands", BODY)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Demand.objects.count() == 1


def test_invalid_input_answers_422_in_chinese(cast, api_all):
    response = api_all.post("/api/v1/demands", {**BODY, "contact": {"name": "周", "phone": "12345678"}})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error" and "contact_phone" in error["fields"]
    response = api_all.post("/api/v1/demands", {**BODY, "category_code": "nope"})
    assert response.status_code == 422 and "category_code" in response.json()["error"]["fields"]
    response = api_all.post("/api/v1/demands", {**BODY, "unknown": 1})
    assert response.status_code == 422


def test_a_unit_bound_system_is_received_at_its_unit_and_reads_only_its_own_demands(cast, api_a, api_all):
    mine = api_a.post("/api/v1/demands", {**BODY, "external_id": "SCJG-1"}).json()
    assert mine["unit_code"] == "SCJG"
    theirs = api_all.post("/api/v1/demands", BODY).json()
    response = api_a.get(f"/api/v1/demands/{theirs['id']}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "demand_not_found"
    assert theirs["number"] not in response.content.decode()
    # Reassigned by the centre to another unit, its own submission stays readable to it.
    demand_transition(
        caller=caller_for_user(cast.users["supervisor"]),
        demand_id=mine["id"],
        action=DemandStep.ASSIGNED,
        data=DemandStepInput(unit=cast.unit_b),
    )
    response = api_a.get(f"/api/v1/demands/{mine['id']}")
    assert response.status_code == 200 and response.json()["unit_code"] == "RSJ"


def test_the_reply_and_satisfaction_show_in_the_api(cast, api_all):
    created = api_all.post("/api/v1/demands", BODY).json()
    supervisor = caller_for_user(cast.users["supervisor"])
    demand_transition(
        caller=supervisor,
        demand_id=created["id"],
        action=DemandStep.REPLIED,
        data=DemandStepInput(text="系统已修复，请重新上传。"),
    )
    body = api_all.get(f"/api/v1/demands/{created['id']}").json()
    assert (body["state"], body["reply"]) == ("replied", "系统已修复，请重新上传。")
    assert body["replied_at"] is not None


def test_unsigned_calls_are_refused(client):
    assert client.post("/api/v1/demands", BODY, content_type="application/json").status_code == 401
    assert client.get("/api/v1/demands/1").status_code == 401


def test_the_published_schema_states_the_demand_rules(cast, client, api_all):
    """The content's minimum and maximum and the name's maximum are the services' own (item 22)."""
    spec = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert spec["DemandIn"]["properties"]["content"]["minLength"] == 5
    assert spec["DemandIn"]["properties"]["content"]["maxLength"] == 2000
    assert spec["ContactIn"]["properties"]["name"]["maxLength"] == 50
    short = api_all.post("/api/v1/demands", {**BODY, "content": "办不了"})
    assert short.status_code == 422 and "content" in short.json()["error"]["fields"]
    assert published_response_errors(client, "POST", "/api/v1/demands", 422, short.json()) == []
    created = api_all.post("/api/v1/demands", BODY)
    assert published_response_errors(client, "POST", "/api/v1/demands", 201, created.json()) == []
