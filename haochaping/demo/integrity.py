"""One example of each rating-integrity pattern (通知 二(四), 制度第八条) planted into the demo's
last full month, then detection run, so the 评价质量线索 queue and last month's 通报 show them.

Everything goes through the services the seed uses: services pushed as the district platform
(``service_record_push``), tablet ratings after a clerk's 请评价 (``rating_request_create``,
``intake.services.tablet_rate``) on two tablets paired for the purpose, ratings through
``intake.services.rating_receive`` (the QR code; by phone with the operator as the audit actor, as
the seed records huifang's), and system default ratings through ``evaluations.services``'
prepare/store with ``is_default`` set (the platform has no intake channel for an upstream
system's default ratings; this is how such a feed's rows would be stored). Server times of the
rating requests and records are backdated, as the seed backdates records.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count

from haochaping.audit.services import Actor
from haochaping.core.db.insert import insert_params
from haochaping.demo import data, fake
from haochaping.demo.traffic import TZ
from haochaping.evaluations.choices import BAD_LEVELS, Channel
from haochaping.evaluations.models import Evaluation, Indicator, IndicatorSet, RatingRequest
from haochaping.evaluations.selectors import RatingTarget
from haochaping.evaluations.services import RatingInput, evaluation_prepare, evaluation_store
from haochaping.evaluations.tablet import rating_request_create
from haochaping.insight.integrity import DetectionResult, integrity_detect
from haochaping.intake.services import RatingContext, rating_receive, tablet_rate
from haochaping.organizations.devices import device_create, device_pair
from haochaping.organizations.models import BusinessSystem, Device, Role, Unit, Window
from haochaping.organizations.selectors import scope_for_system
from haochaping.organizations.services import console_user_create
from haochaping.rectification.models import RectificationCase
from haochaping.service_records.models import ServiceRecord
from haochaping.service_records.services import RecordInput, service_record_push

SEED = 2023_04_8
OPERATOR = ("huifang2", "周晓燕")  # the second 回访员, whose phone ratings are all 非常满意


class _Planter:
    def __init__(self, system: BusinessSystem, rng: random.Random):
        self.system, self.rng = system, rng
        self.actor, self.scope = Actor.for_system(system), scope_for_system(system)
        self.serial = itertools.count(1)
        self.records = self.ratings = self.bad = 0
        active = IndicatorSet.objects.filter(is_active=True).order_by("-loaded_at").first()
        self.indicators = list(Indicator.objects.filter(indicator_set=active).order_by("code"))

    def record(self, tpl: dict[str, Any], at: dt.datetime, applicant: fake.Applicant | None = None) -> ServiceRecord:
        """A service at ``tpl``'s item, unit, window and staff, finished just before ``at``."""
        applicant = applicant or fake.person(self.rng)
        data_ = RecordInput(
            project_no=f"ZLHC{at.astimezone(TZ):%Y%m%d}{next(self.serial):05d}",
            service_no=1,
            stage="2",
            item_code=tpl["item__code"],
            unit_code=tpl["unit__code"],
            mode=tpl["mode"],
            applicant_kind=applicant.kind,
            applicant_name=applicant.name,
            applicant_id_type=applicant.id_type,
            applicant_id_number=applicant.id_number,
            applicant_phone=applicant.phone,
            window_code=tpl["window__code"],
            staff_no=tpl["staff__staff_no"],
            accepted_at=at - dt.timedelta(minutes=25),
            finished_at=at - dt.timedelta(minutes=2),
        )
        record = service_record_push(system=self.system, actor=self.actor, scope=self.scope, data=data_).record
        ServiceRecord.objects.filter(pk=record.pk).update(created_at=at - dt.timedelta(minutes=25))
        self.records += 1
        return record

    def reasons(self, level: int) -> list[str]:
        fits = [i.code for i in self.indicators if level in i.levels and i.mode in ("", "offline")]
        return [self.rng.choice(fits)] if fits else []

    def rate(self, record: ServiceRecord, level: int, at: dt.datetime, *, channel: int, actor: Actor) -> Evaluation:
        bad = level in BAD_LEVELS
        rating = RatingInput(
            level=level,
            channel=channel,
            evaluated_at=at,
            reasons=self.reasons(level) if bad else [],
            text="办事要跑好几趟，窗口人员解释不清" if bad else "",
        )
        evaluation = rating_receive(
            target=RatingTarget(record), data=rating, context=RatingContext(actor=actor)
        ).evaluation
        self.ratings += 1
        self.bad += bad
        return evaluation

    def tablet(self, device: Device, record: ServiceRecord, level: int, at: dt.datetime, after: float) -> None:
        """A clerk's 请评价 ``after`` seconds before the citizen rated on the tablet at ``at``."""
        request = rating_request_create(actor=Actor.cli("seed_demo"), record=record, device=device)
        rating = RatingInput(level=level, channel=Channel.TABLET, evaluated_at=at, client_key=uuid.uuid4().hex)
        tablet_rate(device=device, record_id=record.pk, data=rating)
        asked = at - dt.timedelta(seconds=after)
        RatingRequest.objects.filter(pk=request.pk).update(
            created_at=asked, shown_at=asked + dt.timedelta(seconds=min(1.0, after / 2)), done_at=at
        )
        self.ratings += 1

    def default(self, record: ServiceRecord, at: dt.datetime) -> None:
        """A system default rating (好评 after the rating period ran out), as the platform sends it."""
        prepared = evaluation_prepare(
            actor=self.actor,
            target=RatingTarget(record),
            data=RatingInput(level=5, channel=Channel.PC, evaluated_at=at),
            system=self.system,
        )
        assert not isinstance(prepared, Evaluation)
        prepared.evaluation.is_default = True
        prepared.params = insert_params(prepared.evaluation)
        evaluation_store(prepared)
        self.ratings += 1


