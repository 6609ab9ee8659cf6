"""A city's year of bad ratings with planted concentrations, through the real intake services
(for the planted-20 test of common-problem detection,制度第十一条)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils import timezone

from haochaping.audit.services import Actor
from haochaping.evaluations.services import RatingInput
from haochaping.organizations.models import Staff, Unit, UnitKind, Window
from haochaping.organizations.services import staff_create, unit_create, window_create
from haochaping.service_records.choices import ItemType
from haochaping.service_records.models import ServiceItem
from haochaping.service_records.services import service_item_create
from haochaping.testing import Cast, push_record, submit_rating

# Reason codes a citizen picks at a window (offline, levels 1-2), with how often.
REASONS = [
    ("XC-XL-B01", 6), ("XC-TD-B01", 5), ("XC-SP-B02", 4), ("XC-TD-B02", 3), ("XC-XL-B03", 3),
    ("XC-SP-B01", 3), ("XC-ZT-B01", 2), ("XC-XL-B02", 2), ("XC-SP-B03", 2), ("XC-ZT-B02", 2),
]  # fmt: skip
# Everyday complaints: varied wording, few shared terms (the noise a real year brings).
NOISE_TEXTS = [
    "排了一个多小时才轮到我", "说话很冲，问两句就不耐烦", "让我回去再补一份复印件", "前面的人办了好久",
    "取号以后等到中午", "解释得不清楚，听不明白", "三个窗口互相推来推去", "表格填错了也不提醒",
    "明明上周说好今天能拿证", "要求开一个奇怪的证明", "电话一直占线打不进", "没有老人专用通道",
    "网上预约的号不认", "系统卡顿重启了三回", "工作日中午没人值班", "拿到的告知单跟网上写的不一样",
    "指示牌看不懂绕了一大圈", "对面的同事一直在聊天", "审核太严格差一个字就退回", "照片背景颜色不对又重拍",
    "来回跑了四趟", "收件后一周都没消息", "人太多座位不够", "自助机器打印失败",
    "告诉我要去街道盖章", "咨询台的人也说不清", "让我下次带户口本原件", "等了很久最后说系统维护",
]  # fmt: skip
DIMENSIONS = ["attitude", "efficiency", "materials", "mechanism", "trips", "commitment"]


@dataclass
class Place:
    unit: Unit
    items: list[ServiceItem]
    windows: list[Window]
    staff: dict[int, list[Staff]]  # window id -> its staff


@dataclass
class Plant:
    kind: str
    key: str
    unit: Unit
    day: dt.date
    cases: list[int] = field(default_factory=list)


def build_places(cast: Cast, n_units: int = 6) -> list[Place]:
    actor = Actor.cli("tests")
    units = [cast.unit_a, cast.unit_b]
    for n in range(len(units), n_units):
        units.append(unit_create(actor=actor, code=f"BM{n:02d}", name=f"区第{n}局", kind=UnitKind.DEPARTMENT,
                                 parent=cast.district))  # fmt: skip
    places = []
    for u, unit in enumerate(units):
        items = [
            service_item_create(
                actor=actor,
                code=f"1141040{u}MB{i:07d}X",
                name=f"{unit.name}事项{i}",
                item_type=ItemType.LICENSE,
                department=unit,
                promised_days=5,
            )
            for i in range(5)
        ]
        windows = [
            window_create(actor=actor, code=f"W{u}{w}", name=f"{unit.name}{w + 1}号窗口", unit=unit, department=unit)
            for w in range(3)
        ]
        staff = {
            window.pk: [
                staff_create(actor=actor, staff_no=f"S{u}{w}{s}", name=f"职员{u}{w}{s}", unit=unit, window=window)
                for s in range(3)
            ]
            for w, window in enumerate(windows)
        }
        places.append(Place(unit, items, windows, staff))
    return places


class Rater:
    """Pushes a record and its bad rating through the real services (a case is opened)."""

    def __init__(self, cast: Cast):
        self.cast = cast
        self.n = 0

    def rate(self, place: Place, at: dt.datetime, *, item: ServiceItem, window: Window | None, staff: Staff | None,
             reasons: list[str], text: str, dims: dict[str, int], level: int = 2) -> int:  # fmt: skip
        self.n += 1
        record = push_record(
            self.cast,
            f"PLANT{self.n:06d}",
            item_code=item.code,
            unit_code=place.unit.code,
            window_code=window.code if window else None,
            staff_no=staff.staff_no if staff else None,
        )
        data = RatingInput(level=level, channel=4, reasons=reasons, text=text, evaluated_at=at, dimensions=dims)
        return submit_rating(actor=Actor.citizen(), record=record, data=data).case.pk


def local(day: dt.date, rng: random.Random) -> dt.datetime:
    moment = dt.datetime.combine(day, dt.time(9)) + dt.timedelta(minutes=rng.randrange(0, 8 * 60))
    return timezone.make_aware(moment)


def noise_rating(rater: Rater, place: Place, day: dt.date, rng: random.Random) -> int:
    window = rng.choice(place.windows)
    staff = rng.choice(place.staff[window.pk]) if rng.random() < 0.8 else None
    codes = [c for c, _ in REASONS]
    weights = [w for _, w in REASONS]
    reasons = rng.choices(codes, weights) if rng.random() < 0.5 else []
    text = rng.choice(NOISE_TEXTS) if rng.random() < 0.6 else ""
    if not reasons and not text:  # a bad rating carries a reason or a text (intake's rule)
        reasons = rng.choices(codes, weights)
    dims = {rng.choice(DIMENSIONS): rng.choice([1, 2])}
    return rater.rate(place, local(day, rng), item=rng.choice(place.items), window=window, staff=staff,
                      reasons=reasons, text=text, dims=dims, level=rng.choice([1, 2]))  # fmt: skip


# Planted phrases (one dictionary term each) and the varied sentences around them.
PHRASES = ["空调", "停车场", "电梯", "打印机"]
PHRASE_TEXTS = ["{}坏了好几天也没人修", "大厅的{}问题一直没解决", "{}的事反映过多次", "又是{}出毛病",
                "能不能把{}弄好", "{}让人很头疼"]  # fmt: skip
# Text-only ratings whose attribution is one reason (XC-TD-B03 脱岗、玩手机) in different words.
REASON_TEXTS = ["办事时她一直在玩手机", "两个人在嗑瓜子", "人脱岗了半天", "离岗很久没回来", "上班时间刷手机看视频",
                "窗口空着找不到人"]  # fmt: skip


def plant(rater: Rater, place: Place, kind: str, n: int, day: dt.date, rng: random.Random) -> Plant:
    """One concentration of ``kind`` (the n-th of its kind) spread over 10 days from ``day``."""
    size = rng.choice([6, 7])
    days = [day + dt.timedelta(days=rng.randrange(0, 10)) for _ in range(size)]

    turn = iter(range(100))

    def anywhere():  # round the unit's windows and their staff, one rating each in turn
        k = next(turn)
        window = place.windows[k % 3]
        return rng.choice(place.items), window, place.staff[window.pk][(k // 3) % 3]

    def other_reason() -> list[str]:
        return rng.choices([c for c, _ in REASONS], [w for _, w in REASONS])

    if kind == "staff":
        window = place.windows[n % 3]
        person = place.staff[window.pk][n % 3]
        p = Plant(kind, str(person.pk), place.unit, day)
        for d in days:
            p.cases.append(rater.rate(place, local(d, rng), item=rng.choice(place.items), window=window, staff=person,
                                      reasons=other_reason(), text="", dims={"attitude": 1}))  # fmt: skip
    elif kind == "window":
        window = place.windows[(n + 1) % 3]
        p = Plant(kind, str(window.pk), place.unit, day)
        for k, d in enumerate(days):  # the window's three clerks in turn
            p.cases.append(rater.rate(place, local(d, rng), item=rng.choice(place.items), window=window,
                                      staff=place.staff[window.pk][k % 3], reasons=other_reason(), text="",
                                      dims={"efficiency": 2}))  # fmt: skip
    elif kind == "item":
        item = place.items[n % 5]
        p = Plant(kind, str(item.pk), place.unit, day)
        for d in days:
            _, window, person = anywhere()
            p.cases.append(rater.rate(place, local(d, rng), item=item, window=window, staff=person,
                                      reasons=other_reason(), text="", dims={"materials": 2}))  # fmt: skip
    elif kind == "reason":
        code = ["XC-SP-B03", "WD-LJ-B02", "XC-TD-B03", "WD-CL-B02"][n]
        p = Plant(kind, code, place.unit, day)
        for i, d in enumerate(days):
            item, window, person = anywhere()
            if code == "XC-TD-B03":  # the citizen chose no reason; the text's attribution gives it
                reasons, text = [], REASON_TEXTS[i % len(REASON_TEXTS)]
            else:
                reasons, text = [code], ""
            p.cases.append(rater.rate(place, local(d, rng), item=item, window=window, staff=person,
                                      reasons=reasons, text=text, dims={"mechanism": 2}))  # fmt: skip
    else:
        phrase = PHRASES[n]
        p = Plant(kind, phrase, place.unit, day)
        for i, d in enumerate(days):
            item, window, person = anywhere()
            p.cases.append(rater.rate(place, local(d, rng), item=item, window=window, staff=person,
                                      reasons=[], text=PHRASE_TEXTS[i % len(PHRASE_TEXTS)].format(phrase),
                                      dims={"mechanism": 2}))  # fmt: skip
    return p


KINDS = ["staff", "window", "item", "reason", "phrase"]


def plant_year(cast: Cast, first: dt.date, *, seed: int = 20261207, noise_per_day: float = 0.5):
    """A year from ``first``: noise bad ratings every day (units of uneven size) and 20
    concentrations, four of each kind, one every 18 days. Returns (places, plants, noise count)."""
    rng = random.Random(seed)
    places = build_places(cast)
    rater = Rater(cast)
    weights = [2.0, 2.0, 1.5, 1.5, 1.0, 1.0]
    noise = 0
    for offset in range(365):
        day = first + dt.timedelta(days=offset)
        count = sum(1 for _ in range(4) if rng.random() < noise_per_day / 4)
        for _ in range(count):
            noise_rating(rater, rng.choices(places, weights)[0], day, rng)
            noise += 1
    plants = []
    for i in range(20):
        kind = KINDS[i % 5]
        plants.append(plant(rater, places[i % len(places)], kind, i // 5, first + dt.timedelta(days=5 + 18 * i), rng))
    return places, plants, noise
