"""Writes for service records: intake from business systems (one or a batch), rating links."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from haochaping.audit.services import Actor, audit_record
from haochaping.core.crypto import blind_index, canonical_json, hmac_sm3_hex, sign_short, sign_token, unsign_short
from haochaping.core.errors import ApplicationError, Conflict, PermissionDenied, ValidationFailed
from haochaping.organizations.administration.rules import require_administrator
from haochaping.organizations.administration.windows import window_in_scope
from haochaping.organizations.models import BusinessSystem, Staff, Unit, Window
from haochaping.organizations.selectors import Scope
from haochaping.service_records.choices import ItemType
from haochaping.service_records.models import ServiceItem, ServiceRecord

RATING_LINK_PURPOSE = "portal.rate"
MY_LINK_PURPOSE = "portal.my"


MAX_PROMISED_DAYS = 365


def _item_check(
    *, code: str, name: str, item_type: str, online: bool, offline: bool, promised_days: int | None,
    exclude_pk: int | None = None,
) -> None:  # fmt: skip
    """The rules of a 事项, as Chinese field errors (422), then a taken code (409)."""
    errors: dict[str, list[str]] = {}
    if not code or len(code) > 24:
        errors["code"] = ["实施编码须为 1–24 位"]
    elif not code.isascii() or not code.isalnum():
        errors["code"] = ["实施编码只能由字母和数字组成"]
    if item_type not in ItemType.values:
        errors["item_type"] = ["事项类型不在 GB/T 39046 附录 A.1 的范围内"]
    if not name.strip():
        errors["name"] = ["必填"]
    elif len(name.strip()) > 200:
        errors["name"] = ["事项名称不能超过 200 字"]
    if not (online or offline):
        errors["online"] = ["至少选择一种办理方式：可网办或可窗口办理"]
    if promised_days is not None and not 0 <= promised_days <= MAX_PROMISED_DAYS:
        errors["promised_days"] = [f"承诺时限须为 0–{MAX_PROMISED_DAYS} 个工作日（0 表示即办），或留空表示无承诺时限"]
    if errors:
        raise ValidationFailed("事项数据不符合要求", fields=errors)
    taken = ServiceItem.objects.filter(code=code)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        taken_by = [f"实施编码 {code} 已被其他事项使用"]
        raise Conflict(f"实施编码 {code} 已存在", code="item_exists", fields={"code": taken_by})


@transaction.atomic
def service_item_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    item_type: str,
    department: Unit,
    online: bool = True,
    offline: bool = True,
    promised_days: int | None = None,
) -> ServiceItem:
    """Add a service item (事项) to the catalogue."""
    code = code.strip()
    _item_check(code=code, name=name, item_type=item_type, online=online, offline=offline,
                promised_days=promised_days)  # fmt: skip
    item = ServiceItem.objects.create(
        code=code, name=name.strip(), item_type=item_type, department=department, online=online, offline=offline,
        promised_days=promised_days,
    )  # fmt: skip
    audit_record(
        actor=actor,
        action="service_records:item:created",
        target=item,
        data={"code": code, "name": item.name, "department": department.code, "type": item_type},
    )
    return item


def _item_state(item: ServiceItem) -> dict[str, Any]:
    return {
        "code": item.code,
        "name": item.name,
        "type": item.item_type,
        "department": item.department.code,
        "online": item.online,
        "offline": item.offline,
        "promised_days": item.promised_days,
    }


@transaction.atomic
def service_item_update(
    *,
    actor: Actor,
    item: ServiceItem,
    code: str,
    name: str,
    item_type: str,
    department: Unit,
    online: bool,
    offline: bool,
    promised_days: int | None,
) -> ServiceItem:
    """Change a 事项. Its services keep pointing at it (by id), so history is unchanged; a new
    code applies to pushes from now on (business systems must send the new 实施编码)."""
    code = code.strip()
    _item_check(code=code, name=name, item_type=item_type, online=online, offline=offline,
                promised_days=promised_days, exclude_pk=item.pk)  # fmt: skip
    item = ServiceItem.objects.select_for_update(of=("self",)).select_related("department").get(pk=item.pk)
    before = _item_state(item)
    item.code, item.name, item.item_type, item.department = code, name.strip(), item_type, department
    item.online, item.offline, item.promised_days = online, offline, promised_days
    after = _item_state(item)
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if not changed:
        return item
    item.save(update_fields=["code", "name", "item_type", "department", "online", "offline", "promised_days"])
    audit_record(actor=actor, action="service_records:item:updated", target=item,
                 data={"code": item.code, "changed": changed})  # fmt: skip
    return item


@transaction.atomic
def service_item_set_active(*, actor: Actor, item: ServiceItem, active: bool) -> ServiceItem:
    """Deactivate a 事项 (no new services may be pushed against it; its services and ratings
    stay, and it stays in the statistics) or enable it again."""
    item = ServiceItem.objects.select_for_update().get(pk=item.pk)
    if item.is_active == active:
        return item
    item.is_active = active
    item.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="service_records:item:activated" if active else "service_records:item:deactivated",
        target=item,
        data={"code": item.code, "name": item.name},
    )
    return item


@dataclass
class RecordInput:
    """A service record as a business system describes it (codes, not ids)."""

    project_no: str
    service_no: int
    stage: str
    item_code: str
    unit_code: str
    mode: str
    applicant_kind: str
    applicant_name: str
    applicant_id_type: str
    applicant_id_number: str
    applicant_phone: str = ""
    window_code: str | None = None
    staff_no: str | None = None
    accepted_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    promised_days: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """Keyed hash of the content: equal for a resend, different for changed content."""
        data = {k: v for k, v in self.__dict__.items() if k != "extra"}
        for key in ("accepted_at", "finished_at"):
            if data[key] is not None:
                data[key] = data[key].astimezone(dt.UTC).isoformat()
        return hmac_sm3_hex(settings.INDEX_KEY.encode(), canonical_json(data))


@dataclass
class PushResult:
    record: ServiceRecord
    created: bool


def _resolve(data: RecordInput, scope: Scope) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    refs: dict[str, Any] = {}
    refs["unit"] = Unit.objects.filter(code=data.unit_code, is_active=True).first()
    if refs["unit"] is None:
        errors["unit_code"] = [f"单位编码 {data.unit_code} 不存在"]
    refs["item"] = ServiceItem.objects.filter(code=data.item_code, is_active=True).first()
    if refs["item"] is None:
        errors["item_code"] = [f"事项实施编码 {data.item_code} 不存在"]
    refs["window"] = None
    if data.window_code:
        refs["window"] = (
            Window.objects.select_related("unit", "department").filter(code=data.window_code, is_active=True).first()
        )
        if refs["window"] is None:
            errors["window_code"] = [f"窗口编码 {data.window_code} 不存在"]
    refs["staff"] = None
    if data.staff_no:
        refs["staff"] = Staff.objects.select_related("unit").filter(staff_no=data.staff_no).first()
        if refs["staff"] is None:
            errors["staff_no"] = [f"工号 {data.staff_no} 不存在"]
    if data.accepted_at and data.finished_at and data.finished_at < data.accepted_at:
        errors["finished_at"] = ["办结时间不能早于受理时间"]
    if errors:
        raise ValidationFailed("办件数据引用了不存在的编码或时间有误", code="invalid_reference", fields=errors)
    if not scope.allows_unit(refs["unit"]):
        raise PermissionDenied(f"本业务系统无权推送单位 {data.unit_code} 的办件", code="unit_out_of_scope")
    unit, window, staff = refs["unit"], refs["window"], refs["staff"]
    if window is not None and not (
        (window.department is not None and _related(window.department, unit)) or _related(window.unit, unit)
    ):
        errors["window_code"] = [f"窗口 {window.code} 不属于办理单位 {unit.code}，也不由其进驻"]
    if staff is not None and not (_related(staff.unit, unit) and scope.allows_unit(staff.unit)):
        errors["staff_no"] = [f"工号 {staff.staff_no} 不属于办理单位 {unit.code}"]
    if errors:
        raise ValidationFailed("窗口或工作人员与办理单位不符", code="invalid_reference", fields=errors)
    return refs


def _related(a: Unit, b: Unit) -> bool:
    """One unit lies within the other's subtree (a department's staff at its street office, etc.)."""
    return a.path.startswith(b.path) or b.path.startswith(a.path)


def service_record_push(*, system: BusinessSystem | None, actor: Actor, scope: Scope, data: RecordInput) -> PushResult:
    """Store one pushed service record, idempotently.

    The same (project_no, service_no) with the same content returns the existing record
    (``created=False``); with different content it is a 409 conflict.
    """
    fingerprint = data.fingerprint()
    existing = ServiceRecord.objects.filter(project_no=data.project_no, service_no=data.service_no).first()
    if existing is not None:
        return _same_or_conflict(existing, fingerprint, scope)
    refs = _resolve(data, scope)
    try:
        with transaction.atomic():
            record = ServiceRecord.objects.create(
                project_no=data.project_no,
                service_no=data.service_no,
                stage=data.stage,
                item=refs["item"],
                unit=refs["unit"],
                window=refs["window"],
                staff=refs["staff"],
                mode=data.mode,
                applicant_kind=data.applicant_kind,
                applicant_name=data.applicant_name,
                applicant_id_type=data.applicant_id_type,
                applicant_id_number=data.applicant_id_number,
                applicant_phone=data.applicant_phone,
                id_index=blind_index("id", data.applicant_id_number),
                phone_index=blind_index("phone", data.applicant_phone) if data.applicant_phone else "",
                accepted_at=data.accepted_at,
                finished_at=data.finished_at,
                promised_days=data.promised_days,
                system=system,
                fingerprint=fingerprint,
            )
            audit_record(
                actor=actor,
                action="service_records:record:created",
                target=record,
                data={
                    "project_no": record.project_no,
                    "service_no": record.service_no,
                    "unit": refs["unit"].code,
                    "item": refs["item"].code,
                },
            )
    except IntegrityError:
        # A concurrent push of the same key won the race: answer as for a resend.
        existing = ServiceRecord.objects.filter(project_no=data.project_no, service_no=data.service_no).first()
        if existing is None:
            raise
        return _same_or_conflict(existing, fingerprint, scope)
    return PushResult(record, True)


def _same_or_conflict(existing: ServiceRecord, fingerprint: str, scope: Scope) -> PushResult:
    if not scope.allows_unit(existing.unit):
        # Do not reveal another unit's record: the key is simply taken.
        raise Conflict("该办件编号和服务次数已被其他单位使用", code="record_key_taken")
    if existing.fingerprint != fingerprint:
        raise Conflict(
            "该办件编号和服务次数已存在，且内容与本次提交不一致", code="record_conflict", extra={"id": existing.pk}
        )
    return PushResult(existing, False)


@dataclass
class BatchItemResult:
    index: int
    status: int
    record: ServiceRecord | None = None
    error: ApplicationError | None = None


def service_record_push_batch(
    *, system: BusinessSystem | None, actor: Actor, scope: Scope, items: list[RecordInput]
) -> list[BatchItemResult]:
    """Push up to API_BATCH_MAX records; each succeeds or fails on its own."""
    if len(items) > settings.API_BATCH_MAX:
        raise ValidationFailed(f"每批最多 {settings.API_BATCH_MAX} 条办件", code="batch_too_large")
    results: list[BatchItemResult] = []
    for index, data in enumerate(items):
        try:
            pushed = service_record_push(system=system, actor=actor, scope=scope, data=data)
        except ApplicationError as exc:
            results.append(BatchItemResult(index, exc.status, error=exc))
        else:
            results.append(BatchItemResult(index, 201 if pushed.created else 200, record=pushed.record))
    return results


def rating_link_for(record: ServiceRecord, *, now: float | None = None, channel: int | None = None) -> str:
    """A signed citizen link to rate this one service; expires after RATING_LINK_DAYS.

    ``channel`` tells the rating page where the link was given out (7 SMS, 3 ticket QR code).
    """
    expires = int((time.time() if now is None else now) + settings.RATING_LINK_DAYS * 86400)
    token = sign_token(RATING_LINK_PURPOSE, {"r": record.pk, "k": record.fingerprint[:12], "x": expires})
    url = settings.PUBLIC_BASE_URL + reverse("portal:rate", args=[token])
    return f"{url}?c={channel}" if channel else url


def my_link_for(record: ServiceRecord, *, now: float | None = None) -> str:
    """A short signed link to the citizen's 我的评价 page about this service (the feedback SMS).

    The token names the record and the day it expires (``MY_LINK_DAYS``), nothing about the
    person; opening it still asks for the phone's SMS code (``portal.citizen_views.my_link``).
    """
    expires_day = int((time.time() if now is None else now) // 86400) + settings.MY_LINK_DAYS + 1
    token = sign_short(MY_LINK_PURPOSE, record.pk, expires_day)
    return settings.PUBLIC_BASE_URL + reverse("portal:my_link", args=[token])


def my_link_read(token: str, *, now: float | None = None) -> tuple[int, bool] | None:
    """``(record id, expired)`` from a ``my_link_for`` token, or None when it is not ours."""
    numbers = unsign_short(MY_LINK_PURPOSE, token, count=2)
    if numbers is None:
        return None
    record_id, expires_day = numbers
    return record_id, expires_day * 86400 <= (time.time() if now is None else now)


@transaction.atomic
def window_items_set(*, actor: Actor, scope: Scope, window: Window, items: list[ServiceItem]) -> Window:
    """The items a window takes in (受理事项), as the caller may set them: a department admin adds
    and removes only active items of their own subtree's departments (other links stay as they
    are); nothing changed: nothing written. Audited on the window."""
    require_administrator(scope)
    if not window_in_scope(scope, window):
        raise PermissionDenied(f"窗口“{window.name}”不在您的管理范围内", code="window_out_of_scope")
    wanted = {item.pk: item for item in items}
    for item in wanted.values():
        if not scope.allows_unit(item.department):
            raise PermissionDenied(f"事项“{item.name}”不属于您管理范围内的部门", code="item_out_of_scope")
        if not item.is_active:
            raise ValidationFailed(f"事项“{item.name}”已停用", fields={"items": [f"事项 {item.code} 已停用"]})
    window = Window.objects.select_for_update().get(pk=window.pk)
    current = {
        item.pk: item
        for item in ServiceItem.objects.filter(windows=window, is_active=True).select_related("department")
        if scope.allows_unit(item.department)
    }
    added = [wanted[pk] for pk in wanted.keys() - current.keys()]
    removed = [current[pk] for pk in current.keys() - wanted.keys()]
    if not added and not removed:
        return window
    window.items.add(*added)
    window.items.remove(*removed)
    audit_record(
        actor=actor,
        action="service_records:window:items_set",
        target=window,
        data={
            "window": window.code,
            "added": sorted(item.code for item in added),
            "removed": sorted(item.code for item in removed),
        },
    )
    return window
