"""我的账户 (issue 15): every console user changes their own password with the current one and
reads their own sign-ins."""

from __future__ import annotations

import pytest
from django.test import Client

from haochaping.audit.models import AuditEvent
from haochaping.testing import PASSWORD, login

pytestmark = pytest.mark.django_db

PAGE = "/console/me/"
NEW_PASSWORD = "Xin-mima-2027!"


def change(client: Client, old: str, new: str, again: str | None = None):
    return client.post(PAGE, {"old_password": old, "new_password1": new, "new_password2": again or new})


@pytest.mark.parametrize("who", ["clerk_a", "admin_a", "supervisor", "operator", "auditor"])
def test_every_role_has_the_page_in_the_menu(cast, who):
    client = login(Client(), cast, who)
    page = client.get(PAGE)
    assert page.status_code == 200 and "修改密码" in page.content.decode()
    assert 'href="/console/me/"' in client.get("/console/").content.decode()


def test_the_password_changes_only_with_the_current_one(cast):
    client = login(Client(), cast, "clerk_a")
    r = change(client, "not-my-password", NEW_PASSWORD)
    assert r.status_code == 422 and "当前密码不正确" in r.content.decode()
    user = cast.users["clerk_a"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="organizations:user:password_changed").exists()


@pytest.mark.parametrize(
    ("new", "again", "message"),
    [
        ("short-1", None, "密码长度太短"),
        ("1234567890123", None, "密码只包含数字"),
        (NEW_PASSWORD, "other-2027!x", "不一致"),
    ],
)
def test_a_weak_or_mistyped_new_password_is_refused_in_chinese(cast, new, again, message):
    client = login(Client(), cast, "clerk_a")
    r = change(client, PASSWORD, new, again)
    assert r.status_code == 422 and message in r.content.decode()


def test_a_changed_password_keeps_this_session_ends_the_others_and_is_audited(cast):
    here = login(Client(), cast, "clerk_a")
    elsewhere = login(Client(), cast, "clerk_a")
    r = change(here, PASSWORD, NEW_PASSWORD)
    assert r.status_code == 302 and r["Location"] == PAGE
    assert "密码已修改" in here.get(PAGE).content.decode()
    assert here.get("/console/").status_code == 200
    assert elsewhere.get("/console/").status_code == 302
    assert not Client().login(username="clerk_a", password=PASSWORD)
    assert Client().login(username="clerk_a", password=NEW_PASSWORD)
    event = AuditEvent.objects.get(action="organizations:user:password_changed")
    assert event.actor_label == "clerk_a" and event.data == {"username": "clerk_a"}
    assert NEW_PASSWORD not in str(event.data)


def test_the_own_sign_ins_are_listed_with_failures(cast):
    Client(REMOTE_ADDR="198.51.100.7").post("/console/login/", {"username": "clerk_a", "password": "wrong-one"})
    client = Client(REMOTE_ADDR="198.51.100.8")
    assert client.post("/console/login/", {"username": "clerk_a", "password": PASSWORD}).status_code == 302
    html = client.get(PAGE).content.decode()
    assert "登录成功" in html and "198.51.100.8" in html
    assert "登录失败（用户名或密码不正确）" in html and "198.51.100.7" in html
    assert html.index("登录成功") < html.index("登录失败")  # newest first
    # Only one's own: another user's sign-ins are not there.
    other = login(Client(), cast, "admin_b").get(PAGE).content.decode()
    assert "198.51.100.7" not in other and "198.51.100.8" not in other
