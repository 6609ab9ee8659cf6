"""Ratings with realistic noise and one planted example of each integrity pattern, made through
the real services (pushed records, ``rating_receive``, the tablet's rating requests), for the
integrity tests and the console scoping walk."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass, field

from django.utils import timezone

from haochaping.audit.services import Actor
from haochaping.evaluations.models import Evaluation, RatingRequest
from haochaping.evaluations.services import RatingInput
from haochaping.evaluations.tablet import rating_request_create
from haochaping.insight.integrity import Finding, flag_record
from haochaping.insight.integrity_models import IntegrityFlag, IntegrityKind, SubjectType
from haochaping.intake.services import tablet_rate
from haochaping.organizations.models import Role
from haochaping.organizations.services import console_user_create
from haochaping.testing import PASSWORD, pair_tablet, push_record, receive

# The planted evaluator: their number and name must never appear in a flag or its page.
PLANTED_PHONE = "13900001111"
PLANTED_NAME = "欧阳铁柱"
BAD_PHONE = "13700002222"
BAD_NAME = "司马翠花"

# Thresholds the planted world is built for (the defaults suit a district's volumes).
SETTINGS = {
    "INSIGHT_INTEGRITY_PHONE_SERVICES": 5,
    "INSIGHT_INTEGRITY_PHONE_UNITS": 2,
    "INSIGHT_INTEGRITY_OPERATOR_MIN_RATINGS": 10,
    "INSIGHT_INTEGRITY_DEFAULT_MIN_RATINGS": 10,
    "INSIGHT_INTEGRITY_DEFAULT_PERCENT": 20,
}

_numbers = itertools.count(1)


@dataclass
class Planted:
    now: dt.datetime
    device_a: object = None
    device_b: object = None
    operator_fast: object = None
    operator_peer: object = None
    ratings: list[int] = field(default_factory=list)


def _phone() -> str:
    return f"135{next(_numbers):08d}"


def record(cast, side: str = "a", *, phone: str | None = None, name: str = "张三丰"):
    n = next(_numbers)
    extra = {}
    if side == "b":
        extra = {
            "unit_code": cast.unit_b.code,
            "item_code": cast.item_b.code,
            "window_code": cast.window_b.code,
            "staff_no": cast.staff_b.staff_no,
        }
    return push_record(
        cast, project_no=f"INT{side.upper()}{n:08d}", applicant_phone=phone or _phone(), applicant_name=name, **extra
    )


def tablet_rating(device, rec, *, level: int, at: dt.datetime, after_seconds: float) -> Evaluation:
    """A 请评价 at ``at - after_seconds`` answered on the tablet at ``at`` (server times backdated
    as they would have been)."""
    request = rating_request_create(actor=Actor.cli("clerk"), record=rec, device=device)
    evaluation = tablet_rate(
        device=device,
        record_id=rec.pk,
        data=RatingInput(level=level, channel=4, evaluated_at=at, client_key=uuid.uuid4().hex),
    ).evaluation
    RatingRequest.objects.filter(pk=request.pk).update(
        created_at=at - dt.timedelta(seconds=after_seconds), done_at=at, shown_at=at - dt.timedelta(seconds=1)
    )
    return evaluation


def rate(rec, *, level: int, at: dt.datetime, channel: int = 3, actor: Actor | None = None) -> Evaluation:
    text = "窗口人员态度生硬" if level <= 2 else ""
    data = RatingInput(level=level, channel=channel, evaluated_at=at, text=text)
    return receive(rec, data, actor=actor).evaluation


def default_rating(rec, *, at: dt.datetime) -> Evaluation:
    """A system default rating (好评 after the rating period ran out), as an upstream feed brings it."""
    other = Evaluation.objects.order_by("id").first()
    assert other is not None
    evaluation = Evaluation(
        record=rec, level=5, channel=1, is_default=True, evaluated_at=at, indicator_set_id=other.indicator_set_id
    )
    evaluation.save()
    return evaluation


def plant(cast) -> Planted:
    """Noise, and one example of each of the six patterns (``SETTINGS`` thresholds)."""
    now = timezone.now()
    day = now - dt.timedelta(days=3)
    p = Planted(now=now)
    p.device_a = pair_tablet(cast.window_a, "A 窗口评价器")[0]
    p.device_b = pair_tablet(cast.window_b, "B 窗口评价器")[0]
    # Noise at window A: tablet ratings a quarter of an hour apart, 30-90 s after 请评价.
    for i in range(6):
        at = day - dt.timedelta(days=1, minutes=15 * i)
        p.ratings.append(
            tablet_rating(p.device_a, record(cast), level=(5, 4)[i % 2], at=at, after_seconds=30 + 8 * i).pk
        )
    # (1) Burst at window B: 9 非常满意 within 6 minutes (40 s after each 请评价: not "quick").
    for i in range(9):
        at = day + dt.timedelta(seconds=40 * i)
        p.ratings.append(tablet_rating(p.device_b, record(cast, "b"), level=5, at=at, after_seconds=40).pk)
    # (2) Quick after 请评价: clerk A's next 12 requests rated 2 s later (levels mixed, 20 minutes apart).
    for i in range(12):
        at = day - dt.timedelta(hours=5, minutes=20 * i)
        p.ratings.append(tablet_rating(p.device_a, record(cast), level=(5, 4, 5)[i % 3], at=at, after_seconds=2).pk)
    # Noise: QR-code ratings of both units, each by another citizen.
    for i in range(40):
        at = day - dt.timedelta(days=2, hours=i)
        p.ratings.append(rate(record(cast, "b" if i % 4 == 0 else "a"), level=(5, 5, 4, 3, 2)[i % 5], at=at).pk)
    # (3) One phone rating 6 services across both units.
    for i in range(6):
        rec = record(cast, "ab"[i % 2], phone=PLANTED_PHONE, name=PLANTED_NAME)
        p.ratings.append(rate(rec, level=5, at=day - dt.timedelta(days=4, hours=i)).pk)
    # (5) One evaluator, three bad ratings of clerk A's services; and noise: two of another's.
    for i in range(3):
        rec = record(cast, phone=BAD_PHONE, name=BAD_NAME)
        p.ratings.append(rate(rec, level=(1, 2, 1)[i], at=day - dt.timedelta(days=5, hours=i)).pk)
    other = _phone()
    for i in range(2):
        p.ratings.append(rate(record(cast, phone=other), level=2, at=day - dt.timedelta(days=6, hours=i)).pk)
    # (4) Phone ratings: one operator records only 非常满意, the other a usual spread.
    p.operator_fast = cast.users["operator"]
    p.operator_peer = console_user_create(
        actor=Actor.cli("tests"), username="operator2", password=PASSWORD, unit=cast.district, role=Role.OPERATOR
    )
    for i in range(12):
        at = day - dt.timedelta(days=7, hours=i)
        fast = Actor.for_user(p.operator_fast)
        peer = Actor.for_user(p.operator_peer)
        p.ratings.append(rate(record(cast, "ab"[i % 2]), level=5, at=at, channel=6, actor=fast).pk)
        level = (5, 4)[i % 2]
        p.ratings.append(rate(record(cast, "ab"[i % 2]), level=level, at=at, channel=6, actor=peer).pk)
    # (6) Default ratings: unit B's 12 (of its 46), unit A's 1 (of its ~70).
    for i in range(12):
        p.ratings.append(default_rating(record(cast, "b"), at=day - dt.timedelta(days=8, hours=i)).pk)
    p.ratings.append(default_rating(record(cast), at=day - dt.timedelta(days=8)).pk)
    return p


def make_flag(unit, *, kind: str = IntegrityKind.DEFAULT_CONCENTRATION, key: str = "") -> IntegrityFlag:
    """A flag of ``unit`` recorded as detection records it (no ratings needed)."""
    now = timezone.now()
    finding = Finding(
        kind=kind,
        unit_id=unit.pk,
        subject_type=SubjectType.UNIT,
        subject_key=key or str(unit.pk),
        subject_label=unit.name,
        first_at=now - dt.timedelta(days=2),
        last_at=now - dt.timedelta(days=1),
        summary=f"{unit.name}的系统默认评价占比偏高",
        counts={"ratings": 40, "defaults": 20},
        example_ids=[],
    )
    return flag_record(finding, actor=Actor.cli("tests"), now=now)[0]
