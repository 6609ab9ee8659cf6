"""Rating-integrity detection (通知 二(四): 不得强迫、干扰群众评价; 制度第八条).

One read-only detector per pattern returns ``Finding``s; ``integrity_detect`` runs them over a
bounded recent window and records each finding as an ``IntegrityFlag`` (one per kind, subject and
month: re-detection updates the open flag). Nothing here changes a rating. Thresholds are the
``INSIGHT_INTEGRITY_*`` settings (documented in settings.py and docs/subsystems/insight.md).

The six patterns and where their facts come from:

* ``tablet_burst``: ≥ N 非常满意 (level 5) tablet ratings from one device within M minutes. A
  tablet rating does not store its device; the device is the one whose rating request for the
  service was done by it (``RatingRequest.status == done``, ``evaluations.tablet``).
* ``quick_after_request``: of a clerk's services rated on the tablet after a 请评价, the share
  done within S seconds of the request (``done_at - created_at``, both server times) is ≥ X %
  with ≥ K services.
* ``phone_many_units``: one applicant phone (its keyed blind index ``phone_index``) rating ≥ N
  services across ≥ U units within D days.
* ``phone_operator``: per operator, the share of 非常满意 among the phone ratings (channel 6)
  they recorded is ≥ G points and ≥ k standard errors above the other operators' pooled share
  (a one-sided test of a proportion against the peers), with ≥ V ratings each side. The operator
  of a phone rating is the one of its call record (``outreach.CallRecord.evaluation``), else the
  console user who is the actor of the rating's audit event (``evaluations:evaluation:created``).
* ``repeated_bad``: one evaluator (phone blind index) giving ≥ N bad ratings (level ≤ 2) to
  services of one clerk within D days.
* ``default_concentration``: a unit whose share of system default ratings (``is_default``) is
  ≥ X % and ≥ R times the overall share, with ≥ V ratings.

Every query filters on indexed columns (``evaluated_at``, foreign keys) and aggregates in SQL,
except the burst's sliding window and the operator's share, computed over the few columns of
the window's tablet 非常满意 ratings and phone ratings.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor, audit_record
from haochaping.evaluations.choices import BAD_LEVELS, Channel, Level
from haochaping.evaluations.models import Evaluation, RatingRequest
from haochaping.insight.integrity_models import FlagState, IntegrityFlag, IntegrityKind, SubjectType
from haochaping.organizations.models import Device, Membership, Staff, Unit
from haochaping.outreach.models import CallRecord

MAX_EXAMPLES = 20
DONE = RatingRequest.Status.DONE
LEVELS = dict(Level.choices)
CHANNELS = dict(Channel.choices)


@dataclass
class Finding:
    """One detected pattern, before it is recorded as a flag."""

    kind: str
    unit_id: int
    subject_type: str
    subject_key: str
    subject_label: str
    first_at: dt.datetime
    last_at: dt.datetime
    summary: str
    counts: dict[str, Any]
    example_ids: list[int]
    # Per example rating id, extra columns of the evidence table (e.g. seconds after 请评价).
    extra: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class DetectionResult:
    found: int = 0
    created: dict[str, int] = field(default_factory=dict)
    updated: int = 0

    @property
    def created_total(self) -> int:
        return sum(self.created.values())


def _local(at: dt.datetime) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M:%S}"


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _window(until: dt.datetime, days: int, since: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    start = until - dt.timedelta(days=days)
    return (max(start, since) if since else start), until


# --- evidence -----------------------------------------------------------------------------------


def evidence_rows(ids: list[int], extra: dict[int, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The example ratings of a flag as table rows, identity masked: read from the masked copies
    of the service record (no decryption); the evaluator is the applicant in the usual case."""
    rows = (
        Evaluation.objects.filter(pk__in=ids)
        .order_by("evaluated_at", "id")
        .values(
            "id",
            "evaluated_at",
            "level",
            "channel",
            "is_default",
            "record__applicant_name_masked",
            "record__applicant_phone_masked",
            "record__item__name",
            "record__window__name",
            "record__staff__name",
            "record__staff__staff_no",
            "record__unit__name",
        )
    )
    out = []
    for r in rows:
        staff = f"{r['record__staff__name']}（{r['record__staff__staff_no']}）" if r["record__staff__name"] else ""
        evaluator = " ".join(p for p in (r["record__applicant_name_masked"], r["record__applicant_phone_masked"]) if p)
        out.append(
            {
                "id": r["id"],
                "at": _local(r["evaluated_at"]),
                "level": r["level"],
                "level_label": LEVELS.get(r["level"], str(r["level"])),
                "channel": r["channel"],
                "channel_label": CHANNELS.get(r["channel"], str(r["channel"])),
                "is_default": r["is_default"],
                "evaluator": evaluator,
                "item": r["record__item__name"] or "",
                "window": r["record__window__name"] or "",
                "staff": staff,
                "unit": r["record__unit__name"] or "",
                **((extra or {}).get(r["id"], {})),
            }
        )
    return out


