"""Writes of the attribution of bad ratings: the refresh that fills ``BadRatingCause`` and the
staff correction (``AttributionCorrection``, audited as ``insight:attribution:corrected``).

The effective cause of a bad rating (level 1–2), in this order:

1. ``citizen``: the citizen rated one or more dimensions 1–2 and/or ticked reasons; its
   dimensions are those rated 1–2 plus the dimensions of the ticked reasons (an indicator's
   ``dimension``), its reasons the ticked codes. Never replaced by anything else.
2. ``corrected``: the newest staff correction of the rating (one dimension, optionally a reason).
3. ``auto``: the rating's text attributed by ``evaluations.attribution.attribute`` (one
   dimension, a reason where the words allow it, the matched words as evidence).
4. ``none``: nothing chosen, nothing corrected and no text (or no word matched).

Counting rule (selectors): a rating counts once in each of its dimensions; a dimension's share is
its count divided by the bad ratings that have a cause (source other than ``none``), so the
shares of a citizen who chose several dimensions may add up to more than 100%.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.evaluations.attribution import attribute
from haochaping.evaluations.choices import BAD_LEVELS, DIMENSION_FIELDS, Dimension
from haochaping.evaluations.models import Evaluation, Indicator
from haochaping.insight.attribution.selectors import require_correct
from haochaping.insight.models import AttributionCorrection, BadRatingCause, CauseSource
from haochaping.organizations.selectors import Scope
from haochaping.rectification.models import CaseState

BATCH = 2000
BAD = [int(level) for level in BAD_LEVELS]
FIELDS = (
    "id",
    "level",
    *DIMENSION_FIELDS,
    "reasons",
    "text",
    "evaluated_at",
    "record__unit_id",
    "record__item_id",
    "record__window_id",
    "record__staff_id",
)


@dataclass
class RefreshResult:
    created: int = 0
    citizen: int = 0
    auto: int = 0
    corrected: int = 0
    none: int = 0
    invalidated: int = 0
    seconds: float = 0.0


def indicator_dimensions() -> dict[str, str]:
    """Reason code → dimension, over every indicator set (the active set's rows win)."""
    rows = Indicator.objects.exclude(dimension="").order_by("indicator_set__is_active", "id")
    return dict(rows.values_list("code", "dimension"))


def _latest_corrections(evaluation_ids: list[int]) -> dict[int, AttributionCorrection]:
    found: dict[int, AttributionCorrection] = {}
    rows = AttributionCorrection.objects.filter(evaluation_id__in=evaluation_ids).order_by("created_at", "id")
    for correction in rows:
        found[correction.evaluation_id] = correction
    return found


def _cause_fields(
    row: dict, dims_of: dict[str, str], correction: AttributionCorrection | None, cache: dict[str, object]
) -> dict:
    """The effective cause of one rating (see the module doc) as model field values."""
    dims = {name for name in DIMENSION_FIELDS if row[name] is not None and row[name] in BAD}
    reasons = [code for code in (row["reasons"] or []) if isinstance(code, str)]
    evidence: list[str] = []
    if dims or reasons:
        source = CauseSource.CITIZEN
        dims |= {dims_of[code] for code in reasons if code in dims_of}
    elif correction is not None:
        source = CauseSource.CORRECTED
        dims = {correction.dimension}
        reasons = [correction.reason] if correction.reason else []
    else:
        text = (row["text"] or "").strip()
        found = None
        if text:
            if text not in cache:
                cache[text] = attribute(text)
            found = cache[text]
        if found is None:
            source = CauseSource.NONE
        else:
            source = CauseSource.AUTO
            dims = {found.dimension}  # type: ignore[attr-defined]
            reasons = [found.reason] if found.reason else []  # type: ignore[attr-defined]
            evidence = list(found.evidence)  # type: ignore[attr-defined]
    return {
        "source": source,
        "reasons": reasons,
        "evidence": evidence,
        **{name: name in dims for name in DIMENSION_FIELDS},
    }


def causes_refresh(since: dt.date | None = None, *, batch: int = BATCH) -> RefreshResult:
    """Attribute the bad ratings that have no ``BadRatingCause`` yet (those rated on or after
    ``since`` only, when given), in batches of ``batch`` ratings by id; then mark the causes of
    ratings whose case has been invalidated. Idempotent: a second run creates nothing."""
    started = timezone.now()
    result = RefreshResult()
    dims_of = indicator_dimensions()
    cache: dict[str, object] = {}
    pending = Evaluation.objects.filter(level__in=BAD, bad_cause__isnull=True)
    if since is not None:
        pending = pending.filter(evaluated_at__gte=timezone.make_aware(dt.datetime.combine(since, dt.time.min)))
    last_id = 0
    while True:
        rows = list(pending.filter(id__gt=last_id).order_by("id").values(*FIELDS)[:batch])
        if not rows:
            break
        last_id = rows[-1]["id"]
        corrections = _latest_corrections([r["id"] for r in rows])
        causes = []
        for row in rows:
            fields = _cause_fields(row, dims_of, corrections.get(row["id"]), cache)
            setattr(result, fields["source"], getattr(result, fields["source"]) + 1)
            causes.append(
                BadRatingCause(
                    evaluation_id=row["id"],
                    unit_id=row["record__unit_id"],
                    item_id=row["record__item_id"],
                    window_id=row["record__window_id"],
                    staff_id=row["record__staff_id"],
                    day=timezone.localdate(row["evaluated_at"]),
                    **fields,
                )
            )
        with transaction.atomic():
            BadRatingCause.objects.bulk_create(causes, ignore_conflicts=True)
        result.created += len(causes)
    result.invalidated = BadRatingCause.objects.filter(
        invalid=False, evaluation__case__state=CaseState.INVALIDATED
    ).update(invalid=True)
    result.seconds = (timezone.now() - started).total_seconds()
    return result


@transaction.atomic
def attribution_correct(
    *, actor: Actor, scope: Scope, cause: BadRatingCause, dimension: str, reason: str, note: str, user=None
) -> BadRatingCause:
    """Correct the cause of a bad rating whose citizen chose nothing (an automatic attribution
    or none): appends an ``AttributionCorrection`` and applies it; audited."""
    require_correct(scope)
    cause = BadRatingCause.objects.select_for_update().select_related("unit").get(pk=cause.pk)
    if not scope.allows_unit(cause.unit):
        raise PermissionDenied("不能更正管理范围以外单位的差评归因", code="attribution_forbidden")
    if cause.source == CauseSource.CITIZEN:
        raise Conflict("评价人已自行选择评价维度或理由，不能更正", code="attribution_citizen_chosen")
    errors: dict[str, list[str]] = {}
    if dimension not in DIMENSION_FIELDS:
        errors["dimension"] = ["请选择更正后的评价维度"]
    reason = (reason or "").strip()
    if reason:
        dims_of = indicator_dimensions()
        if reason not in dims_of and not Indicator.objects.filter(code=reason).exists():
            errors["reason"] = ["评价理由编码不存在，请从列表中选择"]
        elif dims_of.get(reason) and dims_of[reason] != dimension:
            errors["reason"] = ["所选评价理由不属于所选评价维度"]
    if not (note or "").strip():
        errors["note"] = ["请填写更正说明"]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    old_dims = cause.dimensions
    correction = AttributionCorrection.objects.create(
        evaluation_id=cause.evaluation_id,
        from_source=cause.source,
        from_dimension=old_dims[0] if old_dims else "",
        from_reason=cause.reasons[0] if cause.reasons else "",
        dimension=dimension,
        reason=reason,
        note=note.strip(),
        created_by=user,
    )
    cause.source = CauseSource.CORRECTED
    for name in DIMENSION_FIELDS:
        setattr(cause, name, name == dimension)
    cause.reasons = [reason] if reason else []
    cause.evidence = []
    cause.save()
    audit_record(
        actor=actor,
        action="insight:attribution:corrected",
        target=cause.evaluation,
        data={
            "from": {"source": correction.from_source, "dimension": correction.from_dimension,
                     "reason": correction.from_reason},
            "to": {"dimension": dimension, "reason": reason},
            "correction": correction.pk,
        },
    )  # fmt: skip
    return cause


def dimension_label(name: str) -> str:
    return Dimension(name).label if name in DIMENSION_FIELDS else ""
