from django.test import Client


def test_a_form_without_csrf_token_gets_a_chinese_page(db):
    r = Client(enforce_csrf_checks=True).post("/console/login/", {"username": "x", "password": "y"})
    assert r.status_code == 403
    assert "页面已过期，请重新提交" in r.content.decode()