def _staff_label(staff: Staff) -> str:
    return f"{staff.name}（{staff.staff_no}）"


def _common_unit(unit_ids: list[int]) -> int:
    """The lowest unit whose subtree holds all of ``unit_ids`` (a cross-unit pattern belongs to
    it: only who oversees all those units sees the flag)."""
    paths = list(Unit.objects.filter(pk__in=unit_ids).values_list("path", flat=True))
    parts = [p.strip("/").split("/") for p in paths]
    common: list[str] = []
    for segs in zip(*parts, strict=False):
        if len(set(segs)) != 1:
            break
        common.append(segs[0])
    path = "/" + "/".join(common) + "/" if common else "/"
    unit = Unit.objects.filter(path=path).first() or Unit.objects.filter(pk__in=unit_ids).order_by("path").first()
    assert unit is not None
    return unit.pk


# --- the six detectors ----------------------------------------------------------------------------


def detect_tablet_burst(since: dt.datetime, until: dt.datetime) -> list[Finding]:
    count = settings.INSIGHT_INTEGRITY_BURST_COUNT
    span = dt.timedelta(minutes=settings.INSIGHT_INTEGRITY_BURST_MINUTES)
    rows = (
        Evaluation.objects.filter(
            channel=Channel.TABLET,
            level=Level.VERY_SATISFIED,
            evaluated_at__gte=since,
            evaluated_at__lt=until,
            record__rating_requests__status=DONE,
        )
        .order_by("record__rating_requests__device_id", "evaluated_at", "id")
        .values_list("record__rating_requests__device_id", "evaluated_at", "id")
        .iterator(chunk_size=5000)
    )
    by_device: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    seen: set[int] = set()
    for device_id, at, pk in rows:
        if pk not in seen:
            seen.add(pk)
            by_device[device_id].append((at, pk))
    bursts_by_device: dict[int, list[list[tuple[dt.datetime, int]]]] = {}
    for device_id, events in by_device.items():
        covered = [False] * len(events)
        j = 0
        for i in range(len(events)):
            j = max(j, i)
            while j + 1 < len(events) and events[j + 1][0] - events[i][0] <= span:
                j += 1
            if j - i + 1 >= count:
                for k in range(i, j + 1):
                    covered[k] = True
        bursts: list[list[tuple[dt.datetime, int]]] = []
        for k, event in enumerate(events):
            if not covered[k]:
                continue
            if bursts and k > 0 and covered[k - 1] and event[0] - bursts[-1][-1][0] <= span:
                bursts[-1].append(event)
            else:
                bursts.append([event])
        if bursts:
            bursts_by_device[device_id] = bursts
    devices = Device.objects.select_related("window").in_bulk(list(bursts_by_device))
    findings = []
    for device_id, bursts in bursts_by_device.items():
        device = devices[device_id]
        largest = max(bursts, key=len)
        minutes = (largest[-1][0] - largest[0][0]).total_seconds() / 60
        window = device.window
        label = f"{device.name}（{window.name}）" if window else device.name
        unit_id = (window.department_id if window and window.department_id else None) or device.unit_id
        findings.append(
            Finding(
                kind=IntegrityKind.TABLET_BURST,
                unit_id=unit_id,
                subject_type=SubjectType.DEVICE,
                subject_key=str(device_id),
                subject_label=label,
                first_at=bursts[0][0][0],
                last_at=bursts[-1][-1][0],
                summary=(
                    f"{label}出现{len(bursts)}次短时集中“非常满意”，最多{len(largest)}条在{minutes:.0f}分钟内"
                    f"（阈值：{count}条/{settings.INSIGHT_INTEGRITY_BURST_MINUTES}分钟）"
                ),
                counts={
                    "bursts": len(bursts),
                    "ratings_in_bursts": sum(len(b) for b in bursts),
                    "largest": len(largest),
                    "largest_minutes": round(minutes, 1),
                    "threshold_count": count,
                    "threshold_minutes": settings.INSIGHT_INTEGRITY_BURST_MINUTES,
                },
                example_ids=[pk for _, pk in largest][:MAX_EXAMPLES],
            )
        )
    return findings


