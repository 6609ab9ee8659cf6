"""Every API operation, walked from the OpenAPI document: signed or refused, never cross-unit."""

import re

import pytest

from haochaping.rectification.models import RectificationCase
from haochaping.testing import published_response_errors, record_payload


@pytest.fixture
def world(cast, api_all):
    """One bad rating in unit A (SCJG) and one in unit B (RSJ), pushed by the district system."""
    api_all.post("/api/v1/service-records", record_payload(cast, project_no="A-SECRET-1"))
    api_all.post("/api/v1/service-records", record_payload(
        cast, project_no="B-SECRET-1", unit_code="RSJ", item_code=cast.item_b.code, window_code="W-B1", staff_no="B001"
    ))  # fmt: skip
    ids = {}
    for project_no in ("A-SECRET-1", "B-SECRET-1"):
        r = api_all.post("/api/v1/evaluations", {"project_no": project_no, "level": 1, "channel": 4, "text": "差"})
        ids[project_no] = (r.json()["id"], RectificationCase.objects.get(number=r.json()["case"]["number"]).pk)
    return ids


def operations(client):
    spec = client.get("/api/v1/openapi.json").json()
    for path, methods in spec["paths"].items():
        for method in methods:
            yield method.upper(), path


def fill(path: str, ids: tuple[int, int]) -> str:
    evaluation_id, case_id = ids
    return re.sub(r"\{(\w+)\}", lambda m: str(case_id if "case" in m.group(1) else evaluation_id), path)


def test_every_operation_refuses_unsigned_calls(world, client):
    ops = list(operations(client))
    assert len(ops) >= 9
    for method, path in ops:
        url = fill(path, world["B-SECRET-1"])
        response = client.generic(method, url, data=b"{}", content_type="application/json")
        assert response.status_code == 401, (method, url)
        assert response.json()["error"]["code"] == "missing_auth_headers"


def test_a_unit_bound_system_never_reads_or_changes_another_units_data(world, cast, client, api_a):
    case_b = RectificationCase.objects.get(pk=world["B-SECRET-1"][1])
    # What only unit B's data would reveal (the caller's own input may be echoed in errors).
    secrets = [case_b.number, "李建国", "区人力资源和社会保障局", f'"id": {world["B-SECRET-1"][0]}']
    for method, path in operations(client):
        url = fill(path, world["B-SECRET-1"])
        if method == "GET":
            response = api_a.get(url)
        else:
            body = {"action": "verify", "text": "越权尝试", "project_no": "B-SECRET-1", "level": 5, "channel": 4,
                    "records": [record_payload(cast, project_no="B-SECRET-1", unit_code="RSJ")]}  # fmt: skip
            response = api_a.post(url, body)
        assert response.status_code in (200, 403, 404, 409, 422), (method, url, response.status_code)
        text = response.content.decode()
        assert not [s for s in secrets if s in text], (method, url, text[:300])
    case_b.refresh_from_db()
    assert case_b.state == "pending_verify"


# What each write may answer besides 400/401/422 (see the services it calls).
WRITE_ERRORS = {
    "/api/v1/service-records": {"403", "409"},
    "/api/v1/evaluations": {"404", "409", "503"},
    "/api/v1/rating-requests": {"404", "409"},
    "/api/v1/cases/{case_id}/transitions": {"403", "404", "409"},
    "/api/v1/demands": {"409"},
}


def test_every_operation_documents_its_errors_with_the_error_shape(world, client, api_all):
    """401 and 422 everywhere, 404 where an id or a 办件 is looked up, 400/403/409 on writes,
    each with the one error shape; real error answers validate against it (issue 13 item 22)."""
    spec = client.get("/api/v1/openapi.json").json()
    error = spec["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["error"]
    detail = spec["components"]["schemas"][error["properties"]["error"]["$ref"].rsplit("/", 1)[1]]
    assert set(detail["required"]) == {"code", "message", "fields"}
    for method, path in operations(client):
        responses = spec["paths"][path][method.lower()]["responses"]
        expected = {"401", "422"} | ({"404"} if "{" in path else set()) | ({"400"} if method == "POST" else set())
        expected |= WRITE_ERRORS.get(path, set()) if method == "POST" else set()
        assert expected <= set(responses), (method, path, sorted(responses))
        for status in set(responses) - {"200", "201"}:
            ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/ErrorOut", (method, path, status)
    # Real answers: unsigned (401), out-of-range page (422), unknown id (404), not JSON (400).
    unsigned = client.get("/api/v1/units")
    assert published_response_errors(client, "GET", "/api/v1/units", 401, unsigned.json()) == []
    page = api_all.get("/api/v1/cases?page=1000000000000000000")
    assert published_response_errors(client, "GET", "/api/v1/cases", page.status_code, page.json()) == []
    missing = api_all.get("/api/v1/cases/999999")
    assert published_response_errors(client, "GET", "/api/v1/cases/{case_id}", 404, missing.json()) == []
    broken = api_all.post("/api/v1/demands", b"{not json")
    assert published_response_errors(client, "POST", "/api/v1/demands", 400, broken.json()) == []
