from haochaping.testing import record_payload


def test_push_then_rate_badly_opens_a_case(cast, api_all):
    r = api_all.post("/api/v1/service-records", record_payload(cast))
    assert r.status_code == 201, r.content
    r = api_all.post(
        "/api/v1/evaluations",
        {"project_no": "SCJG2026110001", "service_no": 1, "level": 1, "reasons": ["XC-TD-B01"], "channel": 4},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["case"]["state"] == "pending_verify"
    assert body["evaluator_name"] == "张*丰" or body["evaluator_name"].startswith("张")