def detect_quick_after_request(since: dt.datetime, until: dt.datetime) -> list[Finding]:
    seconds = settings.INSIGHT_INTEGRITY_QUICK_SECONDS
    percent = settings.INSIGHT_INTEGRITY_QUICK_PERCENT
    minimum = settings.INSIGHT_INTEGRITY_QUICK_MIN_SERVICES
    quick = Q(
        record__rating_requests__done_at__lte=F("record__rating_requests__created_at") + dt.timedelta(seconds=seconds)
    )
    rows = (
        Evaluation.objects.filter(
            channel=Channel.TABLET,
            evaluated_at__gte=since,
            evaluated_at__lt=until,
            record__staff__isnull=False,
            record__rating_requests__status=DONE,
        )
        .order_by()
        .values("record__staff_id")
        .annotate(
            n=Count("id", distinct=True),
            quick=Count("id", distinct=True, filter=quick),
            first=Min("evaluated_at"),
            last=Max("evaluated_at"),
        )
        .filter(n__gte=minimum)
    )
    hits = [r for r in rows if r["quick"] * 100 >= percent * r["n"]]
    staff = Staff.objects.in_bulk([r["record__staff_id"] for r in hits])
    findings = []
    for r in hits:
        member = staff[r["record__staff_id"]]
        examples = (
            Evaluation.objects.filter(
                channel=Channel.TABLET,
                evaluated_at__gte=since,
                evaluated_at__lt=until,
                record__staff_id=member.pk,
                record__rating_requests__status=DONE,
            )
            .filter(quick)
            .order_by("-evaluated_at")
            .values_list("id", "record__rating_requests__created_at", "record__rating_requests__done_at")[:MAX_EXAMPLES]
        )
        extra = {pk: {"seconds": round((done - asked).total_seconds(), 1)} for pk, asked, done in examples}
        share = _pct(r["quick"], r["n"])
        findings.append(
            Finding(
                kind=IntegrityKind.QUICK_AFTER_REQUEST,
                unit_id=member.unit_id,
                subject_type=SubjectType.STAFF,
                subject_key=str(member.pk),
                subject_label=_staff_label(member),
                first_at=r["first"],
                last_at=r["last"],
                summary=(
                    f"{_staff_label(member)}发起“请评价”的{r['n']}次服务中，{r['quick']}次（{share}%）"
                    f"在{seconds}秒内完成评价（阈值：{percent}%，至少{minimum}次）"
                ),
                counts={
                    "requested": r["n"],
                    "quick": r["quick"],
                    "share": share,
                    "threshold_seconds": seconds,
                    "threshold_percent": percent,
                },
                example_ids=list(extra),
                extra=extra,
            )
        )
    return findings


