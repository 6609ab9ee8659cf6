"""The rating read's automatic ``attribution`` (issue 16): only for text-only bad ratings."""

import pytest

from haochaping.testing import published_response_errors, record_payload


@pytest.fixture
def pushed(cast, api_all):
    api_all.post("/api/v1/service-records", record_payload(cast))


def rating(**overrides):
    data = {"project_no": "SCJG2026110001", "service_no": 1, "level": 1, "channel": 4}
    data.update(overrides)
    return data


def test_a_text_only_bad_rating_reads_with_an_automatic_attribution(pushed, api_all, client):
    posted = api_all.post("/api/v1/evaluations", rating(text="不是态度问题，是来回跑了三趟还没办成"))
    assert posted.status_code == 201
    got = api_all.get(f"/api/v1/evaluations/{posted.json()['id']}")
    body = got.json()
    assert body["attribution"]["dimension"] == "trips" and body["attribution"]["source"] == "auto"
    assert body["attribution"]["reason"] == "WD-PT-B01" and "态度" not in body["attribution"]["evidence"]
    # The citizen chose nothing, and nothing is written for them.
    assert body["reasons"] == [] and all(v is None for v in body["dimensions"].values())
    assert posted.json()["attribution"] == body["attribution"]
    assert published_response_errors(client, "GET", "/api/v1/evaluations/{evaluation_id}", 200, body) == []
    listed = api_all.get("/api/v1/evaluations").json()
    assert listed["items"][0]["attribution"] == body["attribution"]


@pytest.mark.parametrize(
    "chosen",
    [{"reasons": ["XC-TD-B01"]}, {"dimensions": {"attitude": 1}}],
    ids=["reasons", "dimensions"],
)
def test_no_attribution_when_the_citizen_chose(pushed, api_all, chosen):
    posted = api_all.post("/api/v1/evaluations", rating(text="来回跑了三趟", **chosen))
    assert posted.status_code == 201
    body = api_all.get(f"/api/v1/evaluations/{posted.json()['id']}").json()
    assert body["attribution"] is None


def test_no_attribution_for_a_good_rating(pushed, api_all):
    posted = api_all.post("/api/v1/evaluations", rating(level=5, text="排队很快"))
    assert api_all.get(f"/api/v1/evaluations/{posted.json()['id']}").json()["attribution"] is None
