"""Seed the demo district through the real services, so that every row is encrypted and audited.

``seed_demo()`` builds the organisation (units, windows, staff, items, business systems, console
users), then pushes a year of services as the two business systems would
(``service_record_push``) and submits the citizens' ratings (``intake.services.rating_receive``), which opens
a 待核实 rectification case for every bad one. A second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from calendar import monthrange
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from haochaping.analytics.rollups import rollup_rebuild
from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor, audit_record
from haochaping.demo import data
from haochaping.demo.casework import work_cases
from haochaping.demo.fake import credit_code
from haochaping.demo.integrity import plant_integrity_patterns
from haochaping.demo.problems import plant_common_problems
from haochaping.demo.traffic import TZ, Desk, Generator, ItemRef, Layout, Plan
from haochaping.evaluations.choices import BAD_LEVELS
from haochaping.evaluations.models import Indicator, IndicatorSet
from haochaping.evaluations.selectors import RatingTarget
from haochaping.insight.attribution.services import causes_refresh
from haochaping.insight.services import (
    RecordInput,
    spot_check_results_record,
    supervision_followup_complete,
    supervision_record_create,
)
from haochaping.intake.services import RatingContext, rating_receive
from haochaping.organizations.models import BusinessSystem, Role, Staff, Unit, UnitKind
from haochaping.organizations.qrcodes import qr_code_ensure, qr_place_list, qr_url
from haochaping.organizations.selectors import Scope, scope_for_system
from haochaping.organizations.services import (
    business_system_register,
    console_user_create,
    staff_create,
    unit_create,
    window_create,
)
from haochaping.rectification.models import RectificationCase
from haochaping.service_records.models import ServiceRecord
from haochaping.service_records.services import service_item_create, service_record_push

SEED = 2023_04  # fixed: 平龙政服领办〔2023〕4号. Same seed + same day = same data.
BATCH = 500  # service calls per transaction
DONE_ACTION = "demo:seed:completed"
ROLE_LABELS = dict(Role.choices)


class DemoSeedError(Exception):
    """The database holds a half-built demo district (an interrupted earlier run)."""


@dataclass
class SeedResult:
    created: bool
    records: int = 0
    ratings: int = 0
    bad_ratings: int = 0
    cases: int = 0
    seconds: float = 0.0
    systems: list[tuple[str, str, str]] = field(default_factory=list)  # (name, app_id, secret)
    case_states: dict[str, int] = field(default_factory=dict)  # state label -> count
    qr_urls: list[tuple[str, str]] = field(default_factory=list)  # (place, static QR URL) to try first


def demo_is_seeded() -> bool:
    return AuditEvent.objects.filter(action=DONE_ACTION).exists()


def seed_demo(
    *,
    months: int = 12,
    scale: float = 1.0,
    today: dt.date | None = None,
    out: Callable[[str], None] = print,
) -> SeedResult:
    """Seed the demo district, unless it is already there (then return ``created=False``)."""
    started = time.monotonic()
    if demo_is_seeded():
        return SeedResult(created=False)
    if Unit.objects.filter(code=data.HALL_CODE).exists():
        raise DemoSeedError("演示数据不完整（上次导入中断）。请删除数据库，重新执行 migrate 后再导入。")
    actor = Actor.cli("seed_demo")
    now = timezone.now()
    today = today or timezone.localtime(now, TZ).date()
    out(f"正在创建演示区县：{data.DISTRICT_NAME}（{data.DISTRICT_CODE}）……")
    with transaction.atomic():
        layout, systems = _build_organisation(actor)
    start = _months_before(today, months) + dt.timedelta(days=1)
    plans = Generator(layout, seed=SEED, now=now, scale=scale).plans(start, today)
    out(f"正在导入 {start:%Y-%m-%d} 至 {today:%Y-%m-%d} 的办件 {len(plans)} 条及其评价……")
    result = _push(plans, systems, out)
    plant_integrity_patterns(result, systems=systems, today=today, now=now)  # 评价质量线索 (demo/integrity.py)
    out("正在模拟差评工单的核实、整改、反馈和回访……")
    result.case_states = work_cases(now=now, seed=SEED + 1, out=out)
    result.qr_urls = _qr_codes(actor)
    _supervision_records(today, seed=SEED + 2)
    plant_common_problems(result, now=now, seed=SEED + 3, out=out)  # 共性问题 (制度第十一条)
    out("正在生成统计汇总（综合分析、排名所用）……")
    rollup_rebuild()
    causes_refresh()  # the attribution of the bad ratings (insight.attribution, 差评归因分析)
    result.systems = [(s.name, s.app_id, secret) for s, secret in systems.values()]
    audit_record(
        actor=actor,
        action=DONE_ACTION,
        target_type="demo",
        target_id=data.DISTRICT_CODE,
        data={"records": result.records, "ratings": result.ratings, "cases": result.cases, "months": months},
    )
    result.seconds = time.monotonic() - started
    return result


def _supervision_records(today: dt.date, *, seed: int) -> None:
    """The centre's supervision (制度第十条) of the last month: a spot check of the two departments
    with the most closed cases, a site visit with a follow-up still open and a callback check
    whose follow-up is done (``insight.services``, audited)."""
    rng = random.Random(seed)
    actor = Actor.cli("seed_demo")
    supervisor = get_user_model().objects.get(username="zhongxin")
    scope = Scope(unit_path=Unit.objects.get(code=data.DISTRICT_CODE).path, role=Role.SUPERVISOR)
    last = today.replace(day=1) - dt.timedelta(days=1)
    first = last.replace(day=1)
    held_on = last  # in last month: its 通报 (the one generated on the 1st) counts them
    closed = (
        RectificationCase.objects.filter(state="closed", closed_at__date__gte=first, closed_at__date__lte=last)
        .values("unit")
        .annotate(n=Count("id"))
        .order_by("-n", "unit")
    )
    units = Unit.objects.in_bulk([row["unit"] for row in closed[:2]])
    with transaction.atomic():
        for unit in units.values():
            record = supervision_record_create(
                actor=actor,
                scope=scope,
                user=supervisor,
                seed=f"demo-{unit.code}-{first:%Y%m}",
                data=RecordInput(
                    kind="spot_check", unit=unit, held_on=held_on, inspector="区政务服务中心督查科",
                    period_first=first, period_last=last, sample_size=5,
                ),
            )  # fmt: skip
            results = {item.pk: ("passed", "") for item in record.items.all()}
            if results and rng.random() < 0.5:
                results[min(results)] = ("failed", "整改反馈未附佐证材料")
            spot_check_results_record(
                actor=actor,
                scope=scope,
                record=record,
                results=results,
                findings="抽查工单整改规范，个别缺少佐证材料。",
            )
        departments = list(
            Unit.objects.filter(kind=UnitKind.DEPARTMENT, path__startswith=scope.unit_path).order_by("code")
        )
        if departments:
            supervision_record_create(
                actor=actor, scope=scope, user=supervisor,
                data=RecordInput(
                    kind="site_visit", unit=rng.choice(departments), held_on=held_on, inspector="区政务服务中心督查科",
                    findings="窗口未摆放评价器使用说明，工作人员未主动请评价。",
                    followup_required="在窗口摆放评价说明，办结后主动提醒群众评价。",
                    followup_due=held_on + dt.timedelta(days=15),
                ),
            )  # fmt: skip
            callback = supervision_record_create(
                actor=actor, scope=scope, user=supervisor,
                data=RecordInput(
                    kind="callback", unit=rng.choice(departments), held_on=held_on, inspector="区政务服务中心督查科",
                    findings="回访 5 名差评群众，1 名反映整改反馈未送达。",
                    followup_required="补发整改反馈短信。", followup_due=held_on + dt.timedelta(days=5),
                ),
            )  # fmt: skip
            supervision_followup_complete(actor=actor, scope=scope, record=callback, note="已补发整改反馈短信。")


def _months_before(day: dt.date, months: int) -> dt.date:
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month0 + 1, min(day.day, monthrange(year, month0 + 1)[1]))


# --- organisation ----------------------------------------------------------------------------
def _build_organisation(actor: Actor) -> tuple[Layout, dict[str, tuple[BusinessSystem, str]]]:
    """The district's units, windows, staff, items, users and business systems; the layout that
    the traffic generator draws services from. Deterministic: the same seed, the same district."""
    rng = random.Random(f"{SEED}:organisation")
    district = Unit.objects.filter(code=data.DISTRICT_CODE).first() or unit_create(
        actor=actor,
        code=data.DISTRICT_CODE,
        name=data.DISTRICT_NAME,
        kind=UnitKind.DISTRICT,
        division_code=data.DISTRICT_CODE,
        credit_code=credit_code("11" + data.DISTRICT_CODE, data.DISTRICT_ORG_BODY),
    )
    hall = unit_create(
        actor=actor,
        code=data.HALL_CODE,
        name=data.HALL_NAME,
        kind=UnitKind.CENTER,
        parent=district,
        division_code=data.DISTRICT_CODE,
        credit_code=credit_code("12" + data.DISTRICT_CODE, data.HALL_ORG_BODY),
    )
    people = _People(names=iter(data.STAFF_NAMES), numbers=iter(range(1, 100)))
    layout = Layout(dept_units={}, items={}, hall_desks={}, street_desks=[], community_desks=[], indicators=[])
    depts = _create_departments(actor, district=district, hall=hall, people=people, layout=layout)
    _create_streets(actor, district=district, first_no=len(depts) + 1, people=people, layout=layout, rng=rng)
    _create_items(actor, depts, layout)
    layout.indicators = _active_indicators()
    layout.staff_trouble = _staff_trouble(layout, rng)
    systems = {
        "platform": business_system_register(actor=actor, name=data.SYSTEM_PLATFORM),
        "market": business_system_register(actor=actor, name=data.SYSTEM_MARKET, unit=depts["SCJG"]),
    }
    _create_users(actor, district, depts, layout.hall_desks["SCJG"][0].staff_nos[0])
    return layout, systems


@dataclass
class _People:
    """Hands out the demo staff's names and numbers in order (SL + unit number + sequence)."""

    names: Iterator[str]
    numbers: Iterator[int]

    def create(self, actor: Actor, *, unit_no: int, unit: Unit, window=None) -> Staff:
        staff_no = f"SL{unit_no:02d}{next(self.numbers):02d}"
        return staff_create(actor=actor, staff_no=staff_no, name=next(self.names), unit=unit, window=window)