def detect_phone_many_units(since: dt.datetime, until: dt.datetime) -> list[Finding]:
    services = settings.INSIGHT_INTEGRITY_PHONE_SERVICES
    units = settings.INSIGHT_INTEGRITY_PHONE_UNITS
    days = settings.INSIGHT_INTEGRITY_PHONE_DAYS
    since = max(since, until - dt.timedelta(days=days))
    ratings = Evaluation.objects.filter(evaluated_at__gte=since, evaluated_at__lt=until).exclude(record__phone_index="")
    rows = (
        ratings.order_by()
        .values("record__phone_index")
        .annotate(
            n=Count("id"),
            units=Count("record__unit", distinct=True),
            first=Min("evaluated_at"),
            last=Max("evaluated_at"),
        )
        .filter(n__gte=services, units__gte=units)
    )
    findings = []
    for r in rows:
        index = r["record__phone_index"]
        mine = ratings.filter(record__phone_index=index)
        unit_ids = list(mine.order_by().values_list("record__unit_id", flat=True).distinct())
        levels = dict(mine.order_by().values_list("level").annotate(c=Count("id")))
        masked = mine.values_list("record__applicant_phone_masked", flat=True).first() or "（号码已脱敏）"
        label = f"评价人 {masked}"
        findings.append(
            Finding(
                kind=IntegrityKind.PHONE_MANY_UNITS,
                unit_id=_common_unit(unit_ids),
                subject_type=SubjectType.PHONE,
                subject_key=index,
                subject_label=label,
                first_at=r["first"],
                last_at=r["last"],
                summary=(
                    f"{label}在{days}天内评价{r['n']}次服务，涉及{r['units']}个单位"
                    f"（阈值：{services}次、{units}个单位）"
                ),
                counts={
                    "ratings": r["n"],
                    "units": r["units"],
                    "levels": {str(k): v for k, v in sorted(levels.items())},
                    "threshold_services": services,
                    "threshold_units": units,
                    "days": days,
                },
                example_ids=list(mine.order_by("-evaluated_at").values_list("id", flat=True)[:MAX_EXAMPLES]),
            )
        )
    return findings


def phone_rating_operators(ids: list[int]) -> dict[int, int]:
    """The operator (user id) who recorded each phone rating: its call record's operator, else
    the console user who is the actor of its audit event."""
    operators: dict[int, int] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        operators.update(CallRecord.objects.filter(evaluation_id__in=chunk).values_list("evaluation_id", "operator_id"))
        rest = [str(pk) for pk in chunk if pk not in operators]
        if rest:
            events = AuditEvent.objects.filter(
                target_type=Evaluation._meta.label_lower,
                target_id__in=rest,
                action="evaluations:evaluation:created",
                actor_type="user",
            ).values_list("target_id", "actor_id")
            operators.update((int(target), int(actor)) for target, actor in events if actor.isdigit())
    return operators


def detect_phone_operator(since: dt.datetime, until: dt.datetime) -> list[Finding]:
    minimum = settings.INSIGHT_INTEGRITY_OPERATOR_MIN_RATINGS
    z_min = settings.INSIGHT_INTEGRITY_OPERATOR_Z_TENTHS / 10
    gap_min = settings.INSIGHT_INTEGRITY_OPERATOR_GAP_PERCENT / 100
    ratings = list(
        Evaluation.objects.filter(channel=Channel.PHONE, evaluated_at__gte=since, evaluated_at__lt=until)
        .order_by("evaluated_at", "id")
        .values_list("id", "level", "evaluated_at")
    )
    operators = phone_rating_operators([pk for pk, _, _ in ratings])
    per: dict[int, list[tuple[int, int, dt.datetime]]] = defaultdict(list)
    for row in ratings:
        if row[0] in operators:
            per[operators[row[0]]].append(row)
    total = sum(len(v) for v in per.values())
    total5 = sum(1 for v in per.values() for _, level, _ in v if level == Level.VERY_SATISFIED)
    hits = []
    for user_id, rows in per.items():
        n = len(rows)
        n5 = sum(1 for _, level, _ in rows if level == Level.VERY_SATISFIED)
        others, others5 = total - n, total5 - n5
        if n < minimum or others < minimum:
            continue
        share, peers = n5 / n, others5 / others
        gap = share - peers
        se = math.sqrt(peers * (1 - peers) / n)
        z = gap / se if se > 0 else (math.inf if gap > 0 else 0.0)
        if gap >= gap_min and z >= z_min:
            hits.append((user_id, rows, n, n5, share, peers, z))
    members = {m.user_id: m for m in Membership.objects.select_related("user").filter(user_id__in=[h[0] for h in hits])}
    findings = []
    for user_id, rows, n, n5, share, peers, z in hits:
        member = members.get(user_id)
        if member is None:
            continue
        user = member.user
        label = f"{user.first_name}（{user.get_username()}）" if user.first_name else user.get_username()
        z_text = "∞" if math.isinf(z) else f"{z:.1f}"
        findings.append(
            Finding(
                kind=IntegrityKind.PHONE_OPERATOR,
                unit_id=member.unit_id,
                subject_type=SubjectType.OPERATOR,
                subject_key=str(user_id),
                subject_label=f"回访员 {label}",
                first_at=rows[0][2],
                last_at=rows[-1][2],
                summary=(
                    f"回访员 {label} 记录的{n}条电话评价中“非常满意”占{share * 100:.1f}%，"
                    f"其他回访员为{peers * 100:.1f}%（高{(share - peers) * 100:.1f}个百分点，{z_text}个标准误）"
                ),
                counts={
                    "ratings": n,
                    "very_satisfied": n5,
                    "share": round(share * 100, 1),
                    "peers_share": round(peers * 100, 1),
                    "peers_ratings": total - n,
                    "z": None if math.isinf(z) else round(z, 2),
                    "threshold_z": z_min,
                    "threshold_gap": settings.INSIGHT_INTEGRITY_OPERATOR_GAP_PERCENT,
                },
                example_ids=[pk for pk, _, _ in rows[-MAX_EXAMPLES:]],
            )
        )
    return findings


