"""工作人员 (issue 15): staff of a subtree with their window and tablet photo; 离岗 instead of
deletion; audited; scoped (another department's staff member is "not found")."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.core.errors import PermissionDenied
from haochaping.organizations.administration.checks import PHOTO_MAX_BYTES
from haochaping.organizations.administration.staff import staff_add
from haochaping.organizations.models import Staff
from haochaping.organizations.selectors import scope_for_user, window_staff_on_duty
from haochaping.testing import login
from haochaping.testing_world import PDF, PNG

pytestmark = pytest.mark.django_db

LIST = "/console/staff/"
NEW = "/console/staff/new/"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def detail(person) -> str:
    return reverse("console:staff_detail", kwargs={"pk": person.pk})


def upload(client, person, content: bytes, name: str = "photo.png"):
    return client.post(detail(person), {"action": "photo", "photo": SimpleUploadedFile(name, content)})


def test_an_admin_adds_a_staff_member_at_their_window(cast):
    client = login(Client(), cast, "admin_a")
    r = client.post(NEW, {"staff_no": "A002", "name": "赵丽", "unit": cast.unit_a.pk, "window": cast.window_a.pk})
    person = Staff.objects.get(staff_no="A002")
    assert r.status_code == 302 and r["Location"] == detail(person)
    assert (person.unit, person.window, person.is_active) == (cast.unit_a, cast.window_a, True)
    event = AuditEvent.objects.get(action="organizations:staff:created", target_id=str(person.pk))
    assert event.data == {"staff_no": "A002", "unit": "SCJG", "window": "W-A1"}  # no name: identity stays out
    assert 'data-staff="A002"' in client.get(LIST).content.decode()


def test_a_duplicate_staff_number_and_a_foreign_window_are_refused_in_chinese(cast):
    client = login(Client(), cast, "supervisor")
    r = client.post(NEW, {"staff_no": "A001", "name": "重复", "unit": cast.unit_a.pk})
    assert r.status_code == 422 and "工号 A001 已存在" in r.content.decode()
    r = client.post(NEW, {"staff_no": "A003", "name": "错窗", "unit": cast.unit_a.pk, "window": cast.window_b.pk})
    assert r.status_code == 422 and "既不在“区市场监督管理局”，也不由其进驻" in r.content.decode()
    assert not Staff.objects.filter(staff_no="A003").exists()


def test_a_department_admin_cannot_touch_another_departments_staff(cast):
    client = login(Client(), cast, "admin_a")
    html = client.get(LIST).content.decode()
    assert 'data-staff="A001"' in html and 'data-staff="B001"' not in html
    assert client.get(detail(cast.staff_b)).status_code == 404
    r = client.post(detail(cast.staff_b), {"action": "edit", "name": "越权", "unit": cast.unit_b.pk})
    assert r.status_code == 404
    assert client.post(detail(cast.staff_b), {"action": "off_duty"}).status_code == 404
    assert upload(client, cast.staff_b, PNG).status_code == 404
    person = Staff.objects.get(pk=cast.staff_b.pk)
    assert (person.name, person.is_active, person.photo.name) == ("李建国", True, "")
    # A staff member placed in unit B: not offered, and refused by the service.
    r = client.post(NEW, {"staff_no": "B009", "name": "越权", "unit": cast.unit_b.pk})
    assert r.status_code == 422 and not Staff.objects.filter(staff_no="B009").exists()
    with pytest.raises(PermissionDenied):
        staff_add(actor=Actor.cli(), scope=scope_for_user(cast.users["admin_a"]), staff_no="B009", name="x",
                  unit=cast.unit_b)  # fmt: skip


def test_a_photo_is_checked_by_content_and_shown_on_the_tablet(cast):
    client = login(Client(), cast, "admin_a")
    assert upload(client, cast.staff_a, JPEG, name="me.png").status_code == 302  # the name does not matter
    person = Staff.objects.get(pk=cast.staff_a.pk)
    assert person.photo.name.startswith("staff/staff-") and person.photo.name.endswith(".jpg")
    photo = client.get(reverse("console:staff_photo", kwargs={"pk": person.pk}))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert b"".join(photo.streaming_content) == JPEG
    assert AuditEvent.objects.filter(action="organizations:staff:photo_set", target_id=str(person.pk)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_replaced_photo_file_is_removed(cast):
    client = login(Client(), cast, "admin_a")
    upload(client, cast.staff_a, JPEG)
    old = Staff.objects.get(pk=cast.staff_a.pk).photo.name
    upload(client, cast.staff_a, PNG)
    person = Staff.objects.get(pk=cast.staff_a.pk)
    assert person.photo.name.endswith(".png") and person.photo.storage.exists(person.photo.name)
    assert not person.photo.storage.exists(old)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (PDF, "照片只能是 JPG、PNG、GIF 或 WebP 格式的图片"),
        (b"", "照片文件为空"),
        (PNG + b"\x00" * PHOTO_MAX_BYTES, "照片不能超过 2 MB"),
    ],
)
def test_a_wrong_photo_is_refused_in_chinese(cast, content, message):
    client = login(Client(), cast, "admin_a")
    r = upload(client, cast.staff_a, content, name="photo.jpg")
    assert r.status_code == 422
    assert message in r.content.decode()
    assert Staff.objects.get(pk=cast.staff_a.pk).photo.name == ""


def test_off_duty_staff_leave_the_tablet_and_the_pickers_but_stay(cast):
    client = login(Client(), cast, "admin_a")
    assert list(window_staff_on_duty(window_id=cast.window_a.pk)) == [cast.staff_a]
    assert client.post(detail(cast.staff_a), {"action": "off_duty"}).status_code == 302
    person = Staff.objects.get(pk=cast.staff_a.pk)
    assert not person.is_active and person.window == cast.window_a  # kept, with its window
    assert list(window_staff_on_duty(window_id=cast.window_a.pk)) == []
    form = client.get("/console/accounts/new/").context["form"]
    assert person not in list(form.fields["staff"].queryset)
    assert AuditEvent.objects.filter(action="organizations:staff:deactivated", target_id=str(person.pk)).exists()
    assert client.post(detail(person), {"action": "on_duty"}).status_code == 302
    assert Staff.objects.get(pk=person.pk).is_active


def test_editing_staff_is_audited_without_the_name(cast):
    client = login(Client(), cast, "supervisor")
    r = client.post(detail(cast.staff_a), {"action": "edit", "name": "王小红", "unit": cast.unit_a.pk, "window": ""})
    assert r.status_code == 302
    person = Staff.objects.get(pk=cast.staff_a.pk)
    assert (person.name, person.window) == ("王小红", None)
    event = AuditEvent.objects.get(action="organizations:staff:updated", target_id=str(person.pk))
    assert event.data["changes"] == {"name": True, "window": ["W-A1", None]}
    assert "王小红" not in str(event.data)
