"""Paging of the API lists (core.pagination): out-of-range ``page``/``page_size`` are a 422."""

import pytest

LISTS = ["/api/v1/units", "/api/v1/items", "/api/v1/evaluations", "/api/v1/cases"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=1000000000000000000", "page"),
        ("page=100000000000000000000000000000", "page"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page_size=0", "page_size"),
        ("page_size=201", "page_size"),
        ("page_size=1000000000000000000000", "page_size"),
    ],
)
def test_an_out_of_range_page_is_a_422_naming_the_field(api_all, path, query, field):
    r = api_all.get(f"{path}?{query}")
    assert r.status_code == 422, r.content
    error = r.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == [field]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in message) for message in error["fields"][field])


@pytest.mark.parametrize("path", LISTS)
def test_a_page_past_the_end_within_range_is_an_empty_page(api_all, path):
    r = api_all.get(f"{path}?page=1000000&page_size=200")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["items"] == [] and body["page"] == 1000000 and body["page_size"] == 200
