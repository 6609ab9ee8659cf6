"""登录锁定 (issue 13 item 25): an administrator sees the locked console users of their subtree
(and, a supervisor, the limited client addresses) and unlocks one at once; audited; scoped."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from haochaping.audit.models import AuditEvent
from haochaping.testing import PASSWORD, login

PAGE = "/console/login-locks/"
ATTACKER, OFFICE = "203.0.113.9", "198.51.100.20"


def _login(username: str, password: str, ip: str = ATTACKER):
    return Client(REMOTE_ADDR=ip).post(reverse("console:login"), {"username": username, "password": password})


def _lock(username: str, settings, ip: str = ATTACKER) -> None:
    for _ in range(settings.LOGIN_MAX_FAILURES):
        _login(username, "wrong-password", ip)
    assert "该账号已暂时锁定" in _login(username, PASSWORD, OFFICE).content.decode()


def test_an_admin_unlocks_a_locked_user_who_then_logs_in_at_once(cast, settings):
    _lock("clerk_a", settings)
    admin = login(Client(), cast, "admin_a")
    page = admin.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-username="clerk_a"' in html and "解除锁定" in html
    assert "被限制登录的网络地址" not in html  # addresses: supervisors only
    r = admin.post(PAGE, {"username": "clerk_a"})
    assert r.status_code == 302 and r["Location"] == PAGE
    assert "已解除账号“clerk_a”的登录锁定" in admin.get(PAGE).content.decode()
    event = AuditEvent.objects.get(action="console:session:unlocked")
    assert (event.actor_label, event.target_type, event.target_id) == ("admin_a", "console.login", "clerk_a")
    assert event.data == {"username": "clerk_a", "failures": settings.LOGIN_MAX_FAILURES}
    assert 'data-username="clerk_a"' not in admin.get(PAGE).content.decode()
    assert _login("clerk_a", PASSWORD, OFFICE).status_code == 302
    # The failures before the unlock count no more: it takes a full new series to lock again.
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        _login("clerk_a", "wrong-password")
    assert _login("clerk_a", PASSWORD, OFFICE).status_code == 302


def test_a_department_admin_cannot_see_or_unlock_users_outside_their_subtree(cast, settings):
    _lock("clerk_b", settings)
    _lock("supervisor", settings)
    admin = login(Client(), cast, "admin_a")
    html = admin.get(PAGE).content.decode()
    assert "clerk_b" not in html and 'data-username="supervisor"' not in html
    for username in ("clerk_b", "supervisor", "nobody"):
        r = admin.post(PAGE, {"username": username})
        assert r.status_code == 404, username
    assert not AuditEvent.objects.filter(action="console:session:unlocked").exists()
    assert "该账号已暂时锁定" in _login("clerk_b", PASSWORD, OFFICE).content.decode()
    # Unit B's own admin sees their clerk.
    unit_b_page = login(Client(), cast, "admin_b").get(PAGE).content.decode()
    assert 'data-username="clerk_b"' in unit_b_page


@pytest.mark.parametrize("who", ["clerk_a", "operator", "auditor"])
def test_other_roles_get_the_403_page_and_cannot_unlock(cast, settings, who):
    _lock("admin_a", settings)
    client = login(Client(), cast, who)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"username": "admin_a"}).status_code == 403
    assert client.post(PAGE, {"ip": ATTACKER}).status_code == 403
    assert not AuditEvent.objects.filter(action="console:session:unlocked").exists()
    assert "登录锁定</a>" not in client.get("/console/").content.decode()  # not on their menu


def test_the_supervisor_lifts_an_address_limit(cast, settings):
    settings.LOGIN_IP_SLOW_AFTER, settings.LOGIN_IP_MAX_FAILURES, settings.LOGIN_IP_BACKOFF_SECONDS = 2, 4, 0
    for n in range(4):
        _login(f"nobody-{n}", "wrong-password")
    assert "已暂停从本机登录" in _login("admin_a", PASSWORD).content.decode()
    # A department admin may not lift an address limit (an address belongs to no unit).
    admin = login(Client(), cast, "admin_a")
    assert admin.post(PAGE, {"ip": ATTACKER}).status_code == 403
    supervisor = login(Client(), cast, "supervisor")
    html = supervisor.get(PAGE).content.decode()
    assert f'data-ip="{ATTACKER}"' in html and "已暂停登录" in html
    assert supervisor.post(PAGE, {"ip": ATTACKER}).status_code == 302
    event = AuditEvent.objects.get(action="console:session:unlocked")
    assert (event.actor_label, event.target_type, event.target_id) == ("supervisor", "console.login_address", ATTACKER)
    assert event.data == {"ip": ATTACKER, "failures": 4}
    assert _login("admin_a", PASSWORD).status_code == 302


def test_unlocking_what_is_not_locked_says_so(cast):
    supervisor = login(Client(), cast, "supervisor")
    supervisor.post(PAGE, {"username": "clerk_a"})
    supervisor.post(PAGE, {"ip": OFFICE})
    page = supervisor.get(PAGE).content.decode()
    assert "该账号当前未被锁定" in page or "该地址当前没有登录限制" in page
    assert not AuditEvent.objects.filter(action="console:session:unlocked").exists()


def test_the_page_runs_a_fixed_number_of_queries(cast, settings):
    supervisor = login(Client(), cast, "supervisor")
    _lock("clerk_a", settings)

    def queries() -> int:
        supervisor.get(PAGE)
        with CaptureQueriesContext(connection) as captured:
            html = supervisor.get(PAGE).content.decode()
        return len(captured.captured_queries), html.count("data-username=")

    one, rows = queries()
    assert rows == 1 and one <= 12
    for n, username in enumerate(("clerk_b", "admin_b", "operator")):
        _lock(username, settings, ip=f"203.0.113.{n + 20}")
    assert queries() == (one, 4)  # no query per row


def test_the_command_line_unlocks_a_user_or_an_address(cast, settings):
    _lock("admin_b", settings)
    call_command("unlock", "admin_b")
    event = AuditEvent.objects.get(action="console:session:unlocked")
    assert (event.actor_type, event.actor_label, event.target_id) == ("cli", "unlock", "admin_b")
    assert _login("admin_b", PASSWORD, OFFICE).status_code == 302
    with pytest.raises(CommandError, match="当前没有登录限制"):
        call_command("unlock", "--ip", OFFICE)
    with pytest.raises(CommandError, match="二者之一"):
        call_command("unlock")
