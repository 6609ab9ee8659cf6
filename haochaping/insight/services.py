"""Writes of supervision records (制度第十条); every change is audited (``insight:supervision:*``).

A spot check draws its sample on the server: the closed bad-rating cases of the chosen unit (that
unit itself, not its sub-units) closed within the period, ordered by id, sampled with
``random.Random(seed)``. The seed is stored with the record and in the audit event, so anyone can
re-draw the same sample (``spot_check_draw``) and check that nothing was hand-picked.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.insight.models import SpotCheckItem, SpotCheckResult, SupervisionKind, SupervisionRecord
from haochaping.insight.selectors import require_record
from haochaping.organizations.models import Unit
from haochaping.organizations.selectors import Scope
from haochaping.rectification.models import CaseState, RectificationCase

MAX_SAMPLE = 100


@dataclass(frozen=True)
class RecordInput:
    kind: str
    unit: Unit
    held_on: dt.date
    inspector: str
    findings: str = ""
    followup_required: str = ""
    followup_due: dt.date | None = None
    period_first: dt.date | None = None
    period_last: dt.date | None = None
    sample_size: int | None = None


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def spot_check_population(unit: Unit, first: dt.date, last: dt.date) -> list[int]:
    """The ids of the unit's cases closed within ``first``..``last``, in id order."""
    return list(
        RectificationCase.objects.filter(
            unit=unit,
            state=CaseState.CLOSED,
            closed_at__gte=_day_start(first),
            closed_at__lt=_day_start(last + dt.timedelta(days=1)),
        )
        .order_by("id")
        .values_list("id", flat=True)
    )


def spot_check_draw(population: list[int], size: int, seed: str) -> list[int]:
    """The sample a seed draws from a population (reproducible: same inputs, same sample)."""
    # Reproducibility is the point here, not secrecy: the seed itself comes from ``secrets``.
    return sorted(random.Random(seed).sample(population, min(size, len(population))))  # noqa: S311


def _validate(data: RecordInput) -> None:
    errors: dict[str, list[str]] = {}
    if data.kind not in SupervisionKind.values:
        errors["kind"] = ["请选择督查类别"]
    if not data.inspector.strip():
        errors["inspector"] = ["请填写督查人员"]
    if data.followup_due and not data.followup_required.strip():
        errors["followup_required"] = ["填写了整改期限，请同时填写整改要求"]
    if data.followup_required.strip() and not data.followup_due:
        errors["followup_due"] = ["请填写整改期限"]
    if data.kind == SupervisionKind.SPOT_CHECK:
        if not data.period_first or not data.period_last:
            errors["period_first"] = ["抽查须选择期间（起止日期）"]
        elif data.period_first > data.period_last:
            errors["period_first"] = ["期间起始日期不能晚于截止日期"]
        if not data.sample_size or not 1 <= data.sample_size <= MAX_SAMPLE:
            errors["sample_size"] = [f"抽查样本数应为 1 至 {MAX_SAMPLE} 之间的整数"]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, fields=errors)


@transaction.atomic
def supervision_record_create(
    *, actor: Actor, scope: Scope, data: RecordInput, user=None, seed: str | None = None
) -> SupervisionRecord:
    """Record one supervision activity; for a spot check, draw its sample of closed cases."""
    require_record(scope)
    if not scope.allows_unit(data.unit):
        raise PermissionDenied("不能登记管理范围以外单位的督查记录", code="supervision_forbidden")
    _validate(data)
    is_spot = data.kind == SupervisionKind.SPOT_CHECK
    population: list[int] = []
    sample: list[int] = []
    if is_spot:
        assert data.period_first and data.period_last and data.sample_size
        population = spot_check_population(data.unit, data.period_first, data.period_last)
        if not population:
            message = f"{data.unit.name}在所选期间没有办结的差评工单，无法抽查"
            raise ValidationFailed(message, fields={"period_first": [message]})
        seed = seed or secrets.token_hex(8)
        sample = spot_check_draw(population, data.sample_size, seed)
    record = SupervisionRecord.objects.create(
        kind=data.kind,
        unit=data.unit,
        held_on=data.held_on,
        inspector=data.inspector.strip(),
        findings=data.findings.strip(),
        followup_required=data.followup_required.strip(),
        followup_due=data.followup_due if data.followup_required.strip() else None,
        period_first=data.period_first if is_spot else None,
        period_last=data.period_last if is_spot else None,
        sample_size=data.sample_size if is_spot else None,
        population=len(population) if is_spot else None,
        seed=seed or "" if is_spot else "",
        created_by=user,
    )
    SpotCheckItem.objects.bulk_create([SpotCheckItem(record=record, case_id=pk) for pk in sample])
    audit_record(
        actor=actor,
        action="insight:supervision:created",
        target=record,
        data={
            "kind": record.kind,
            "unit": data.unit.code,
            "held_on": record.held_on.isoformat(),
            **(
                {
                    "period": [record.period_first.isoformat(), record.period_last.isoformat()],
                    "population": len(population),
                    "seed": record.seed,
                    "sample": sample,
                }
                if is_spot and record.period_first and record.period_last
                else {}
            ),
        },
    )
    return record