def _create_departments(
    actor: Actor, *, district: Unit, hall: Unit, people: _People, layout: Layout
) -> dict[str, Unit]:
    """The departments, each with its windows in the hall and the staff on duty there."""
    depts: dict[str, Unit] = {}
    window_no = 0
    for unit_no, dept in enumerate(data.DEPARTMENTS, start=1):
        unit = unit_create(
            actor=actor,
            code=f"{data.DISTRICT_CODE}-{dept.key}",
            name=dept.name,
            kind=UnitKind.DEPARTMENT,
            parent=district,
            division_code=data.DISTRICT_CODE,
            credit_code=credit_code("11" + data.DISTRICT_CODE, dept.org_body),
        )
        depts[dept.key] = unit
        layout.dept_units[dept.key] = unit.code
        layout.hall_desks[dept.key] = []
        for label, staff_count in dept.windows:
            window_no += 1
            window = window_create(
                actor=actor,
                code=f"{data.HALL_CODE}-W{window_no:02d}",
                name=f"{window_no}号窗口（{label}）",
                unit=hall,
                department=unit,
            )
            staff = [
                people.create(actor, unit_no=unit_no, unit=unit, window=window).staff_no for _ in range(staff_count)
            ]
            layout.hall_desks[dept.key].append(Desk("hall", unit.code, window.code, tuple(staff), dept.key))
    return depts


