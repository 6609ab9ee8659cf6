"""Every 400/403/404/500 is a styled Chinese page with a way back; the API keeps its JSON errors."""

import pytest
from django.test import Client

from haochaping.testing import login

pytestmark = pytest.mark.urls("haochaping.core.tests.urls_errors")


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


@pytest.fixture
def quiet_client():
    client = Client()
    client.raise_request_exception = False  # as in production: the handler answers
    return client


def _text(response) -> str:
    return response.content.decode()


def test_an_unknown_console_url_is_the_console_error_page_with_a_way_home(client, cast):
    login(client, cast, "admin_a")
    r = client.get("/console/nope/")
    assert r.status_code == 404
    page = _text(r)
    assert "页面不存在" in page and "Not Found" not in page
    assert 'class="sidebar"' in page  # the console's layout, the menu still there
    assert 'href="/console/">返回工作台' in page


def test_an_unknown_console_url_without_login_still_offers_the_way_in(client, db):
    r = client.get("/console/nope/")
    assert r.status_code == 404
    assert "页面不存在" in _text(r) and 'href="/console/">返回工作台' in _text(r)


def test_an_unknown_citizen_url_is_the_citizen_page_with_my_ratings_and_the_phone(client, db):
    r = client.get("/q/")
    assert r.status_code == 404
    page = _text(r)
    assert "页面不存在" in page and "Not Found" not in page
    assert "portal/portal.css" in page  # the citizen layout
    assert 'href="/my/">查看我的评价' in page
    assert "12345" in page


def test_a_kiosk_error_leads_back_to_the_kiosk_start(quiet_client, db):
    r = quiet_client.get("/kiosk/boom/")
    assert r.status_code == 500
    assert 'href="/kiosk/">返回首页' in _text(r)


def test_a_console_view_that_raises_is_a_styled_500(quiet_client, cast):
    login(quiet_client, cast, "admin_a")
    r = quiet_client.get("/console/boom/")
    assert r.status_code == 500
    page = _text(r)
    assert "系统繁忙" in page and "请稍后重试" in page and "must not reach" not in page
    assert "console/console.css" in page and 'href="/console/">返回工作台' in page
    assert 'class="sidebar"' not in page  # rendered without the user: no menu, no lookups


def test_the_500_page_renders_without_touching_the_database(rf, db, django_assert_num_queries):
    from haochaping.core.views import server_error

    request = rf.get("/console/boom/")
    with django_assert_num_queries(0):
        r = server_error(request)
    assert r.status_code == 500 and "系统繁忙" in _text(r)


def test_a_citizen_view_that_raises_is_the_citizen_500_page(quiet_client, db):
    r = quiet_client.get("/my/boom/")
    assert r.status_code == 500
    page = _text(r)
    assert "系统繁忙" in page and "portal/portal.css" in page and "must not reach" not in page


def test_forbidden_and_bad_requests_are_chinese_pages(quiet_client, cast):
    login(quiet_client, cast, "admin_a")
    r = quiet_client.get("/console/forbidden/")
    assert r.status_code == 403 and "无权访问" in _text(r) and 'class="sidebar"' in _text(r)
    r = quiet_client.get("/demand/suspicious/")
    assert r.status_code == 400 and "请求有误" in _text(r) and "must not reach" not in _text(r)


def test_an_unknown_api_path_still_answers_json(client, db):
    r = client.get("/api/v1/nope")
    assert r.status_code == 404
    assert r["Content-Type"].startswith("application/json")
    assert r.json()["error"]["code"] in {"not_found", "endpoint_not_found"}