def _require_in_scope(scope: Scope, record: SupervisionRecord) -> None:
    require_record(scope)
    if not scope.allows_unit(record.unit):
        raise PermissionDenied("不能修改管理范围以外单位的督查记录", code="supervision_forbidden")


@transaction.atomic
def spot_check_results_record(
    *, actor: Actor, scope: Scope, record: SupervisionRecord, results: dict[int, tuple[str, str]], findings: str
) -> SupervisionRecord:
    """Record the result (合格/不合格/待记录) and remarks of each sampled case, and the overall
    finding. ``results`` maps a sampled case's item id to (result, remarks)."""
    _require_in_scope(scope, record)
    if record.kind != SupervisionKind.SPOT_CHECK:
        raise Conflict("只有抽查记录有样本结果")
    now = timezone.now()
    changed: dict[str, str] = {}
    items = {item.pk: item for item in SpotCheckItem.objects.select_for_update().filter(record=record)}
    unknown = set(results) - set(items)
    if unknown:
        raise ValidationFailed("提交的样本不属于该抽查记录，请刷新页面后重试")
    for pk, (result, remarks) in results.items():
        if result not in SpotCheckResult.values:
            raise ValidationFailed("抽查结果只能是“合格”或“不合格”")
        if result == SpotCheckResult.FAILED and not remarks.strip():
            raise ValidationFailed("判定为不合格的样本请填写备注，说明不合格的原因")
        item = items[pk]
        if item.result != result or item.remarks != remarks.strip():
            item.result, item.remarks, item.recorded_at = result, remarks.strip(), now
            item.save(update_fields=["result", "remarks", "recorded_at"])
            changed[str(item.case_id)] = result or "pending"
    findings_changed = findings.strip() != record.findings
    if findings_changed:
        record.findings = findings.strip()
        record.save(update_fields=["findings"])
    if changed or findings_changed:
        audit_record(
            actor=actor,
            action="insight:supervision:results_recorded",
            target=record,
            data={"results": changed, "findings_changed": findings_changed},
        )
    return record


@transaction.atomic
def supervision_followup_complete(
    *, actor: Actor, scope: Scope, record: SupervisionRecord, note: str
) -> SupervisionRecord:
    """Mark the follow-up (整改要求) of a record as done, with what was done."""
    _require_in_scope(scope, record)
    record = SupervisionRecord.objects.select_for_update().get(pk=record.pk)
    if not record.followup_required:
        raise Conflict("该督查记录没有整改要求")
    if record.followup_done_at is not None:
        raise Conflict("该整改要求已标记为完成")
    if not note.strip():
        raise ValidationFailed("请填写整改完成情况", fields={"note": ["请填写整改完成情况"]})
    record.followup_done_at = timezone.now()
    record.followup_note = note.strip()
    record.save(update_fields=["followup_done_at", "followup_note"])
    on_time = record.followup_due is None or timezone.localdate(record.followup_done_at) <= record.followup_due
    audit_record(actor=actor, action="insight:supervision:followup_done", target=record, data={"on_time": on_time})
    return record