def _create_streets(
    actor: Actor, *, district: Unit, first_no: int, people: _People, layout: Layout, rng: random.Random
) -> None:
    """The street service centres (one window, two staff) and their community service points."""
    for street_no, (street_name, division, communities) in enumerate(data.STREETS, start=first_no):
        street = unit_create(
            actor=actor,
            code=division[:9],
            name=f"{street_name}便民服务中心",
            kind=UnitKind.STREET_CENTER,
            parent=district,
            division_code=division,
            credit_code=credit_code("11" + data.DISTRICT_CODE, f"MB{rng.randrange(10**6):06d}"),
        )
        window = window_create(actor=actor, code=f"{street.code}-W01", name="综合受理窗口", unit=street)
        staff = [people.create(actor, unit_no=street_no, unit=street, window=window) for _ in range(2)]
        layout.street_desks.append(Desk("street", street.code, window.code, tuple(s.staff_no for s in staff)))
        for community_name, community_division in communities:
            point = unit_create(
                actor=actor,
                code=community_division,
                name=f"{community_name}便民服务点",
                kind=UnitKind.COMMUNITY_POINT,
                parent=street,
                division_code=community_division,
            )
            person = people.create(actor, unit_no=street_no, unit=point)
            layout.community_desks.append(Desk("community", point.code, None, (person.staff_no,)))


