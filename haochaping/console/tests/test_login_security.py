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


# --- per client address (issue 13 item 25) ----------------------------------------------------

ATTACKER, OFFICE = "203.0.113.9", "198.51.100.20"


def _from(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


def _spray(ip: str, count: int, start: int = 0) -> None:
    """``count`` wrong passwords from ``ip``, each on another (unknown) username."""
    for n in range(start, start + count):
        r = _login(_from(ip), f"nobody-{n}", "wrong-password")
        assert "用户名或密码不正确" in r.content.decode(), n


def test_one_address_trying_many_usernames_is_slowed_then_refused(cast, settings, time_machine):
    import datetime as dt

    settings.LOGIN_IP_SLOW_AFTER, settings.LOGIN_IP_MAX_FAILURES = 3, 6
    settings.LOGIN_IP_BACKOFF_SECONDS, settings.LOGIN_IP_BACKOFF_MAX_SECONDS = 2, 60
    time_machine.move_to(dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC), tick=False)
    _spray(ATTACKER, 3)
    # Slowed: the next try within 2 s of the last failure is refused unchecked, with the wait,
    # even with a right password; it counts as no failure (the wait does not grow).
    r = _login(_from(ATTACKER), "admin_a", PASSWORD)
    assert r.status_code == 200 and "请 2 秒后再试" in r.content.decode()
    assert "_auth_user_id" not in r.client.session
    throttled = AuditEvent.objects.get(action="console:session:login_throttled")
    assert throttled.target_id == "admin_a"
    assert throttled.data == {"ip": ATTACKER, "failures": 3, "refused": False, "wait_seconds": 2}
    assert not AuditEvent.objects.filter(action="console:session:login_failed", target_id="admin_a").exists()
    # After the wait a try is checked again; each further failure doubles the wait.
    time_machine.shift(2)
    _spray(ATTACKER, 1, start=3)
    r = _login(_from(ATTACKER), "nobody-x", "wrong-password")
    assert "请 4 秒后再试" in r.content.decode()
    time_machine.shift(4)
    _spray(ATTACKER, 1, start=4)
    time_machine.shift(8)
    _spray(ATTACKER, 1, start=5)
    # Refused: six failures in the window; no login from this address is checked, not even after
    # the longest wait, until the window has moved on.
    time_machine.shift(120)
    r = _login(_from(ATTACKER), "admin_a", PASSWORD)
    html = r.content.decode()
    # Until the oldest of the six leaves the 15-minute window: 134 s have passed, 766 s are left.
    assert "已暂停从本机登录" in html and "请 13 分钟后再试" in html
    assert "_auth_user_id" not in r.client.session
    refused = AuditEvent.objects.filter(action="console:session:login_throttled").latest("id")
    assert refused.data == {"ip": ATTACKER, "failures": 6, "refused": True, "wait_seconds": 766}
    # The window moves on: the oldest failures leave it, and the address may try again.
    time_machine.shift(766)
    assert _login(_from(ATTACKER), "admin_a", PASSWORD).status_code == 302


def test_another_address_still_logs_in_to_the_usernames_the_attacker_tried(cast, settings):
    settings.LOGIN_IP_SLOW_AFTER, settings.LOGIN_IP_MAX_FAILURES = 3, 6
    settings.LOGIN_IP_BACKOFF_SECONDS = 0  # no waits: straight on to the refusal
    for _ in range(2):  # fewer than LOGIN_MAX_FAILURES: the username itself is not locked
        _login(_from(ATTACKER), "admin_a", "wrong-password")
    _spray(ATTACKER, 4)
    assert "本机登录失败次数过多" in _login(_from(ATTACKER), "admin_a", PASSWORD).content.decode()
    assert _login(_from(OFFICE), "admin_a", PASSWORD).status_code == 302


def test_attempts_on_a_locked_username_extend_nothing(cast, settings, time_machine):
    import datetime as dt

    time_machine.move_to(dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC))
    for _ in range(settings.LOGIN_MAX_FAILURES):
        _login(_from(ATTACKER), "admin_a", "wrong-password")
    # The attacker keeps trying the locked username until just before the lock ends: refused
    # unchecked, recorded as login_locked, never as a failure.
    time_machine.move_to(dt.datetime(2026, 11, 30, 9, settings.LOGIN_LOCK_MINUTES - 1, tzinfo=dt.UTC))
    for _ in range(5):
        assert "该账号已暂时锁定" in _login(_from(ATTACKER), "admin_a", "wrong-password").content.decode()
    assert AuditEvent.objects.filter(action="console:session:login_failed").count() == settings.LOGIN_MAX_FAILURES
    time_machine.move_to(dt.datetime(2026, 11, 30, 9, settings.LOGIN_LOCK_MINUTES + 1, tzinfo=dt.UTC))
    assert _login(_from(OFFICE), "admin_a", PASSWORD).status_code == 302


def test_the_address_limits_follow_the_trusted_proxy_setting(cast, settings):
    settings.TRUSTED_PROXY_COUNT, settings.LOGIN_IP_SLOW_AFTER = 1, 2
    behind_proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for n in range(2):
        Client(HTTP_X_FORWARDED_FOR=ATTACKER, **behind_proxy).post(
            reverse("console:login"), {"username": f"nobody-{n}", "password": "x"}
        )
    # The proxy's own address is not the client: another client behind it is not slowed.
    r = Client(HTTP_X_FORWARDED_FOR=OFFICE, **behind_proxy).post(
        reverse("console:login"), {"username": "admin_a", "password": PASSWORD}
    )
    assert r.status_code == 302
    r = Client(HTTP_X_FORWARDED_FOR=ATTACKER, **behind_proxy).post(
        reverse("console:login"), {"username": "admin_a", "password": PASSWORD}
    )
    assert "秒后再试" in r.content.decode()
