"""Business-system authentication: HMAC-SM3 signature, timestamp window, nonce replay."""

import json
import time

import pytest
from django.test import Client

from haochaping.organizations.api_auth import canonical_request, forget_cached_systems, sign_request
from haochaping.testing import SignedClient


def test_signed_request_is_accepted(api_all):
    r = api_all.get("/api/v1/items")
    assert r.status_code == 200
    assert r.json()["count"] == 2


def test_missing_headers_are_named_in_the_error(cast):
    r = Client().get("/api/v1/items")
    assert r.status_code == 401
    err = r.json()["error"]
    assert err["code"] == "missing_auth_headers"
    assert set(err["fields"]) == {"X-App-Id", "X-Timestamp", "X-Nonce", "X-Signature"}


def test_wrong_secret_is_refused(cast):
    client = SignedClient(Client(), cast.system_all.app_id, "0" * 64)
    r = client.get("/api/v1/items")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "bad_signature"


def test_unknown_app_id_is_refused(cast):
    client = SignedClient(Client(), "hcp_doesnotexist", cast.secret_all)
    assert client.get("/api/v1/items").json()["error"]["code"] == "unknown_app_id"


def test_tampered_body_is_refused(cast, api_all):
    body = json.dumps({"records": []}).encode()
    headers = api_all.headers("POST", "/api/v1/service-records/batch", body)
    r = Client().post(
        "/api/v1/service-records/batch", data=b'{"records": [{}]}', content_type="application/json", headers=headers
    )
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "bad_signature"


def test_query_string_is_part_of_the_signed_path(cast, api_all):
    headers = api_all.headers("GET", "/api/v1/items?page=1", b"")
    r = Client().get("/api/v1/items?page=2", headers=headers)
    assert r.json()["error"]["code"] == "bad_signature"
    assert api_all.get("/api/v1/items?page=1&page_size=1").json()["count"] == 2


def test_timestamp_older_than_300_seconds_is_refused(api_all):
    old = str(int((time.time() - 301) * 1000))
    r = api_all.get("/api/v1/items", timestamp=old)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "timestamp_out_of_window"
    future = str(int((time.time() + 301) * 1000))
    assert api_all.get("/api/v1/items", timestamp=future).json()["error"]["code"] == "timestamp_out_of_window"


def test_timestamp_within_the_window_is_accepted(api_all):
    recent = str(int((time.time() - 250) * 1000))
    assert api_all.get("/api/v1/items", timestamp=recent).status_code == 200


def test_reused_nonce_is_refused(api_all):
    assert api_all.get("/api/v1/items", nonce="nonce-0001").status_code == 200
    r = api_all.get("/api/v1/items", nonce="nonce-0001")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "nonce_reused"


def test_malformed_nonce_is_refused(api_all):
    assert api_all.get("/api/v1/items", nonce="短").json()["error"]["code"] == "bad_nonce"