def _active_indicators() -> list[tuple[str, tuple[int, ...], str, str]]:
    """The reasons a rating may cite: those of the active set, as the rating intake checks them."""
    active_set = IndicatorSet.objects.filter(is_active=True).order_by("-loaded_at").first()
    return [
        (i.code, tuple(i.levels), i.mode, i.dimension)
        for i in Indicator.objects.filter(indicator_set=active_set).order_by("code")
    ]


def _staff_trouble(layout: Layout, rng: random.Random) -> dict[str, float]:
    """How much each staff member's services draw bad ratings; two draw the complaints."""
    all_staff = [no for desks in layout.hall_desks.values() for d in desks for no in d.staff_nos]
    all_staff += [no for d in layout.street_desks + layout.community_desks for no in d.staff_nos]
    trouble = {no: rng.choice((0.6, 0.8, 1.0, 1.0, 1.0, 1.2)) for no in all_staff}
    for no in rng.sample(all_staff, 2):  # two staff members the complaints concentrate on
        trouble[no] = 2.5
    return trouble


def _create_items(actor: Actor, depts: dict[str, Unit], layout: Layout) -> None:
    seq: dict[str, int] = {}
    for spec in data.ITEMS:
        dept = depts[spec.dept]
        seq[spec.dept] = seq.get(spec.dept, 0) + 1
        code = f"{dept.credit_code}{spec.item_type}{seq[spec.dept]:04d}"  # 18 + 2 + 4 = 24
        service_item_create(
            actor=actor,
            code=code,
            name=spec.name,
            item_type=spec.item_type,
            department=dept,
            online=spec.online,
            offline=spec.offline,
            promised_days=spec.promised_days,
        )
        layout.items.setdefault(spec.dept, []).append(ItemRef(code, spec))


def _create_users(actor: Actor, district: Unit, depts: dict[str, Unit], clerk_staff_no: str) -> None:
    for username, display, unit_key, role, superuser in data.USERS:
        staff = Staff.objects.get(staff_no=clerk_staff_no) if role == Role.WINDOW_CLERK else None
        console_user_create(
            actor=actor,
            username=username,
            password=data.DEMO_PASSWORD,
            unit=depts[unit_key] if unit_key else district,
            role=role,
            staff=staff,
            display_name=display or (staff.name if staff else ""),
            is_superuser=superuser,
        )


