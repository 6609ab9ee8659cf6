"""Writes for ratings: one rating per service, validated against the active indicator set.

The rating-only pieces: validation and row preparation, and the rating's row with its audit
event. Every channel takes a rating in through ``intake.services.rating_receive``, which owns
the transaction, resends and the bad rating's case.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from haochaping.audit.services import Actor, AuditDraft, audit_prepare, audit_record
from haochaping.core.db.hot import violated_table
from haochaping.core.db.insert import insert_params
from haochaping.core.errors import Conflict, ServiceUnavailable, ValidationFailed
from haochaping.evaluations.choices import BAD_LEVELS, DIMENSION_FIELDS, Channel, Level
from haochaping.evaluations.models import Evaluation, Indicator, IndicatorSet
from haochaping.evaluations.selectors import RatingTarget
from haochaping.organizations.models import BusinessSystem
from haochaping.service_records.models import ServiceRecord

DATA_DIR = Path(__file__).resolve().parent / "data"
MAX_TEXT = 500
FUTURE_SKEW = dt.timedelta(minutes=5)


@dataclass
class RatingInput:
    level: int
    channel: int
    dimensions: dict[str, int | None] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    text: str = ""
    evaluated_at: dt.datetime | None = None
    evaluator_name: str = ""
    evaluator_phone: str = ""
    client_key: str = ""


_LEVELS = frozenset(Level.values)
_CHANNELS = frozenset(Channel.values)
_ACTIVE_SET_TTL = 30.0
_active_set: tuple[float, int, dict[str, tuple[list[int], str]]] | None = None


def normalise_text(text: str | None) -> str:
    """Free text as stored and counted: CRLF/CR line breaks as LF, outer whitespace trimmed."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def indicator_set_active_id() -> int:
    """Id of the active indicator set; cached per process for 30 s (it changes once a year)."""
    return _active()[1]


def _active() -> tuple[float, int, dict[str, tuple[list[int], str]]]:
    """The active set's id and its reasons (code -> levels, mode), cached per process for 30 s."""
    global _active_set
    now = time.monotonic()
    if _active_set is None or _active_set[0] < now:
        pk = IndicatorSet.objects.filter(is_active=True).order_by("-loaded_at").values_list("pk", flat=True)[:1]
        if not pk:
            raise ServiceUnavailable("平台尚未启用评价指标体系，请联系平台管理员", code="no_indicator_set")
        reasons = {
            code: (levels, mode)
            for code, levels, mode in Indicator.objects.filter(indicator_set_id=pk[0]).values_list(
                "code", "levels", "mode"
            )
        }
        _active_set = (now + _ACTIVE_SET_TTL, pk[0], reasons)
    return _active_set


def _forget_active_set() -> None:
    global _active_set
    _active_set = None


def _reasons_of(indicator_set_id: int) -> dict[str, tuple[list[int], str]]:
    active = _active()
    if active[1] == indicator_set_id:
        return active[2]
    rows = Indicator.objects.filter(indicator_set_id=indicator_set_id).values_list("code", "levels", "mode")
    return {code: (levels, mode) for code, levels, mode in rows}


def _validate(record: ServiceRecord, data: RatingInput, indicator_set_id: int) -> list[str]:
    errors: dict[str, list[str]] = {}
    if data.level not in _LEVELS:
        errors["level"] = ["评价等级必须为 1–5（5 = 非常满意，1 = 非常不满意）"]
    if data.channel not in _CHANNELS:
        errors["channel"] = ["评价渠道必须为 1–7"]
    for name, value in data.dimensions.items():
        if name not in DIMENSION_FIELDS:
            errors[f"dimensions.{name}"] = ["未知的评价维度"]
        elif value is not None and value not in _LEVELS:
            errors[f"dimensions.{name}"] = ["分项评价等级必须为 1–5"]
    text = normalise_text(data.text)
    if len(text) > MAX_TEXT:
        errors["text"] = [f"评价内容不能超过 {MAX_TEXT} 字"]
    reasons = list(dict.fromkeys(data.reasons))  # de-duplicated, order kept
    if reasons and "level" not in errors:
        known = _reasons_of(indicator_set_id)
        bad = [code for code in reasons if code not in known]
        if bad:
            errors["reasons"] = [f"评价理由编码不存在：{', '.join(bad)}"]
        else:
            mismatched = [c for c in reasons if data.level not in known[c][0]]
            wrong_mode = [c for c in reasons if known[c][1] and known[c][1] != record.mode]
            if mismatched:
                errors["reasons"] = [f"评价理由与评价等级不符：{', '.join(mismatched)}"]
            elif wrong_mode:
                errors["reasons"] = [f"评价理由不适用于{record.get_mode_display()}办件：{', '.join(wrong_mode)}"]
    if data.level in BAD_LEVELS and not reasons and not text:
        errors["reasons"] = ["“不满意”“非常不满意”须至少选择一项理由或填写评价内容"]
    now = timezone.now()
    if data.evaluated_at is not None and data.evaluated_at > now + FUTURE_SKEW:
        errors["evaluated_at"] = ["评价时间不能晚于当前时间"]
    elif data.evaluated_at is not None and record.accepted_at and data.evaluated_at < record.accepted_at - FUTURE_SKEW:
        errors["evaluated_at"] = ["评价时间不能早于办件受理时间"]
    if errors:
        raise ValidationFailed("评价数据不符合要求", fields=errors)
    return reasons


@dataclass
class PreparedRating:
    """A validated rating with its INSERT parameters and audit event computed (no lock held)."""

    actor: Actor
    evaluation: Evaluation
    params: list
    audit: AuditDraft


