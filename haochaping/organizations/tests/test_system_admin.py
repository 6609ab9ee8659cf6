"""Business systems: secret rotation with an overlap, deactivation, the per-system error count
and the ``systems`` command, through real signed requests."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.organizations.api_auth import forget_cached_systems
from haochaping.organizations.models import BusinessSystem, SystemErrorDay
from haochaping.organizations.services import business_system_rotate_secret, business_system_set_active
from haochaping.testing import SignedClient

ACTOR = Actor.cli("tests")


@pytest.fixture(autouse=True)
def _fresh_cache():
    forget_cached_systems()
    yield
    forget_cached_systems()


def signed(cast, secret: str) -> SignedClient:
    return SignedClient(Client(), cast.system_all.app_id, secret)


def expire_overlap(system: BusinessSystem) -> None:
    """The overlap's end passes (as time would)."""
    BusinessSystem.objects.filter(pk=system.pk).update(previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
    forget_cached_systems()


def test_old_secret_verifies_during_the_overlap_and_not_after(cast, django_capture_on_commit_callbacks):
    old = cast.secret_all
    with django_capture_on_commit_callbacks(execute=True):
        new = business_system_rotate_secret(actor=ACTOR, system=cast.system_all, overlap_hours=2)
    assert new != old
    assert signed(cast, new).get("/api/v1/items").status_code == 200
    assert signed(cast, old).get("/api/v1/items").status_code == 200  # overlap running
    system = BusinessSystem.objects.get(pk=cast.system_all.pk)
    assert system.previous_secret == old
    assert timedelta(hours=1, minutes=59) < system.previous_secret_expires_at - timezone.now() <= timedelta(hours=2)
    expire_overlap(system)
    r = signed(cast, old).get("/api/v1/items")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "bad_signature"
    assert signed(cast, new).get("/api/v1/items").status_code == 200
    event = AuditEvent.objects.filter(action="organizations:system:secret_rotated").get()
    assert event.data["overlap_hours"] == 2 and old not in str(event.data) and new not in str(event.data)


def test_a_rotation_without_overlap_refuses_the_old_secret_at_once(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        new = business_system_rotate_secret(actor=ACTOR, system=cast.system_all, overlap_hours=0)
    assert signed(cast, cast.secret_all).get("/api/v1/items").json()["error"]["code"] == "bad_signature"
    assert signed(cast, new).get("/api/v1/items").status_code == 200


def test_a_second_rotation_ends_the_first_overlap(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        second = business_system_rotate_secret(actor=ACTOR, system=cast.system_all, overlap_hours=5)
        third = business_system_rotate_secret(actor=ACTOR, system=cast.system_all, overlap_hours=5)
    assert signed(cast, cast.secret_all).get("/api/v1/items").status_code == 401
    assert signed(cast, second).get("/api/v1/items").status_code == 200
    assert signed(cast, third).get("/api/v1/items").status_code == 200


def test_a_deactivated_system_is_refused_with_the_api_error_and_its_data_kept(cast, django_capture_on_commit_callbacks):
    client = signed(cast, cast.secret_all)
    assert client.get("/api/v1/items").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        business_system_set_active(actor=ACTOR, system=cast.system_all, active=False)
    r = client.get("/api/v1/items")
    assert r.status_code == 401
    assert r.json() == {"error": {"code": "unknown_app_id", "message": "App ID 不存在或已停用", "fields": {}}}
    assert BusinessSystem.objects.filter(pk=cast.system_all.pk, is_active=False).exists()
    assert AuditEvent.objects.filter(action="organizations:system:deactivated").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        business_system_set_active(actor=ACTOR, system=cast.system_all, active=True)
    assert client.get("/api/v1/items").status_code == 200


def test_error_answers_are_counted_per_system_day_and_code(cast, api_all):
    assert api_all.get("/api/v1/items").status_code == 200
    assert not SystemErrorDay.objects.exists()  # a successful call writes nothing here
    wrong = signed(cast, "0" * 64)
    for _ in range(3):
        assert wrong.get("/api/v1/items").status_code == 401
    assert api_all.post("/api/v1/service-records", {"project_no": ""}).status_code == 422
    assert api_all.get("/api/v1/evaluations/999999").status_code == 404
    counts = {(r.code, r.status): r.errors for r in SystemErrorDay.objects.filter(system=cast.system_all)}
    assert counts == {("bad_signature", 401): 3, ("validation_error", 422): 1, ("evaluation_not_found", 404): 1}
    assert SystemErrorDay.objects.get(code="bad_signature").day == timezone.localdate()
    # An unknown App ID belongs to no system: nothing to count against.
    SignedClient(Client(), "hcp_nobody", "x").get("/api/v1/items")
    assert SystemErrorDay.objects.count() == 3


def test_cli_rotate_prints_the_new_secret_once_and_keeps_the_old_during_the_overlap(cast):
    out = StringIO()
    call_command("systems", "rotate", cast.system_all.app_id, "--overlap-hours", "3", stdout=out)
    lines = out.getvalue().splitlines()
    new = next(line.split(": ", 1)[1] for line in lines if line.startswith("secret: "))
    assert any(line.startswith("旧密钥有效至") for line in lines)
    forget_cached_systems()
    assert signed(cast, new).get("/api/v1/items").status_code == 200
    assert signed(cast, cast.secret_all).get("/api/v1/items").status_code == 200
    expire_overlap(cast.system_all)
    assert signed(cast, cast.secret_all).get("/api/v1/items").status_code == 401
    assert AuditEvent.objects.filter(action="organizations:system:secret_rotated").count() == 1


def test_cli_deactivate_and_unknown_app_id(cast):
    out = StringIO()
    call_command("systems", "deactivate", cast.system_a.app_id, stdout=out)
    assert "已停用" in out.getvalue()
    forget_cached_systems()
    r = SignedClient(Client(), cast.system_a.app_id, cast.secret_a).get("/api/v1/items")
    assert r.json()["error"]["code"] == "unknown_app_id"
    with pytest.raises(CommandError, match="不存在"):
        call_command("systems", "rotate", "hcp_nobody")
    with pytest.raises(CommandError, match="过渡期"):
        call_command("systems", "rotate", cast.system_all.app_id, "--overlap-hours", "99999")


def test_a_secret_rotated_in_another_process_verifies_at_once(cast, monkeypatch):
    """This process still holds the old secrets in its 5 s cache (the rotation happened
    elsewhere): a request signed with the new secret makes it read the system again."""
    import time as time_module

    from haochaping.organizations import api_auth

    client = signed(cast, cast.secret_all)
    assert client.get("/api/v1/items").status_code == 200  # cached now
    new = business_system_rotate_secret(actor=ACTOR, system=cast.system_all, overlap_hours=0)  # no on_commit here
    later = time_module.monotonic() + 1.5  # a second after the cache was filled, still inside its 5 s
    monkeypatch.setattr(api_auth.time, "monotonic", lambda: later)
    assert signed(cast, new).get("/api/v1/items").status_code == 200
    assert signed(cast, cast.secret_all).get("/api/v1/items").status_code == 401