# --- traffic ---------------------------------------------------------------------------------
def _push(plans: list[Plan], systems: dict[str, tuple[BusinessSystem, str]], out: Callable[[str], None]) -> SeedResult:
    result = SeedResult(created=True)
    actors = {key: Actor.for_system(s) for key, (s, _) in systems.items()}
    scopes = {key: scope_for_system(s) for key, (s, _) in systems.items()}
    operator = get_user_model().objects.get(username="huifang")
    citizen, by_phone = Actor.citizen(), Actor.for_user(operator)
    for offset in range(0, len(plans), BATCH):
        with transaction.atomic():
            records, bad = [], []
            for plan in plans[offset : offset + BATCH]:
                system = systems[plan.system][0]
                record = service_record_push(
                    system=system, actor=actors[plan.system], scope=scopes[plan.system], data=plan.record
                ).record
                record.created_at = plan.at
                records.append(record)
                if plan.rating is None:
                    continue
                online = plan.rating.channel in (1, 2)  # rated on the platform's own pages
                actor = actors[plan.system] if online else by_phone if plan.rating.channel == 6 else citizen
                evaluation = rating_receive(
                    target=RatingTarget(record),
                    data=plan.rating,
                    context=RatingContext(actor=actor, system=system if online else None),
                ).evaluation
                result.ratings += 1
                if evaluation.level in BAD_LEVELS:
                    bad.append(evaluation)
            # The records arrived over the year, not today: backdate their reception time.
            ServiceRecord.objects.bulk_update(records, ["created_at"], batch_size=250)
            result.records += len(records)
            result.bad_ratings += len(bad)
        if (offset // BATCH) % 6 == 5:
            out(f"  已导入 {result.records} / {len(plans)} 条")
    for key, (system, _) in systems.items():
        last = max((p.at for p in plans if p.system == key), default=None)
        BusinessSystem.objects.filter(pk=system.pk).update(last_seen_at=last)
    result.cases = RectificationCase.objects.filter(evaluation__isnull=False).count()
    return result


def _qr_codes(actor: Actor) -> list[tuple[str, str]]:
    """A static QR code for every window, the hall, street centres and community points (as a
    district would have printed and posted them); returns two to try first."""
    district = Unit.objects.get(code=data.DISTRICT_CODE)
    places = qr_place_list(scope=Scope(unit_path=district.path))
    codes = {}
    with transaction.atomic():
        for place in places:
            codes[place.ref] = (place, qr_code_ensure(actor=actor, place=place))
    clerk_window = Staff.objects.get(membership__user__username="chuangkou").window
    shown = [ref for ref, (place, _) in codes.items() if place.window is not None and place.window == clerk_window]
    shown += [
        ref for ref, (place, _) in codes.items() if place.unit is not None and place.unit.kind == UnitKind.STREET_CENTER
    ][:1]
    return [(codes[ref][0].name, qr_url(codes[ref][1])) for ref in shown]


# --- output ----------------------------------------------------------------------------------
def login_rows() -> list[tuple[str, str, str, str, str]]:
    """(username, password, role, unit, name) of the demo console users that exist."""
    rows = []
    usernames = [u[0] for u in data.USERS]
    users = get_user_model().objects.filter(username__in=usernames).select_related("membership__unit")
    by_name = {u.username: u for u in users}
    for username in usernames:
        user = by_name.get(username)
        if user is None:
            continue
        membership = user.membership
        role = ROLE_LABELS[membership.role] + ("，超级管理员" if user.is_superuser else "")
        rows.append((username, data.DEMO_PASSWORD, role, membership.unit.name, user.first_name))
    return rows


def systems_text(result: SeedResult) -> str:
    lines = ["# 演示业务系统接入凭据（仅供演示，切勿用于生产）"]
    for name, app_id, secret in result.systems:
        lines += [f"[{name}]", f"app_id = {app_id}", f"secret = {secret}", ""]
    return "\n".join(lines)


def write_systems_file(result: SeedResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(systems_text(result), encoding="utf-8")
    path.chmod(0o600)
