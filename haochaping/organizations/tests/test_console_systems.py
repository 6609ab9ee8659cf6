"""业务系统 pages: the centre registers (secret shown once), edits, rotates with an overlap and
deactivates; department admins read their own unit's systems only; the others get 403."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.organizations.api_auth import forget_cached_systems
from haochaping.organizations.models import BusinessSystem, Role
from haochaping.organizations.services import business_system_register, console_user_create
from haochaping.testing import PASSWORD, SignedClient, login

LIST = reverse("console:system_list")
NEW = reverse("console:system_new")


@pytest.fixture(autouse=True)
def _fresh_cache():
    forget_cached_systems()
    yield
    forget_cached_systems()


def detail(system: BusinessSystem) -> str:
    return reverse("console:system_detail", kwargs={"pk": system.pk})


def shown_secret(html: str) -> str | None:
    match = re.search(r'id="secret-value">([0-9a-f]{64})<', html)
    return match.group(1) if match else None


def test_the_centre_registers_a_system_and_sees_its_secret_once(cast):
    client = login(Client(), cast, "supervisor")
    assert "业务系统" in client.get(LIST).content.decode()
    response = client.post(NEW, {"name": "不动产登记系统", "unit": str(cast.unit_b.pk)})
    system = BusinessSystem.objects.get(name="不动产登记系统")
    assert response.status_code == 302 and response["Location"] == detail(system)
    html = client.get(detail(system)).content.decode()
    secret = shown_secret(html)
    assert secret is not None and system.app_id in html
    assert system.unit == cast.unit_b and system.secret == secret
    assert shown_secret(client.get(detail(system)).content.decode()) is None  # once only
    # The secret works: a signed request of the new system is accepted.
    assert SignedClient(Client(), system.app_id, secret).get("/api/v1/items").status_code == 200
    event = AuditEvent.objects.get(action="organizations:system:registered", target_id=str(system.pk))
    assert secret not in str(event.data)


def test_registering_without_a_name_is_a_chinese_error(cast):
    response = login(Client(), cast, "supervisor").post(NEW, {"name": "  ", "unit": ""})
    assert response.status_code == 422
    assert "请填写系统名称" in response.content.decode() or "系统名称不能为空" in response.content.decode()
    assert BusinessSystem.objects.count() == 2


def test_rotation_from_the_page_keeps_the_old_secret_for_the_overlap(cast):
    client = login(Client(), cast, "supervisor")
    response = client.post(detail(cast.system_a), {"action": "rotate", "overlap_hours": "6"})
    assert response.status_code == 302
    new = shown_secret(client.get(detail(cast.system_a)).content.decode())
    assert new and new != cast.secret_a
    old_client = SignedClient(Client(), cast.system_a.app_id, cast.secret_a)
    assert old_client.get("/api/v1/items").status_code == 200
    assert SignedClient(Client(), cast.system_a.app_id, new).get("/api/v1/items").status_code == 200
    html = client.get(detail(cast.system_a)).content.decode()
    assert "过渡期内仍可验签" in html
    bad = client.post(detail(cast.system_a), {"action": "rotate", "overlap_hours": "-1"})
    assert bad.status_code == 422 and "不能小于 0" in bad.content.decode()
    assert AuditEvent.objects.filter(action="organizations:system:secret_rotated").count() == 1


def test_deactivation_from_the_page_refuses_the_system(cast):
    client = login(Client(), cast, "supervisor")
    assert client.post(detail(cast.system_a), {"action": "deactivate"}).status_code == 302
    r = SignedClient(Client(), cast.system_a.app_id, cast.secret_a).get("/api/v1/items")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unknown_app_id"
    assert "已停用" in client.get(LIST).content.decode()
    renamed = {"action": "edit", "name": "市场监管审批系统（新）", "unit": str(cast.unit_a.pk)}
    assert client.post(detail(cast.system_a), renamed).status_code == 302
    assert BusinessSystem.objects.get(pk=cast.system_a.pk).name == "市场监管审批系统（新）"
    actions = set(AuditEvent.objects.filter(target_id=str(cast.system_a.pk)).values_list("action", flat=True))
    assert {"organizations:system:deactivated", "organizations:system:updated"} <= actions


def test_a_department_admin_reads_only_their_own_units_systems_and_changes_nothing(cast):
    client = login(Client(), cast, "admin_a")
    html = client.get(LIST).content.decode()
    assert cast.system_a.name in html and cast.system_all.name not in html
    assert "注册业务系统" not in html
    page = client.get(detail(cast.system_a)).content.decode()
    assert cast.system_a.app_id in page and "生成新密钥" not in page
    assert client.get(detail(cast.system_all)).status_code == 404
    assert client.get(NEW).status_code == 403
    assert client.post(detail(cast.system_a), {"action": "rotate", "overlap_hours": "1"}).status_code == 403
    assert client.post(detail(cast.system_a), {"action": "deactivate"}).status_code == 403
    assert BusinessSystem.objects.get(pk=cast.system_a.pk).is_active
    assert login(Client(), cast, "admin_b").get(detail(cast.system_a)).status_code == 404


@pytest.mark.parametrize("who", ["clerk_a", "operator"])
def test_clerks_and_operators_get_403(cast, who):
    client = login(Client(), cast, who)
    for url in (LIST, NEW, detail(cast.system_a), reverse("console:analytics_system_usage", args=[cast.system_a.pk])):
        assert client.get(url).status_code == 403, url


def test_the_menu_shows_systems_to_the_roles_that_may_see_them(cast):
    assert LIST in login(Client(), cast, "supervisor").get("/console/").content.decode()
    assert LIST in login(Client(), cast, "admin_a").get("/console/").content.decode()
    assert LIST not in login(Client(), cast, "operator").get("/console/").content.decode()


def test_the_list_runs_a_fixed_number_of_queries(cast):
    client = login(Client(), cast, "supervisor")

    def count() -> int:
        client.get(LIST)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    few = count()
    for n in range(8):
        business_system_register(actor=Actor.cli("tests"), name=f"系统{n}", unit=cast.unit_b if n % 2 else None)
    assert count() == few


def test_a_supervisor_below_the_root_is_not_the_centre_and_only_reads(cast):
    console_user_create(actor=Actor.cli("tests"), username="sup_a", password=PASSWORD, unit=cast.unit_a,
                        role=Role.SUPERVISOR)  # fmt: skip
    client = Client()
    assert client.login(username="sup_a", password=PASSWORD)
    html = client.get(LIST).content.decode()
    assert cast.system_a.name in html and cast.system_all.name not in html and "注册业务系统" not in html
    assert client.get(NEW).status_code == 403
    assert client.post(detail(cast.system_a), {"action": "deactivate"}).status_code == 403