def detect_repeated_bad(since: dt.datetime, until: dt.datetime) -> list[Finding]:
    count = settings.INSIGHT_INTEGRITY_REPEATED_BAD_COUNT
    days = settings.INSIGHT_INTEGRITY_REPEATED_BAD_DAYS
    since = max(since, until - dt.timedelta(days=days))
    bad = Evaluation.objects.filter(
        level__in=BAD_LEVELS, evaluated_at__gte=since, evaluated_at__lt=until, record__staff__isnull=False
    ).exclude(record__phone_index="")
    rows = (
        bad.order_by()
        .values("record__phone_index", "record__staff_id")
        .annotate(n=Count("id"), first=Min("evaluated_at"), last=Max("evaluated_at"))
        .filter(n__gte=count)
    )
    rows = list(rows)
    staff = Staff.objects.in_bulk([r["record__staff_id"] for r in rows])
    findings = []
    for r in rows:
        member = staff[r["record__staff_id"]]
        mine = bad.filter(record__phone_index=r["record__phone_index"], record__staff_id=member.pk)
        masked = mine.values_list("record__applicant_phone_masked", flat=True).first() or "（号码已脱敏）"
        label = f"评价人 {masked} → {_staff_label(member)}"
        findings.append(
            Finding(
                kind=IntegrityKind.REPEATED_BAD,
                unit_id=member.unit_id,
                subject_type=SubjectType.PHONE_STAFF,
                subject_key=f"{member.pk}:{r['record__phone_index']}",
                subject_label=label,
                first_at=r["first"],
                last_at=r["last"],
                summary=(
                    f"同一评价人（{masked}）在{days}天内对{_staff_label(member)}经办的服务差评{r['n']}次"
                    f"（阈值：{count}次）"
                ),
                counts={"bad_ratings": r["n"], "threshold_count": count, "days": days},
                example_ids=list(mine.order_by("-evaluated_at").values_list("id", flat=True)[:MAX_EXAMPLES]),
            )
        )
    return findings


def detect_default_concentration(since: dt.datetime, until: dt.datetime) -> list[Finding]:
    percent = settings.INSIGHT_INTEGRITY_DEFAULT_PERCENT
    ratio = settings.INSIGHT_INTEGRITY_DEFAULT_RATIO
    minimum = settings.INSIGHT_INTEGRITY_DEFAULT_MIN_RATINGS
    ratings = Evaluation.objects.filter(evaluated_at__gte=since, evaluated_at__lt=until)
    rows = list(
        ratings.order_by()
        .values("record__unit_id")
        .annotate(
            n=Count("id"),
            d=Count("id", filter=Q(is_default=True)),
            first=Min("evaluated_at", filter=Q(is_default=True)),
            last=Max("evaluated_at", filter=Q(is_default=True)),
        )
    )
    total, defaults = sum(r["n"] for r in rows), sum(r["d"] for r in rows)
    if not defaults:
        return []
    overall = defaults / total
    hits = [
        r for r in rows if r["n"] >= minimum and r["d"] * 100 >= percent * r["n"] and r["d"] / r["n"] >= ratio * overall
    ]
    units = Unit.objects.in_bulk([r["record__unit_id"] for r in hits])
    findings = []
    for r in hits:
        unit = units[r["record__unit_id"]]
        share = _pct(r["d"], r["n"])
        findings.append(
            Finding(
                kind=IntegrityKind.DEFAULT_CONCENTRATION,
                unit_id=unit.pk,
                subject_type=SubjectType.UNIT,
                subject_key=str(unit.pk),
                subject_label=unit.name,
                first_at=r["first"],
                last_at=r["last"],
                summary=(
                    f"{unit.name}的{r['n']}条评价中系统默认评价{r['d']}条（{share}%），"
                    f"全部单位为{overall * 100:.1f}%（阈值：{percent}%且为全部的{ratio}倍）"
                ),
                counts={
                    "ratings": r["n"],
                    "defaults": r["d"],
                    "share": share,
                    "overall_share": round(overall * 100, 1),
                    "threshold_percent": percent,
                    "threshold_ratio": ratio,
                },
                example_ids=list(
                    ratings.filter(record__unit_id=unit.pk, is_default=True)
                    .order_by("-evaluated_at")
                    .values_list("id", flat=True)[:MAX_EXAMPLES]
                ),
            )
        )
    return findings