def test_canonical_string_matches_the_documented_layout():
    text = canonical_request("post", "/api/v1/evaluations", "1700000000000", "abcdefgh", b"abc")
    assert text == (
        "POST\n/api/v1/evaluations\n1700000000000\nabcdefgh\n"
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    # HMAC-SM3 is deterministic and keyed.
    assert sign_request("k", "GET", "/x", "1", "abcdefgh", b"") != sign_request("k2", "GET", "/x", "1", "abcdefgh", b"")


def test_deactivated_system_is_refused(cast, api_all):
    cast.system_all.is_active = False
    cast.system_all.save(update_fields=["is_active"])
    forget_cached_systems()  # the per-process cache holds a system for at most 5 s
    assert api_all.get("/api/v1/items").status_code == 401


def test_reference_data_lists_units_windows_and_staff(api_all, api_a):
    body = api_all.get("/api/v1/units?page_size=200").json()
    codes = {u["code"] for u in body["items"]}
    assert {"410404", "CENTER", "SCJG", "RSJ", "JD01", "JD01-SQ01"} <= codes
    center = next(u for u in body["items"] if u["code"] == "CENTER")
    assert {w["code"] for w in center["windows"]} == {"W-A1", "W-B1"}
    scjg = next(u for u in body["items"] if u["code"] == "SCJG")
    assert scjg["staff"] == [{"staff_no": "A001", "name": "王晓红", "window_code": "W-A1"}]
    # A unit-bound system sees its own subtree only, with the hall windows its unit staffs.
    own = api_a.get("/api/v1/units").json()["items"]
    assert [u["code"] for u in own] == ["SCJG"]
    assert own[0]["windows"] == [{"code": "W-A1", "name": "市场监管综合窗口", "unit_code": "CENTER",
                                  "department_code": "SCJG"}]  # fmt: skip


def test_lists_are_paginated(api_all):
    body = api_all.get("/api/v1/items?page=2&page_size=1").json()
    assert body["count"] == 2 and body["page"] == 2 and body["pages"] == 2 and len(body["items"]) == 1
    bad = api_all.get("/api/v1/items?page_size=5000")
    assert bad.status_code == 422
    assert "page_size" in bad.json()["error"]["fields"]


def test_expired_nonces_are_forgotten_and_those_in_the_window_kept(cast, api_all):
    import datetime as dt

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from haochaping.organizations.api_auth import _forget_nonces
    from haochaping.organizations.models import ApiNonce

    now = timezone.now()
    ages = [900, 700, 650, 30, 5]  # seconds; the window kept is 600 s (2 x 300)
    ApiNonce.objects.bulk_create(
        ApiNonce(system=cast.system_all, nonce=f"nonce-{age:04d}", seen_at=now - dt.timedelta(seconds=age))
        for age in ages
    )
    with transaction.atomic():
        _forget_nonces(now - dt.timedelta(seconds=600))
    kept = set(ApiNonce.objects.values_list("nonce", flat=True))
    assert kept == {"nonce-0030", "nonce-0005"}
    # Nothing expired: no DELETE is issued at all.
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        _forget_nonces(now - dt.timedelta(seconds=600))
    assert not [q for q in queries.captured_queries if q["sql"].upper().startswith("DELETE")]
    assert ApiNonce.objects.count() == 2
    # All expired: the walk finds no row in the window and deletes by time.
    with transaction.atomic():
        _forget_nonces(now + dt.timedelta(seconds=60))
    assert not ApiNonce.objects.exists()


# --- the signed PATH is the request target as sent (percent-escapes, ";") ------------------------


def _get_as_sent(api: SignedClient, sent: str, *, signed: str | None = None, **environ):
    """GET ``sent`` (the request target on the request line) signed over ``signed`` (default: as sent)."""
    return api.client.get(sent, headers=api.headers("GET", signed or sent, b""), **environ)


def _not_refused(response) -> bool:
    return response.status_code != 401 and response.json()["error"]["code"] != "bad_signature"


def test_a_path_with_a_semicolon_is_verified_as_sent(api_all):
    r = _get_as_sent(api_all, "/api/v1/demands/1;x")
    assert _not_refused(r), r.content
    assert r.status_code in (404, 422)
    # Signed as Django re-escapes it (the former documented form): still accepted.
    assert _not_refused(_get_as_sent(api_all, "/api/v1/demands/1;x", signed="/api/v1/demands/1%3Bx"))
    # A non-ASCII segment sent UTF-8 percent-encoded, as every HTTP library sends it.
    assert _not_refused(_get_as_sent(api_all, "/api/v1/demands/%E4%B8%AD?x=%E4%B8%AD"))


def test_a_percent_escape_is_verified_as_sent_when_the_server_sees_the_raw_target(api_all):
    path = "/api/v1/demands/%41"
    # gunicorn's RAW_URI, uWSGI / mod_wsgi / waitress's REQUEST_URI, Nginx's X-Original-URI.
    for environ in ({"RAW_URI": path}, {"REQUEST_URI": path}, {"HTTP_X_ORIGINAL_URI": path}):
        r = _get_as_sent(api_all, path, **environ)
        assert _not_refused(r), (environ, r.content)
        assert r.status_code == 422 and list(r.json()["error"]["fields"]) == ["demand_id"]  # "A" is no id
    # The target signed and sent with its query string (even a bare "?").
    for target in ("/api/v1/items?page=%31", "/api/v1/items?"):
        r = _get_as_sent(api_all, target, RAW_URI=target)
        assert r.status_code == 200, (target, r.content)


def test_a_tampered_path_is_still_refused(api_all):
    # Signed for %41 (A), sent for %42 (B): a raw target that says otherwise is not believed.
    for environ in ({}, {"RAW_URI": "/api/v1/demands/%41"}, {"HTTP_X_ORIGINAL_URI": "/api/v1/demands/%41"}):
        r = _get_as_sent(api_all, "/api/v1/demands/%42", signed="/api/v1/demands/%41", **environ)
        assert r.status_code == 401 and r.json()["error"]["code"] == "bad_signature", environ
    r = _get_as_sent(api_all, "/api/v1/demands/1;y", signed="/api/v1/demands/1;x")
    assert r.json()["error"]["code"] == "bad_signature"
    r = _get_as_sent(api_all, "/api/v1/items?page=2", signed="/api/v1/items?page=1", RAW_URI="/api/v1/items?page=1")
    assert r.json()["error"]["code"] == "bad_signature"


@pytest.mark.django_db(transaction=True)
def test_targets_signed_as_sent_over_real_http(live_server):
    """Through a real WSGI server (which, like granian, passes only the decoded path)."""
    import http.client
    from urllib.parse import urlsplit

    from haochaping.testing import build_cast

    cast = build_cast()
    signer = SignedClient(Client(), cast.system_all.app_id, cast.secret_all)
    host = urlsplit(live_server.url)
    for target, signed, expected in [
        ("/api/v1/demands/1;x", None, {404, 422}),
        ("/api/v1/items?page_size=1;x=%E4%B8%AD", None, {200, 422}),
        ("/api/v1/demands/%E4%B8%AD", None, {404, 422}),
        ("/api/v1/demands/1;y", "/api/v1/demands/1;x", {401}),
    ]:
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
        conn.request("GET", target, headers=signer.headers("GET", signed or target, b""))
        response = conn.getresponse()
        body = json.loads(response.read())
        conn.close()
        assert response.status in expected, (target, body)
        if signed is None:
            assert "error" not in body or body["error"]["code"] != "bad_signature", (target, body)
