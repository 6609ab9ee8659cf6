"""U+0000 in API input is a 422 naming the field, never a 500 (PostgreSQL refuses NUL in text).

Found by the schemathesis run on PostgreSQL (issue 13 item 24): ``POST /api/v1/evaluations``
with ``"project_no": "G…\\u0000"`` answered 500 (``DataError``).
"""

from haochaping.testing import record_payload


def test_a_nul_in_a_json_string_is_a_422_naming_the_field(cast, api_all):
    api_all.post("/api/v1/service-records", record_payload(cast, project_no="NUL-1"))
    cases = [
        ("/api/v1/evaluations", {"project_no": "NUL\u00001", "level": 5, "channel": 4}, "project_no"),
        ("/api/v1/evaluations", {"project_no": "NUL-1", "level": 1, "channel": 4, "text": "差\u0000"}, "text"),
        ("/api/v1/service-records", record_payload(cast, project_no="NUL-2", applicant_name="张\u0000"),
         "applicant_name"),
        ("/api/v1/demands", {"content": "窗口排队时间太长\u0000", "contact": {"name": "周", "phone": "13700002222"}},
         "content"),
        ("/api/v1/demands", {"content": "窗口排队时间太长", "contact": {"name": "周\u0000", "phone": "13700002222"}},
         "contact.name"),
        ("/api/v1/service-records/batch", {"records": [record_payload(cast, project_no="NUL\u00003")]},
         "records.0.project_no"),
    ]  # fmt: skip
    for path, body, field in cases:
        response = api_all.post(path, body)
        assert response.status_code == 422, (path, response.content)
        error = response.json()["error"]
        assert error["code"] == "validation_error" and error["fields"] == {field: ["不能包含空字符（U+0000）"]}, path


def test_a_nul_in_a_query_parameter_is_a_422(cast, api_all):
    for path in ("/api/v1/evaluations?project_no=A%00B", "/api/v1/cases?number=%00", "/api/v1/units?page=1%00"):
        response = api_all.get(path)
        assert response.status_code == 422, (path, response.content)
        assert list(response.json()["error"]["fields"]) in (["project_no"], ["number"], ["page"])


def test_a_backslash_followed_by_u0000_as_text_is_accepted(cast, api_all):
    api_all.post("/api/v1/service-records", record_payload(cast, project_no="NUL-4"))
    response = api_all.post("/api/v1/evaluations", {"project_no": "NUL-4", "level": 1, "channel": 4,
                                                     "text": "路径写成 C:\\u0000 了"})  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["text"] == "路径写成 C:\\u0000 了"