DETECTORS = {
    IntegrityKind.TABLET_BURST: detect_tablet_burst,
    IntegrityKind.QUICK_AFTER_REQUEST: detect_quick_after_request,
    IntegrityKind.PHONE_MANY_UNITS: detect_phone_many_units,
    IntegrityKind.PHONE_OPERATOR: detect_phone_operator,
    IntegrityKind.REPEATED_BAD: detect_repeated_bad,
    IntegrityKind.DEFAULT_CONCENTRATION: detect_default_concentration,
}


# --- recording -----------------------------------------------------------------------------------


def _evidence(finding: Finding) -> dict[str, Any]:
    return {"counts": finding.counts, "examples": evidence_rows(finding.example_ids, finding.extra)}


def flag_record(finding: Finding, *, actor: Actor, now: dt.datetime) -> tuple[IntegrityFlag, bool | None]:
    """Record a finding: a new flag (True), an open flag of the same kind, subject and month
    updated with the new evidence (False), or a reviewed one left as decided (None)."""
    period = f"{timezone.localtime(finding.last_at):%Y-%m}"
    key = {"kind": finding.kind, "subject_type": finding.subject_type, "subject_key": finding.subject_key}
    fields = {
        "unit_id": finding.unit_id,
        "subject_label": finding.subject_label[:200],
        "first_at": finding.first_at,
        "last_at": finding.last_at,
        "summary": finding.summary[:300],
        "evidence": _evidence(finding),
    }
    existing = IntegrityFlag.objects.filter(**key, period=period).first()
    if existing is None:
        try:
            with transaction.atomic():
                flag = IntegrityFlag.objects.create(**key, period=period, detected_at=now, updated_at=now, **fields)
                audit_record(
                    actor=actor,
                    action="insight:integrity:detected",
                    target=flag,
                    data={"kind": flag.kind, "unit": finding.unit_id, "period": period, "counts": finding.counts},
                )
            return flag, True
        except IntegrityError:  # recorded meanwhile by a concurrent run
            existing = IntegrityFlag.objects.get(**key, period=period)
    if existing.state != FlagState.OPEN:
        return existing, None
    IntegrityFlag.objects.filter(pk=existing.pk, state=FlagState.OPEN).update(updated_at=now, **fields)
    return existing, False


def integrity_detect(
    *,
    actor: Actor,
    now: dt.datetime | None = None,
    days: int | None = None,
    since: dt.datetime | None = None,
    kinds: list[str] | None = None,
) -> DetectionResult:
    """Run the detectors over the last ``days`` (default ``INSIGHT_INTEGRITY_WINDOW_DAYS``)
    before ``now`` and record their findings as flags; idempotent. Reads ratings, never writes
    them."""
    now = now or timezone.now()
    start, end = _window(now, days or settings.INSIGHT_INTEGRITY_WINDOW_DAYS, since)
    result = DetectionResult()
    for kind, detector in DETECTORS.items():
        if kinds and kind not in kinds:
            continue
        for finding in detector(start, end):
            result.found += 1
            _, created = flag_record(finding, actor=actor, now=now)
            if created:
                result.created[kind] = result.created.get(kind, 0) + 1
            elif created is False:
                result.updated += 1
    return result