def _templates() -> list[dict[str, Any]]:
    """One offline hall service per window (item, department, window, staff) from the seeded year."""
    rows = (
        ServiceRecord.objects.filter(
            mode="offline", window__isnull=False, staff__isnull=False, window__unit__code=data.HALL_CODE
        )
        .order_by("window__code", "id")
        .values("item__code", "unit__code", "unit_id", "window__code", "window_id", "staff__staff_no", "mode")
    )
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(row["window__code"], row)
    return list(seen.values())


def _tablet(window_id: int, name: str) -> Device:
    _, code = device_create(actor=Actor.cli("seed_demo"), name=name, window=Window.objects.get(pk=window_id))
    return device_pair(code=code)[0]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def plant_integrity_patterns(
    result: Any, *, systems: dict[str, tuple[BusinessSystem, str]], today: dt.date, now: dt.datetime
) -> DetectionResult:
    """Plant the six patterns into last month (updating the seed's ``result`` counts), then run
    detection over last month and this one."""
    rng = random.Random(SEED)
    planter = _Planter(systems["platform"][0], rng)
    templates = _templates()
    by_unit: dict[int, list[dict[str, Any]]] = {}
    for tpl in templates:
        by_unit.setdefault(tpl["unit_id"], []).append(tpl)
    if len(by_unit) < 5:
        return DetectionResult()
    units = sorted(by_unit)
    first = today.replace(day=1) - dt.timedelta(days=1)
    first = first.replace(day=1)  # the last full month
    citizen = Actor.citizen()
    with transaction.atomic():
        # (1) A burst: 9 非常满意 within about 6 minutes on one window's tablet.
        burst_tpl, quick_tpl = by_unit[units[0]][0], by_unit[units[1]][0]
        burst_device = _tablet(burst_tpl["window_id"], f"{burst_tpl['window__code'][-3:]}窗口评价器")
        start = _at(first + dt.timedelta(days=11), 10, 5)
        for i in range(9):
            at = start + dt.timedelta(seconds=40 * i + rng.randint(0, 5))
            planter.tablet(burst_device, planter.record(burst_tpl, at), 5, at, after=rng.uniform(25, 60))
        # (2) One clerk's services rated 1-3 s after each 请评价 (14 of 16).
        quick_device = _tablet(quick_tpl["window_id"], f"{quick_tpl['window__code'][-3:]}窗口评价器")
        for i in range(16):
            at = _at(first + dt.timedelta(days=5 + i // 4), 9 + 2 * (i % 4), rng.randint(0, 50))
            after = rng.uniform(1, 3) if i % 8 else rng.uniform(30, 80)
            planter.tablet(quick_device, planter.record(quick_tpl, at), rng.choice((5, 5, 4)), at, after)
        # (3) One phone number rating 12 services at 5 departments within 3 weeks.
        agent = fake.person(rng)
        for i in range(12):
            tpl = by_unit[units[i % 5]][0]
            at = _at(first + dt.timedelta(days=3 + 2 * (i // 2)), 14, 10 * (i % 2))
            planter.rate(planter.record(tpl, at, agent), 5, at, channel=Channel.QR, actor=citizen)
        # (5) One citizen, three bad ratings of one clerk's services within two weeks.
        angry, bad_tpl = fake.person(rng), by_unit[units[2]][0]
        for i in range(3):
            at = _at(first + dt.timedelta(days=8 + 5 * i), 11, 20)
            planter.rate(planter.record(bad_tpl, at, angry), (1, 2, 1)[i], at, channel=Channel.QR, actor=citizen)
        # (4) A second 回访员 whose 40 phone ratings are all 非常满意.
        username, display = OPERATOR
        user = get_user_model().objects.filter(username=username).first() or console_user_create(
            actor=Actor.cli("seed_demo"), username=username, password=data.DEMO_PASSWORD, role=Role.OPERATOR,
            unit=Unit.objects.get(code=data.DISTRICT_CODE), display_name=display,
        )  # fmt: skip
        by_phone, usual = Actor.for_user(user), Actor.for_user(get_user_model().objects.get(username="huifang"))
        for i in range(40):
            tpl = templates[rng.randrange(len(templates))]
            at = _at(first + dt.timedelta(days=2 + i % 24), 15, rng.randint(0, 59))
            planter.rate(planter.record(tpl, at), 5, at, channel=Channel.PHONE, actor=by_phone)
            # ... while huifang's invitation calls that afternoon got the usual spread of answers.
            tpl = templates[rng.randrange(len(templates))]
            at += dt.timedelta(minutes=30)
            level = rng.choice((5, 5, 5, 4, 4, 3))
            planter.rate(planter.record(tpl, at), level, at, channel=Channel.PHONE, actor=usual)
        # (6) System default ratings concentrated in one department (about 45% of its ratings).
        # The department with the fewest ratings last month among the others (so that its share
        # stands out against the district's).
        volume = dict(
            Evaluation.objects.filter(
                record__unit_id__in=units[5:] or units[3:], evaluated_at__gte=_at(first, 0),
                evaluated_at__lt=_at(today.replace(day=1), 0),
            ).values_list("record__unit_id").annotate(n=Count("id"))
        )  # fmt: skip
        default_unit = min(units[5:] or units[3:], key=lambda pk: (volume.get(pk, 0), pk))
        default_tpl, month = by_unit[default_unit][0], volume.get(default_unit, 0)
        for i in range(max(30, math.ceil(month * 0.85))):
            at = _at(first + dt.timedelta(days=1 + i % 26), 23, rng.randint(0, 58))
            planter.default(planter.record(default_tpl, at - dt.timedelta(days=3)), at)
    result.records += planter.records
    result.ratings += planter.ratings
    result.bad_ratings += planter.bad
    result.cases = RectificationCase.objects.filter(evaluation__isnull=False).count()
    # Detection as the scheduled job ran it at the end of last month (its window: that month).
    since, until = _at(first, 0), min(now, _at(today.replace(day=1), 0))
    return integrity_detect(actor=Actor.job("评价质量线索检测"), now=until, since=since, days=(until - since).days + 1)
