"""Sign-in is audited; repeated failures lock the username (等保 登录失败处理)."""

from django.test import Client
from django.urls import reverse

from haochaping.audit.models import AuditEvent
from haochaping.testing import PASSWORD


def _login(client, username, password):
    return client.post(reverse("console:login"), {"username": username, "password": password})


def test_login_logout_and_failures_are_audited(cast):
    client = Client()
    _login(client, "admin_a", "wrong-password")
    assert _login(client, "admin_a", PASSWORD).status_code == 302
    client.post(reverse("console:logout"))
    actions = list(
        AuditEvent.objects.filter(target_type="console.login").order_by("id").values_list("action", flat=True)
    )
    assert actions == ["console:session:login_failed", "console:session:login", "console:session:logout"]
    assert "wrong-password" not in str(list(AuditEvent.objects.values_list("data", flat=True)))


def test_five_failures_lock_the_username_even_with_the_right_password(cast, settings):
    client = Client()
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert _login(client, "admin_a", "wrong-password").status_code == 200
    r = _login(client, "admin_a", PASSWORD)
    assert r.status_code == 200
    assert "登录失败次数过多" in r.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="console:session:login_locked", target_id="admin_a").count() == 1
    # Other users are not affected.
    assert _login(Client(), "admin_b", PASSWORD).status_code == 302


def test_the_lock_expires(cast, settings, time_machine):
    import datetime as dt

    time_machine.move_to(dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC))
    for _ in range(settings.LOGIN_MAX_FAILURES):
        _login(Client(), "admin_a", "wrong-password")
    time_machine.move_to(dt.datetime(2026, 11, 30, 9, settings.LOGIN_LOCK_MINUTES + 1, tzinfo=dt.UTC))
    assert _login(Client(), "admin_a", PASSWORD).status_code == 302


def test_the_client_address_comes_from_trusted_proxies_only(cast, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    Client(HTTP_X_FORWARDED_FOR="1.2.3.4, 10.0.0.7").post(
        reverse("console:login"), {"username": "admin_a", "password": "nope"}
    )
    assert AuditEvent.objects.get(action="console:session:login_failed").data["ip"] == "10.0.0.7"
