"""Review of rating-integrity flags: dismiss with a reason, or 转督查 (a supervision record of the
flag's unit, linked to the flag). Supervisors only, within their scope; audited
(``insight:integrity:dismissed`` / ``insight:integrity:escalated`` / ``insight:integrity:run``).
The ratings a flag cites are never touched: a flag is a lead, not a verdict.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.insight.integrity import DetectionResult, integrity_detect
from haochaping.insight.integrity_models import FlagState, IntegrityFlag, IntegrityKind
from haochaping.insight.integrity_selectors import require_review
from haochaping.insight.models import SupervisionKind
from haochaping.insight.services import RecordInput, supervision_record_create
from haochaping.organizations.selectors import Scope

MAX_REASON = 1000
# 转督查: patterns about phone numbers and phone ratings are checked by calling citizens back
# (回访核实); those at a window or a unit by a site visit (明察暗访).
SUPERVISION_KIND = {
    IntegrityKind.TABLET_BURST: SupervisionKind.SITE_VISIT,
    IntegrityKind.QUICK_AFTER_REQUEST: SupervisionKind.SITE_VISIT,
    IntegrityKind.DEFAULT_CONCENTRATION: SupervisionKind.SITE_VISIT,
    IntegrityKind.PHONE_MANY_UNITS: SupervisionKind.CALLBACK,
    IntegrityKind.PHONE_OPERATOR: SupervisionKind.CALLBACK,
    IntegrityKind.REPEATED_BAD: SupervisionKind.CALLBACK,
}


def _open_flag(scope: Scope, flag: IntegrityFlag) -> IntegrityFlag:
    require_review(scope)
    if not scope.allows_unit(flag.unit):
        raise PermissionDenied("不能处理管理范围以外单位的评价质量线索", code="integrity_forbidden")
    locked = IntegrityFlag.objects.select_for_update().select_related("unit").get(pk=flag.pk)
    if locked.state != FlagState.OPEN:
        raise Conflict(f"该线索{locked.get_state_display()}，不能重复处理", code="integrity_reviewed")
    return locked


@transaction.atomic
def integrity_flag_dismiss(*, actor: Actor, scope: Scope, flag: IntegrityFlag, reason: str, user=None) -> IntegrityFlag:
    """Close a flag as not a problem (排除), with the reason (required)."""
    reason = (reason or "").strip()
    flag = _open_flag(scope, flag)
    if not reason:
        raise ValidationFailed("请填写排除理由", fields={"reason": ["请填写排除理由"]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"排除理由不能超过 {MAX_REASON} 字", fields={"reason": [f"不能超过 {MAX_REASON} 字"]})
    flag.state, flag.reason, flag.reviewer, flag.reviewed_at = FlagState.DISMISSED, reason, user, timezone.now()
    flag.save(update_fields=["state", "reason", "reviewer", "reviewed_at"])
    audit_record(actor=actor, action="insight:integrity:dismissed", target=flag, data={"kind": flag.kind})
    return flag


@transaction.atomic
def integrity_flag_escalate(
    *, actor: Actor, scope: Scope, flag: IntegrityFlag, note: str = "", inspector: str = "", user=None
) -> IntegrityFlag:
    """转督查: record a supervision activity (明察暗访 or 回访核实, by kind) at the flag's unit with
    the flag's summary as its finding, and link it to the flag."""
    flag = _open_flag(scope, flag)
    note = (note or "").strip()
    findings = f"评价质量线索转入：{flag.summary}" + (f"\n{note}" if note else "")
    record = supervision_record_create(
        actor=actor,
        scope=scope,
        user=user,
        data=RecordInput(
            kind=SUPERVISION_KIND[IntegrityKind(flag.kind)],
            unit=flag.unit,
            held_on=timezone.localdate(),
            inspector=inspector.strip() or "区政务服务中心督查科",
            findings=findings,
        ),
    )
    flag.state, flag.reason, flag.reviewer, flag.reviewed_at = FlagState.ESCALATED, note, user, timezone.now()
    flag.supervision = record
    flag.save(update_fields=["state", "reason", "reviewer", "reviewed_at", "supervision"])
    audit_record(
        actor=actor,
        action="insight:integrity:escalated",
        target=flag,
        data={"kind": flag.kind, "supervision": record.pk, "supervision_kind": record.kind},
    )
    return flag


def integrity_detect_now(*, actor: Actor, scope: Scope, days: int | None = None) -> DetectionResult:
    """On demand (console button): run detection now; supervisors only; audited."""
    require_review(scope)
    result = integrity_detect(actor=actor, days=days)
    audit_record(
        actor=actor,
        action="insight:integrity:run",
        target_type="insight.integrityflag",
        target_id="",
        data={"found": result.found, "created": result.created, "updated": result.updated},
    )
    return result
