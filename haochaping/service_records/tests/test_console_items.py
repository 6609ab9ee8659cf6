"""事项管理 pages: create, edit, deactivate, filters; a department admin manages its own subtree's
事项 only (another department's is a 404); Chinese errors and nothing saved on bad input."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.organizations.api_auth import forget_cached_systems
from haochaping.service_records.models import ServiceItem
from haochaping.service_records.services import service_item_create
from haochaping.testing import login, push_record, record_payload

LIST = reverse("console:item_list")
NEW = reverse("console:item_new")
ACTOR = Actor.cli("tests")


def edit_url(item: ServiceItem) -> str:
    return reverse("console:item_edit", kwargs={"pk": item.pk})


def form_data(cast, **overrides) -> dict:
    data = {
        "code": "11410404MB0000003C",
        "name": "食品生产许可",
        "item_type": "01",
        "department": str(cast.unit_a.pk),
        "online": "on",
        "offline": "on",
        "promised_days": "20",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_department_admin_creates_a_matter_in_their_department(cast):
    client = login(Client(), cast, "admin_a")
    response = client.post(NEW, form_data(cast))
    assert response.status_code == 302
    item = ServiceItem.objects.get(code="11410404MB0000003C")
    assert (item.name, item.item_type, item.department, item.online, item.offline, item.promised_days) == (
        "食品生产许可", "01", cast.unit_a, True, True, 20,
    )  # fmt: skip
    assert AuditEvent.objects.filter(action="service_records:item:created", target_id=str(item.pk)).exists()
    assert "食品生产许可" in client.get(LIST).content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"code": "11410404MB0000001A"}, "实施编码 11410404MB0000001A 已被其他事项使用"),
        ({"code": "ABC-123"}, "实施编码只能由字母和数字组成"),
        ({"code": ""}, "请填写实施编码"),
        ({"item_type": "99"}, "选择一个有效的选项"),
        ({"online": None, "offline": None}, "至少选择一种办理方式"),
        ({"promised_days": "-3"}, "不能小于 0"),
        ({"promised_days": "abc"}, "请填写整数"),
    ],
)
def test_bad_input_is_a_chinese_error_and_saves_nothing(cast, overrides, message):
    before = ServiceItem.objects.count()
    response = login(Client(), cast, "admin_a").post(NEW, form_data(cast, **overrides))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert ServiceItem.objects.count() == before


def test_a_department_admin_cannot_put_a_matter_in_another_department(cast):
    response = login(Client(), cast, "admin_a").post(NEW, form_data(cast, department=str(cast.unit_b.pk)))
    assert response.status_code == 422
    assert not ServiceItem.objects.filter(code="11410404MB0000003C").exists()


def test_editing_changes_the_matter_keeps_its_records_and_is_audited(cast):
    record = push_record(cast, "SCJG2026120001")
    client = login(Client(), cast, "admin_a")
    page = client.get(edit_url(cast.item_a)).content.decode()
    assert "已有办件服务 1 条" in page
    data = form_data(cast, code=cast.item_a.code, name="食品经营许可（新办，含仅销售预包装食品）",
                     offline=None, promised_days="7")  # fmt: skip
    assert client.post(edit_url(cast.item_a), data).status_code == 302
    item = ServiceItem.objects.get(pk=cast.item_a.pk)
    assert item.name.startswith("食品经营许可（新办，含") and item.offline is False and item.promised_days == 7
    record.refresh_from_db()
    assert record.item_id == item.pk
    event = AuditEvent.objects.get(action="service_records:item:updated", target_id=str(item.pk))
    assert event.data["changed"]["promised_days"] == [10, 7]
    # A duplicate code on edit is refused, nothing changes.
    response = client.post(edit_url(cast.item_a), form_data(cast, code=cast.item_b.code))
    assert response.status_code == 422 and "已被其他事项使用" in response.content.decode()
    assert ServiceItem.objects.get(pk=cast.item_a.pk).code == cast.item_a.code


def test_a_deactivated_matter_keeps_its_records_and_takes_no_new_ones(cast, api_all):
    forget_cached_systems()
    record = push_record(cast, "SCJG2026120002")
    client = login(Client(), cast, "admin_a")
    assert client.post(edit_url(cast.item_a), {"action": "deactivate"}).status_code == 302
    item = ServiceItem.objects.get(pk=cast.item_a.pk)
    assert not item.is_active
    record.refresh_from_db()
    assert record.item_id == item.pk
    r = api_all.post("/api/v1/service-records", record_payload(cast, "SCJG2026120003"))
    assert r.status_code == 422
    assert cast.item_a.code not in api_all.get("/api/v1/items").content.decode()
    listed = client.get(LIST, {"active": "0"}).content.decode()
    assert cast.item_a.code in listed and "已停用" in listed
    assert cast.item_a.code not in client.get(LIST, {"active": "1"}).content.decode()
    assert client.post(edit_url(cast.item_a), {"action": "activate"}).status_code == 302
    assert ServiceItem.objects.get(pk=cast.item_a.pk).is_active
    actions = list(AuditEvent.objects.filter(target_id=str(item.pk), action__startswith="service_records:item:")
                   .order_by("pk").values_list("action", flat=True))  # fmt: skip
    assert actions[-2:] == ["service_records:item:deactivated", "service_records:item:activated"]


def test_a_department_admin_gets_404_on_another_departments_matter(cast):
    client = login(Client(), cast, "admin_a")
    html = client.get(LIST).content.decode()
    assert cast.item_a.code in html and cast.item_b.code not in html and cast.unit_b.name not in html
    assert client.get(edit_url(cast.item_b)).status_code == 404
    assert client.post(edit_url(cast.item_b), {"action": "deactivate"}).status_code == 404
    assert client.post(edit_url(cast.item_b), form_data(cast, code=cast.item_b.code)).status_code == 404
    assert ServiceItem.objects.get(pk=cast.item_b.pk).is_active


def test_the_centre_sees_all_and_filters(cast):
    client = login(Client(), cast, "supervisor")
    html = client.get(LIST).content.decode()
    assert cast.item_a.code in html and cast.item_b.code in html
    by_unit = client.get(LIST, {"unit": cast.unit_b.code}).content.decode()
    assert cast.item_b.code in by_unit and cast.item_a.code not in by_unit
    by_type = client.get(LIST, {"item_type": "05"}).content.decode()
    assert cast.item_b.code in by_type and cast.item_a.code not in by_type
    ServiceItem.objects.filter(pk=cast.item_b.pk).update(online=False)
    online = client.get(LIST, {"mode": "online"}).content.decode()
    assert cast.item_a.code in online and cast.item_b.code not in online
    assert cast.item_b.code in client.get(LIST, {"q": "失业"}).content.decode()
    assert client.post(NEW, form_data(cast, department=str(cast.unit_b.pk))).status_code == 302


def test_auditors_read_and_others_are_refused(cast):
    auditor = login(Client(), cast, "auditor")
    assert auditor.get(LIST).status_code == 200
    page = auditor.get(edit_url(cast.item_a)).content.decode()
    assert "保存修改" not in page and "停用事项" not in page
    assert auditor.get(NEW).status_code == 403
    assert auditor.post(edit_url(cast.item_a), {"action": "deactivate"}).status_code == 403
    for who in ("clerk_a", "operator"):
        client = login(Client(), cast, who)
        assert client.get(LIST).status_code == 403
        assert client.get(edit_url(cast.item_a)).status_code == 403


def test_the_list_runs_a_fixed_number_of_queries(cast):
    client = login(Client(), cast, "supervisor")

    def count() -> int:
        client.get(LIST)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    few = count()
    for n in range(12):
        unit = cast.unit_a if n % 2 else cast.unit_b
        service_item_create(
            actor=Actor.cli("tests"), code=f"X{n:04d}", name=f"事项{n}", item_type="20", department=unit
        )
    assert count() == few
