"""A year of synthetic services and ratings for the demo district, as plain plans (no DB access).

Each ``Plan`` is what a business system would push (a ``RecordInput``) plus, when the citizen
rated it, the ``RatingInput`` they gave. Volumes follow working days, months and hours; ratings
follow a realistic spread, and bad ones concentrate on a few troubled items and staff.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from haochaping.demo import data, fake
from haochaping.evaluations.choices import DIMENSION_FIELDS
from haochaping.evaluations.services import RatingInput
from haochaping.service_records.services import RecordInput

TZ = ZoneInfo("Asia/Shanghai")
MONTH_FACTOR = {
    1: 1.1,
    2: 0.75,
    3: 1.15,
    4: 1.0,
    5: 0.95,
    6: 1.0,
    7: 1.05,
    8: 1.0,
    9: 1.05,
    10: 0.85,
    11: 1.0,
    12: 1.05,
}
WEEKDAY_FACTOR = (1.2, 1.05, 1.0, 0.95, 0.85, 0.0, 0.0)
# Mean new projects per working day at factor 1 (follow-up services come on top).
HALL_PER_DAY, STREET_PER_DAY, COMMUNITY_PER_DAY, ONLINE_PER_DAY = 22.0, 1.3, 0.35, 18.0
SATURDAY_HALL, WEEKEND_ONLINE = 3.0, 6.0  # 周六延时服务 (mornings) and the always-open platform
RATED = {"hall": 0.91, "street": 0.90, "community": 0.84, "online": 0.77}
CHANNELS = {  # (channels, weights) per place
    "hall": ((4, 3, 5, 7, 6), (80, 9, 4, 5, 2)),
    "street": ((4, 3, 7, 6), (70, 20, 6, 4)),
    "community": ((3, 7, 6), (75, 15, 10)),
    "online": ((2, 1, 7, 6), (48, 32, 12, 8)),
}
ONLINE_HOURS = (7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22)
ONLINE_HOUR_WEIGHTS = (1, 4, 8, 9, 7, 3, 3, 5, 7, 7, 5, 3, 4, 5, 4, 2)


@dataclass(frozen=True)
class ItemRef:
    code: str
    spec: data.Item


@dataclass(frozen=True)
class Desk:
    """Where offline services happen: a unit, maybe a window, and the staff serving there."""

    kind: str  # hall / street / community
    unit_code: str
    window_code: str | None
    staff_nos: tuple[str, ...]
    dept: str = ""  # the department staffing a hall window


@dataclass
class Layout:
    """The seeded organisation, reduced to the codes a business system pushes."""

    dept_units: dict[str, str]  # department key -> unit code
    items: dict[str, list[ItemRef]]  # department key -> its items
    hall_desks: dict[str, list[Desk]]  # department key -> its hall windows
    street_desks: list[Desk]
    community_desks: list[Desk]
    indicators: list[tuple[str, tuple[int, ...], str, str]]  # (code, levels, mode, dimension)
    staff_trouble: dict[str, float] = field(default_factory=dict)


@dataclass
class Plan:
    at: dt.datetime  # when the record reached the platform (its created_at)
    system: str  # "platform" or "market"
    record: RecordInput
    rating: RatingInput | None = None


def is_workday(day: dt.date) -> bool:
    """Chinese working day if ``chinesecalendar`` is installed and knows the year, else Mon–Fri."""
    try:
        from chinese_calendar import is_workday as cn_is_workday  # optional dependency
    except ImportError:
        return day.weekday() < 5
    try:
        return bool(cn_is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class Generator:
    def __init__(self, layout: Layout, *, seed: int, now: dt.datetime, scale: float):
        self.layout, self.seed, self.now, self.scale = layout, seed, now, scale
        pool_rng = random.Random(f"{seed}:applicants")
        self.persons = [fake.person(pool_rng) for _ in range(max(200, int(7000 * scale)))]
        names: dict[str, fake.Applicant] = {}
        while len(names) < max(50, int(500 * min(scale, 1.0))):
            company = fake.enterprise(pool_rng)
            names.setdefault(company.name, company)
        self.enterprises = list(names.values())
        self.depts = {d.key: d for d in data.DEPARTMENTS}
        self.street_items = [i for items in layout.items.values() for i in items if i.spec.street]
        self.community_items = [i for i in self.street_items if i.spec.community]
        self.serial: dict[tuple[str, dt.date], int] = {}

    # --- volumes ----------------------------------------------------------------------------
    def plans(self, start: dt.date, end: dt.date) -> list[Plan]:
        plans: list[Plan] = []
        day = start
        while day <= end:
            plans.extend(self._day(day))
            day += dt.timedelta(days=1)
        plans = [p for p in plans if p.at <= self.now]
        plans.sort(key=lambda p: (p.at, p.record.project_no, p.record.service_no))
        return plans

    def _day(self, day: dt.date) -> Iterator[Plan]:
        rng = random.Random(f"{self.seed}:{day.isoformat()}")
        factor = MONTH_FACTOR[day.month] * self.scale
        layout = self.layout
        if is_workday(day):
            factor *= WEEKDAY_FACTOR[day.weekday()] or 1.0  # a make-up working weekend day
            hall, online = poisson(rng, HALL_PER_DAY * factor), poisson(rng, ONLINE_PER_DAY * factor)
            street, community = STREET_PER_DAY * factor, COMMUNITY_PER_DAY * factor
        else:
            hall = poisson(rng, SATURDAY_HALL * factor) if day.weekday() == 5 else 0
            online, street, community = poisson(rng, WEEKEND_ONLINE * factor), 0.0, 0.0
        for _ in range(hall):
            dept = self._pick_dept(rng, "hall_weight")
            desk = rng.choice(layout.hall_desks[dept])
            item = self._pick_item(rng, [i for i in layout.items[dept] if i.spec.offline])
            yield from self._project(rng, day, desk, item, saturday=day.weekday() == 5)
        for desk in layout.street_desks:
            for _ in range(poisson(rng, street)):
                yield from self._project(rng, day, desk, self._pick_item(rng, self.street_items))
        for desk in layout.community_desks:
            for _ in range(poisson(rng, community)):
                yield from self._project(rng, day, desk, self._pick_item(rng, self.community_items))
        for _ in range(online):
            dept = self._pick_dept(rng, "online_weight")
            item = self._pick_item(rng, [i for i in layout.items[dept] if i.spec.online])
            yield from self._project(rng, day, None, item)

    def _pick_dept(self, rng: random.Random, weight: str) -> str:
        depts = data.DEPARTMENTS
        return rng.choices([d.key for d in depts], [getattr(d, weight) for d in depts])[0]

    @staticmethod
    def _pick_item(rng: random.Random, items: list[ItemRef]) -> ItemRef:
        return rng.choices(items, [i.spec.weight for i in items])[0]

    # --- one project (办件): its first service and maybe a later stage -------------------------
    def _project(
        self, rng: random.Random, day: dt.date, desk: Desk | None, item: ItemRef, saturday: bool = False
    ) -> Iterator[Plan]:
        place = desk.kind if desk else "online"
        at = self._moment(rng, day, online=desk is None, saturday=saturday)
        unit_code = desk.unit_code if desk else self.layout.dept_units[item.spec.dept]
        system = "market" if item.spec.dept == "SCJG" and place in ("hall", "online") else "platform"
        key = (unit_code, day)
        self.serial[key] = self.serial.get(key, 0) + 1
        project_no = f"{unit_code.replace('-', '')}{day:%Y%m%d}{self.serial[key]:04d}"
        applicant = self._applicant(rng, item)
        staff_no = rng.choice(desk.staff_nos) if desk and desk.staff_nos else None
        promised = item.spec.promised_days
        minutes = dt.timedelta(minutes=rng.randint(3, 25))
        stage = "1" if rng.random() < 0.12 else "2"
        finished = at + minutes if stage == "1" or promised == 0 else None
        first = RecordInput(
            project_no=project_no,
            service_no=1,
            stage=stage,
            item_code=item.code,
            unit_code=unit_code,
            mode="online" if desk is None else "offline",
            applicant_kind=applicant.kind,
            applicant_name=applicant.name,
            applicant_id_type=applicant.id_type,
            applicant_id_number=applicant.id_number,
            applicant_phone=applicant.phone,
            window_code=desk.window_code if desk else None,
            staff_no=staff_no,
            accepted_at=at if stage == "2" else None,
            finished_at=finished,
            promised_days=promised,
        )
        trouble = item.spec.trouble * self.layout.staff_trouble.get(staff_no or "", 1.0)
        yield Plan(at, system, first, self._rating(rng, first, place, at + minutes, trouble, item))
        if stage == "2" and promised > 0 and rng.random() < 0.3:
            later_day = day + dt.timedelta(days=max(1, round(promised * rng.uniform(0.3, 1.1) * 1.4)))
            later = self._moment(rng, later_day, online=desk is None)
            follow = RecordInput(
                **{
                    **first.__dict__,
                    "service_no": 2,
                    "stage": "4" if rng.random() < 0.7 else "3",
                    "staff_no": rng.choice(desk.staff_nos) if desk and desk.staff_nos else None,
                    "finished_at": later,
                    "extra": {},
                }
            )
            yield Plan(later, system, follow, self._rating(rng, follow, place, later + minutes, trouble, item))

    def _moment(self, rng: random.Random, day: dt.date, *, online: bool, saturday: bool = False) -> dt.datetime:
        if online:
            hour = rng.choices(ONLINE_HOURS, ONLINE_HOUR_WEIGHTS)[0]
            start = dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)
            return start + dt.timedelta(seconds=rng.randrange(3600))
        if saturday or rng.random() < 0.6:  # 上午 8:30–12:00 (Saturday: mornings only)
            start, span = dt.time(8, 30), 210 * 60
        else:  # 下午 14:30–17:30
            start, span = dt.time(14, 30), 180 * 60
        return dt.datetime.combine(day, start, tzinfo=TZ) + dt.timedelta(seconds=rng.randrange(span))

    def _applicant(self, rng: random.Random, item: ItemRef) -> fake.Applicant:
        if rng.random() < self.depts[item.spec.dept].enterprise_share:
            return rng.choice(self.enterprises)
        return rng.choice(self.persons)

    # --- the rating --------------------------------------------------------------------------
    def _rating(
        self, rng: random.Random, record: RecordInput, place: str, served: dt.datetime, trouble: float, item: ItemRef
    ) -> RatingInput | None:
        if rng.random() >= RATED[place]:
            return None
        channels, weights = CHANNELS[place]
        channel = rng.choices(channels, weights)[0]
        at = served + self._delay(rng, channel)
        if channel == 6:  # 电话邀评: an operator calls during office hours
            at = at.replace(hour=rng.randint(9, 16), minute=rng.randrange(60))
        if at > self.now - dt.timedelta(minutes=1):
            return None  # not rated yet
        level = rng.choices((5, 4, 3, 2, 1), (70, 18, 7, 3 * trouble, 2 * trouble))[0]
        reasons, text = self._reasons_and_text(rng, record.mode, level, item)
        dims = self._dimensions(rng, level, reasons) if rng.random() < 0.5 else {}
        if level <= 2 and self._in_words_only(record, channel):
            # What the citizen said, without a reason ticked: a callback operator types the words
            # (电话), or the citizen only wrote (insight attributes these texts).
            text = text or data.SPOKEN_COMPLAINTS[sum(map(ord, record.project_no)) % len(data.SPOKEN_COMPLAINTS)]
            reasons, dims = [], {}
        return RatingInput(level=level, channel=channel, dimensions=dims, reasons=reasons, text=text, evaluated_at=at)

    @staticmethod
    def _in_words_only(record: RecordInput, channel: int) -> bool:
        """Most phone ratings and a sixth of the others carry only words. Decided by the record's
        number, not the shared stream: the rest of the generated year stays as it was."""
        share = 0.7 if channel == 6 else 0.15
        return random.Random(f"words:{record.project_no}:{record.service_no}").random() < share

    @staticmethod
    def _delay(rng: random.Random, channel: int) -> dt.timedelta:
        seconds = {
            4: (5, 180),
            5: (10, 300),
            3: (60, 2400),
            7: (1200, 2 * 86400),
            6: (86400, 6 * 86400),
            1: (120, 3 * 86400),
            2: (120, 3 * 86400),
        }[channel]
        return dt.timedelta(seconds=rng.randint(*seconds))

    def _valid(self, mode: str, level: int) -> list[tuple[str, tuple[int, ...], str, str]]:
        return [i for i in self.layout.indicators if level in i[1] and i[2] in ("", mode)]

    def _reasons_and_text(self, rng: random.Random, mode: str, level: int, item: ItemRef) -> tuple[list[str], str]:
        valid = [i[0] for i in self._valid(mode, level)]
        if level <= 2:
            hot = [c for c in item.spec.hot_reasons if c in valid]
            weights = [0.1 if c in data.RARE_REASONS else 1.0 for c in valid]
            first = rng.choice(hot) if hot and rng.random() < 0.6 else rng.choices(valid, weights)[0]
            reasons = [first]
            if rng.random() < 0.35:
                second = rng.choices(valid, weights)[0]
                if second != first:
                    reasons.append(second)
            text = ""
            if rng.random() < 0.85 and first in data.COMPLAINTS:
                text = rng.choice(data.COMPLAINTS[first])
                if rng.random() < 0.4:
                    text = f"办理{item.spec.name}，{text}"
            return reasons, text
        if not valid or rng.random() >= (0.3 if level == 3 else 0.35):
            reasons = []
        else:
            reasons = list(dict.fromkeys(rng.choices(valid, k=rng.randint(1, 2))))
        if level == 3:
            text = rng.choice(data.BASIC_TEXTS) if rng.random() < 0.1 else ""
        else:
            praise = [t for m, t in data.PRAISE if m in ("", mode)]
            text = rng.choice(praise) if rng.random() < 0.15 else ""
        return reasons, text

    def _dimensions(self, rng: random.Random, level: int, reasons: list[str]) -> dict[str, int | None]:
        blamed = {i[3] for i in self.layout.indicators if i[0] in reasons and i[3]}
        dims: dict[str, int | None] = {}
        for name in DIMENSION_FIELDS:
            if name in blamed:
                dims[name] = level
            elif level >= 4:
                dims[name] = level if rng.random() < 0.9 else level - 1
            else:
                dims[name] = min(5, level + rng.choice((0, 1, 1, 2)))
        return dims