def evaluation_prepare(
    *, actor: Actor, target: RatingTarget, data: RatingInput, system: BusinessSystem | None = None
) -> PreparedRating | Evaluation:
    """Checks, validation and row preparation of a rating, before any write.

    Returns the stored rating for a resend (same ``client_key``), else a ``PreparedRating`` for
    ``evaluation_store``; a second rating of the service is refused (409 ``already_rated``).
    Doing this work first keeps the write transaction (on SQLite: the one writer lock of the
    database) down to the INSERTs themselves. Called by ``intake.services.rating_receive``.
    """
    record = target.record
    rated = None if target.rated_by_insert else Evaluation.objects.filter(record_id=record.pk).exists()
    if rated:
        return _resent_or_refused(record, data)
    indicator_set_id = indicator_set_active_id()
    try:
        reasons = _validate(record, data, indicator_set_id)
    except ValidationFailed:
        # "Already rated" answers before any complaint about the content, as for a record
        # whose rating was looked up first (a resend stays a resend, a second rating a 409).
        if rated is None and Evaluation.objects.filter(record_id=record.pk).exists():
            return _resent_or_refused(record, data)
        raise
    dims = {name: data.dimensions.get(name) for name in DIMENSION_FIELDS}
    evaluation = Evaluation(
        record=record,
        unit_id=record.unit_id,
        staff_id=record.staff_id,
        level=data.level,
        indicator_set_id=indicator_set_id,
        reasons=reasons,
        text=normalise_text(data.text),
        channel=data.channel,
        evaluator_name=data.evaluator_name,
        evaluator_phone=data.evaluator_phone,
        evaluated_at=data.evaluated_at or timezone.now(),
        system=system,
        client_key=data.client_key,
        **dims,
    )
    audit = audit_prepare(
        actor=actor,
        action="evaluations:evaluation:created",
        model=Evaluation,
        data={
            "record": record.pk,
            "level": evaluation.level,
            "channel": evaluation.channel,
            "reasons": reasons,
            "dimensions": {k: v for k, v in dims.items() if v},
        },
    )
    return PreparedRating(actor=actor, evaluation=evaluation, params=insert_params(evaluation), audit=audit)


def evaluation_store(prepared: PreparedRating) -> Evaluation:
    """The writes of a prepared rating: its row and its audit event, in the caller's
    transaction (``intake.services.rating_receive`` opens the case of a bad rating after it).

    A second rating of the same service, committed first by a concurrent request, is refused
    here by the one-per-service unique key: 409 ``already_rated``.
    """
    evaluation = prepared.evaluation
    # No savepoint: a failed insert fails the whole (caller's) transaction, which is right.
    with transaction.atomic(savepoint=False):
        try:
            prepared.audit.append_after(evaluation, prepared.params)
        except IntegrityError as exc:
            # The only unique key of the rating table: the one-per-service rule, lost to a
            # concurrent rating of the same service that committed first. Any other table's
            # error is not a second rating: let it through as it is.
            if violated_table(exc) != Evaluation._meta.db_table:
                raise
            raise _already_rated() from exc
    return evaluation


def evaluation_resent(record: ServiceRecord, client_key: str) -> Evaluation | None:
    """The stored rating of ``record`` if it was made with this ``client_key`` (a resend), its
    case (the reverse one-to-one, None for a good rating) loaded along."""
    if not client_key:
        return None
    return Evaluation.objects.select_related("case").filter(record_id=record.pk, client_key=client_key).first()


def _resent_or_refused(record: ServiceRecord, data: RatingInput) -> Evaluation:
    """The stored rating for a resend (same ``client_key``); any other rating is refused."""
    existing = evaluation_resent(record, data.client_key)
    if existing is None:
        raise _already_rated()
    return existing


def _already_rated() -> Conflict:
    return Conflict("该次服务已评价，每次服务只能评价一次", code="already_rated")


DEFAULT_SET = DATA_DIR / "indicators_default.json"


def indicator_set_ensure_default(*, actor: Actor) -> None:
    """Load the shipped default set if no set is active (the migration does this on install;
    a wiped database, e.g. between transactional tests, needs it again)."""
    if not IndicatorSet.objects.filter(is_active=True).exists():
        indicator_set_import(actor=actor, path=DEFAULT_SET)


@transaction.atomic
def indicator_set_import(*, actor: Actor, path: Path, activate: bool = True) -> IndicatorSet:
    """Load an indicator set from a JSON file (the shipped default, or a province's set)."""
    spec = json.loads(path.read_text(encoding="utf-8"))
    indicator_set, created = IndicatorSet.objects.get_or_create(
        code=spec["code"],
        version=spec["version"],
        defaults={"name": spec["name"], "source": spec.get("source", "")},
    )
    if created:
        Indicator.objects.bulk_create(
            Indicator(
                indicator_set=indicator_set,
                code=i["code"],
                group=i["group"],
                dimension=i.get("dimension", ""),
                mode=i.get("mode", ""),
                text=i["text"],
                levels=i["levels"],
            )
            for i in spec["indicators"]
        )
    _forget_active_set()
    if activate and not indicator_set.is_active:
        IndicatorSet.objects.filter(is_active=True).update(is_active=False)
        IndicatorSet.objects.filter(pk=indicator_set.pk).update(is_active=True)
        indicator_set.is_active = True
    audit_record(
        actor=actor,
        action="evaluations:indicator_set:imported",
        target=indicator_set,
        data={
            "code": indicator_set.code,
            "version": indicator_set.version,
            "created": created,
            "active": indicator_set.is_active,
        },
    )
    return indicator_set
