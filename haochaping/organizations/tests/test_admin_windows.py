"""窗口 (issue 15): windows of a subtree — located in it or staffed by it — added, edited and
deactivated by supervisors and department admins, with the items they take in; audited; scoped."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.core.errors import PermissionDenied
from haochaping.organizations.administration.windows import window_add
from haochaping.organizations.models import Staff, Window
from haochaping.organizations.selectors import scope_for_user
from haochaping.service_records.services import service_item_create, window_items_set
from haochaping.testing import login, pair_tablet

pytestmark = pytest.mark.django_db

LIST = "/console/windows/"
NEW = "/console/windows/new/"


def detail(window) -> str:
    return reverse("console:window_detail", kwargs={"pk": window.pk})


def items_page(window) -> str:
    return reverse("console:window_items", kwargs={"pk": window.pk})


def test_the_centre_adds_a_window_at_the_hall_for_a_department(cast):
    client = login(Client(), cast, "supervisor")
    r = client.post(NEW, {"code": "CENTER-W21", "name": "社保综合窗口二", "unit": cast.center.pk,
                          "department": cast.unit_b.pk})  # fmt: skip
    window = Window.objects.get(code="CENTER-W21")
    assert r.status_code == 302 and r["Location"] == detail(window)
    assert (window.unit, window.department, window.is_active) == (cast.center, cast.unit_b, True)
    event = AuditEvent.objects.get(action="organizations:window:created", target_id=str(window.pk))
    assert event.data["department"] == "RSJ" and event.actor_label == "supervisor"
    html = client.get(LIST).content.decode()
    assert 'data-window="CENTER-W21"' in html and 'data-window="W-A1"' in html


def test_a_duplicate_window_code_is_refused_in_chinese(cast):
    client = login(Client(), cast, "supervisor")
    r = client.post(NEW, {"code": "W-A1", "name": "重复", "unit": cast.center.pk, "department": ""})
    assert r.status_code == 422 and "窗口编码 W-A1 已存在" in r.content.decode()


def test_a_department_admin_manages_only_windows_their_department_staffs(cast):
    client = login(Client(), cast, "admin_a")
    html = client.get(LIST).content.decode()
    assert 'data-window="W-A1"' in html and 'data-window="W-B1"' not in html
    assert client.get(detail(cast.window_a)).status_code == 200
    assert client.get(detail(cast.window_b)).status_code == 404
    r = client.post(detail(cast.window_b), {"action": "edit", "name": "越权改名", "unit": cast.center.pk})
    assert r.status_code == 404
    assert client.post(detail(cast.window_b), {"action": "deactivate"}).status_code == 404
    assert Window.objects.get(pk=cast.window_b.pk).name == "社保综合窗口"
    # A new window of its own at the hall: offered; unit B as the department: not offered.
    r = client.post(NEW, {"code": "CENTER-W30", "name": "市场监管窗口二", "unit": cast.center.pk,
                          "department": cast.unit_a.pk})  # fmt: skip
    assert r.status_code == 302
    r = client.post(NEW, {"code": "CENTER-W31", "name": "越权窗口", "unit": cast.center.pk,
                          "department": cast.unit_b.pk})  # fmt: skip
    assert r.status_code == 422 and not Window.objects.filter(code="CENTER-W31").exists()
    # Nor through the service: another department, or the hall with no department of its own.
    scope = scope_for_user(cast.users["admin_a"])
    with pytest.raises(PermissionDenied):
        window_add(actor=Actor.cli(), scope=scope, code="X1", name="x", unit=cast.center, department=cast.unit_b)
    r = client.post(NEW, {"code": "CENTER-W32", "name": "无部门", "unit": cast.center.pk, "department": ""})
    assert r.status_code == 422 and "须选择本单位作为进驻部门" in r.content.decode()


def test_a_window_clerk_and_an_operator_get_403(cast):
    for who in ("clerk_a", "operator", "auditor"):
        client = login(Client(), cast, who)
        assert client.get(LIST).status_code == 403, who
        assert client.get(detail(cast.window_a)).status_code == 403, who


def test_editing_a_window_is_audited_with_what_changed(cast):
    client = login(Client(), cast, "supervisor")
    r = client.post(detail(cast.window_a), {"action": "edit", "name": "市场监管综合窗口（一）",
                                            "unit": cast.street.pk, "department": cast.unit_a.pk})  # fmt: skip
    assert r.status_code == 302
    window = Window.objects.get(pk=cast.window_a.pk)
    assert (window.name, window.unit) == ("市场监管综合窗口（一）", cast.street)
    event = AuditEvent.objects.get(action="organizations:window:updated", target_id=str(window.pk))
    assert event.data["changes"]["unit"] == ["CENTER", "JD01"]
    assert "修改窗口" in client.get(detail(window)).content.decode()


def test_a_window_with_staff_on_duty_or_a_tablet_is_not_deactivated(cast):
    client = login(Client(), cast, "supervisor")
    pair_tablet(cast.window_a)
    r = client.post(detail(cast.window_a), {"action": "deactivate"}, follow=True)
    html = r.content.decode()
    assert "1 名在岗工作人员" in html and "1 台启用的评价器" in html and "暂不能停用" in html
    assert Window.objects.get(pk=cast.window_a.pk).is_active


def test_deactivating_a_free_window_keeps_it_and_its_services(cast):
    client = login(Client(), cast, "supervisor")
    Staff.objects.filter(window=cast.window_b).update(window=None)
    assert client.post(detail(cast.window_b), {"action": "deactivate"}).status_code == 302
    window = Window.objects.get(pk=cast.window_b.pk)
    assert not window.is_active
    assert "已停用" in client.get(detail(window)).content.decode()
    assert 'data-window="W-B1"' not in client.get(LIST).content.decode()  # the list shows active ones first
    assert 'data-window="W-B1"' in client.get(LIST, {"status": "inactive"}).content.decode()
    assert client.post(detail(window), {"action": "reactivate"}).status_code == 302
    assert Window.objects.get(pk=window.pk).is_active


def test_the_items_a_window_takes_in_are_set_on_its_items_page(cast):
    client = login(Client(), cast, "admin_a")
    extra = service_item_create(actor=Actor.cli(), code="11410404MB0000003C", name="食品经营许可（变更）",
                                item_type="01", department=cast.unit_a)  # fmt: skip
    page = client.get(items_page(cast.window_a)).content.decode()
    assert cast.item_a.name in page and cast.item_b.name not in page  # unit B's items: not offered
    r = client.post(items_page(cast.window_a), {"items": [cast.item_a.pk, extra.pk, cast.item_b.pk]})
    assert r.status_code == 302 and r["Location"] == detail(cast.window_a)
    assert set(cast.window_a.items.values_list("code", flat=True)) == {cast.item_a.code, extra.code}
    event = AuditEvent.objects.get(action="service_records:window:items_set", target_id=str(cast.window_a.pk))
    assert event.data["added"] == sorted([cast.item_a.code, extra.code]) and event.data["removed"] == []
    assert cast.item_a.name in client.get(detail(cast.window_a)).content.decode()
    # Unticking removes; another department's item linked by the centre stays untouched.
    window_items_set(actor=Actor.cli(), scope=scope_for_user(cast.users["supervisor"]), window=cast.window_a,
                     items=[cast.item_a, extra, cast.item_b])  # fmt: skip
    client.post(items_page(cast.window_a), {"items": [extra.pk]})
    assert set(cast.window_a.items.values_list("code", flat=True)) == {extra.code, cast.item_b.code}
    assert client.get(items_page(cast.window_b)).status_code == 404
    with pytest.raises(PermissionDenied):
        window_items_set(actor=Actor.cli(), scope=scope_for_user(cast.users["admin_a"]), window=cast.window_a,
                         items=[cast.item_b])  # fmt: skip
