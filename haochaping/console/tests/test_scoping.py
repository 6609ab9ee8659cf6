"""Walks every console route with users of two units, a clerk, a user without a role and an
anonymous visitor, and proves that nobody reads outside their scope."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from openpyxl import load_workbook

from haochaping.analytics.periods import Period
from haochaping.analytics.rollups import rollup_refresh
from haochaping.analytics.services import report_generate
from haochaping.audit.services import Actor
from haochaping.evaluations.models import IndicatorSet
from haochaping.insight.attribution.services import causes_refresh
from haochaping.insight.integrity import Finding, flag_record
from haochaping.insight.services import RecordInput, supervision_record_create
from haochaping.organizations.administration.rules import PLATFORM
from haochaping.organizations.administration.staff import staff_photo_set
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Scope
from haochaping.organizations.services import business_system_register
from haochaping.testing import login, pair_tablet
from haochaping.testing_world import PLAINTEXT, PNG, attach_evidence, common_problems_world, outreach_world

PUBLIC = {"login", "logout", "password_link"}  # password_link: a one-time link's page, no login
# Every route with an id names the World attributes of its unit-A and unit-B object. A new
# detail route fails test_every_console_route_is_walked until it is added here.
DETAIL = {
    "evaluation_detail": ("eval_a", "eval_b"),
    "case_detail": ("case_a", "case_b"),
    "case_attachment": ("attachment_a", "attachment_b"),
    "outreach_task_detail": ("task_a", "task_b"),
    "outreach_demand_detail": ("demand_a", "demand_b"),
    "outreach_promote_evaluation": ("eval_a", "eval_b"),
    "device_detail": ("device_a", "device_b"),
    "record_rating_request": ("record_a_unrated", "record_b_unrated"),
    "analytics_report_detail": ("report_a", "report_b"),
    "analytics_report_docx": ("report_a", "report_b"),
    "analytics_report_xlsx": ("report_a", "report_b"),
    "analytics_report_chart": ("report_a", "report_b"),
    "item_edit": ("item_a", "item_b"),
    "system_detail": ("system_a", "system_b"),
    "analytics_system_usage": ("system_a", "system_b"),
    "unit_detail": ("unit_a", "unit_b"),
    "window_detail": ("window_a", "window_b"),
    "window_items": ("window_a", "window_b"),
    "staff_detail": ("staff_a", "staff_b"),
    "staff_photo": ("staff_a", "staff_b"),
    "account_detail": ("account_a", "account_b"),
    "insight_supervision_detail": ("supervision_a", "supervision_b"),
    "insight_integrity_detail": ("integrity_a", "integrity_b"),
    "insight_problem_detail": ("problem_a", "problem_b"),
    "insight_problem_attachment": ("problem_attachment_a", "problem_attachment_b"),
    "insight_proposal_detail": ("proposal_a", "proposal_b"),
}
# Routes with an id that only take a POST (an action, no page): the same pairs, posted.
POST_ONLY = {
    "tablet_pause": ("device_a", "device_b"),
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(world, cast):
    """The console world plus one evidence file on each unit's case (an invalidity request:
    both cases stay open, and case A stays overdue) and a paired tablet at each unit's window."""
    world.attachment_a = attach_evidence(cast, "admin_a", world.case_a)
    world.attachment_b = attach_evidence(cast, "admin_b", world.case_b)
    outreach_world(cast, world)  # an invitation task and a demand per unit (outreach pages)
    causes_refresh()  # the bad ratings' causes (insight/console/attribution.py)
    # A paired tablet at each unit's window (organizations/console/devices.py).
    world.device_a = pair_tablet(cast.window_a, "A 窗口评价器")[0]
    world.device_b = pair_tablet(cast.window_b, "B 窗口评价器")[0]
    # A draft 通报 of each unit for this month (analytics/console/reports.py).
    period = Period.of("month", timezone.localdate())
    world.report_a = report_generate(unit=cast.unit_a, period=period, actor=Actor.cli("tests"))
    world.report_b = report_generate(unit=cast.unit_b, period=period, actor=Actor.cli("tests"))
    # Each unit's 事项 and business system (service_records/console/items.py, organizations/console/systems.py).
    world.item_a, world.item_b = cast.item_a, cast.item_b
    world.system_a = cast.system_a
    world.system_b = business_system_register(actor=Actor.cli("tests"), name="社保经办系统", unit=cast.unit_b)[0]
    # The administration pages (organizations/console/units.py, windows.py, staff.py, accounts.py):
    # each unit's own row, a staff photo on each side, the clerks' accounts.
    world.unit_a, world.unit_b = cast.unit_a, cast.unit_b
    world.window_a, world.window_b = cast.window_a, cast.window_b
    world.staff_a, world.staff_b = cast.staff_a, cast.staff_b
    for person in (cast.staff_a, cast.staff_b):
        staff_photo_set(actor=Actor.cli("tests"), scope=PLATFORM, staff=person, content=PNG)
    world.account_a, world.account_b = cast.users["clerk_a"], cast.users["clerk_b"]
    # A supervision record (an archive review with a follow-up) of each unit (insight/console/supervision.py).
    world.supervision_a, world.supervision_b = (
        supervision_record_create(
            actor=Actor.cli("tests"),
            scope=Scope(unit_path=cast.district.path, role=Role.SUPERVISOR),
            data=RecordInput(
                kind="archive_review",
                unit=unit,
                held_on=timezone.localdate(),
                inspector="督查组",
                findings="档案齐全",
                followup_required="补齐回访记录",
                followup_due=timezone.localdate(),
            ),
        )
        for unit in (cast.unit_a, cast.unit_b)
    )
    # A rating-integrity flag of each unit (insight/console/integrity.py).
    world.integrity_a, world.integrity_b = (
        flag_record(
            Finding(kind="default_concentration", unit_id=unit.pk, subject_type="unit", subject_key=str(unit.pk),
                    subject_label=unit.name, first_at=timezone.now(), last_at=timezone.now(),
                    summary=f"{unit.name}默认评价集中", counts={}, example_ids=[]),
            actor=Actor.cli("tests"), now=timezone.now(),
        )[0]
        for unit in (cast.unit_a, cast.unit_b)
    )  # fmt: skip
    # A common problem of each unit, from its proposal (insight/console/problems.py).
    common_problems_world(cast, world)
    return world


def text_of(response) -> str:
    """What a user receives, as searchable text: a page's HTML, a workbook's cells, a file's bytes."""
    body = response.getvalue()  # a streamed file is read to its end, which closes it
    if response.get("Content-Type") == XLSX:
        book = load_workbook(BytesIO(body))
        return "\n".join(str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row
                         if cell.value is not None)  # fmt: skip
    return body.decode("utf-8", errors="replace")


def console_routes() -> list[tuple[str, list[str]]]:
    """Every named console route, included modules flattened, with its URL parameters."""

    def walk(patterns, converters):
        for p in patterns:
            params = {**converters, **p.pattern.converters}
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, params)
            else:
                yield p.name, list(params)

    # The ``console`` namespace: the shell's pages and every app's, as haochaping/urls.py mounts them.
    console = get_resolver().namespace_dict["console"][1]
    return list(walk(console.url_patterns, {}))


# Platform-wide settings pages: not unit data, supervisors only (everyone else gets 403).
SUPERVISOR_ONLY = {
    "message_templates": {},
    "message_template_edit": {"code": "case_feedback"},
    "outreach_categories": {},
    "outreach_category_edit": {"code": "process"},
    "analytics_report_template": {},
    "analytics_report_template_download": {},
    # The centre's reference data (a supervisor of the root unit): 工作日历, 评价指标体系.
    "calendar": {},
    "calendar_day": {"day": "2027-02-06"},
    "calendar_import": {},
    "calendar_template": {},
    "indicator_sets": {},
    "indicator_set_import": {},
    "indicator_set_detail": lambda: {"pk": IndicatorSet.objects.get(is_active=True).pk},
    "system_new": {},
    "insight_supervision_new": {},  # only supervisors record supervision (insight/console/supervision.py)
    "unit_new": {},  # only the centre adds units (the unit tree itself is readable by department admins)
}
# The centre's actions (POST only): a GET is 405, anyone else's POST the 403 page.
CENTRE_ACTIONS = {
    "calendar_day_add": {},
    "calendar_day_delete": {"day": "2027-02-06"},
    "indicator_set_activate": lambda: {"pk": IndicatorSet.objects.get(is_active=True).pk},
}


def kwargs_of(kwargs) -> dict:
    return kwargs() if callable(kwargs) else kwargs


# Routes without an id that only take a POST (an action on the caller's own scope, no page).
ACTIONS = {"analytics_refresh", "import_confirm", "insight_integrity_detect", "insight_problems_detect",
           "account_links_batch"}  # fmt: skip


def list_urls() -> list[str]:
    return [reverse(f"console:{name}") for name, params in console_routes()
            if not params and name not in PUBLIC and name not in SUPERVISOR_ONLY
            and name not in ACTIONS and name not in CENTRE_ACTIONS]  # fmt: skip


def test_actions_take_no_get(cast):
    client = login(Client(), cast, "supervisor")
    for name in ACTIONS:
        assert client.get(reverse(f"console:{name}")).status_code == 405, name


def detail_url(name: str, obj) -> str:
    return reverse(f"console:{name}", kwargs={"pk": obj.pk})


def all_urls(world) -> list[str]:
    urls = list_urls()
    for name, (a, b) in DETAIL.items():
        urls += [detail_url(name, getattr(world, a)), detail_url(name, getattr(world, b))]
    return urls


def test_every_console_route_is_walked():
    routes = console_routes()
    assert {name for name, _ in routes} >= PUBLIC | {"home", "record_list", "evaluation_list", "case_list"}
    for name, params in routes:
        if params and name not in SUPERVISOR_ONLY and name not in CENTRE_ACTIONS:
            assert name in DETAIL or name in POST_ONLY, (
                f"console:{name} takes {params}: add it to DETAIL in test_scoping.py"
            )
            assert params == ["pk"]


def test_settings_pages_are_for_supervisors_only(cast):
    for name, kwargs in SUPERVISOR_ONLY.items():
        url = reverse(f"console:{name}", kwargs=kwargs_of(kwargs))
        for who in ("admin_a", "clerk_a", "operator", "auditor"):
            assert login(Client(), cast, who).get(url).status_code == 403, (who, url)
        assert login(Client(), cast, "supervisor").get(url).status_code == 200, url


def test_centre_actions_take_no_get_and_refuse_everyone_else(cast):
    for name, kwargs in CENTRE_ACTIONS.items():
        url = reverse(f"console:{name}", kwargs=kwargs_of(kwargs))
        assert login(Client(), cast, "supervisor").get(url).status_code == 405, url
        for who in ("admin_a", "clerk_a", "operator", "auditor"):
            assert login(Client(), cast, who).post(url, {"date": "2027-02-06", "kind": "rest"}).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(world):
    client = Client()
    for url in all_urls(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('console:login')}?next={url}", url


def test_a_login_without_a_role_gets_a_chinese_403_everywhere(world):
    get_user_model().objects.create_user(username="norole", password="pass-12345-word")
    client = Client()
    assert client.login(username="norole", password="pass-12345-word")
    for url in all_urls(world):
        response = client.get(url)
        assert response.status_code == 403, url
        html = text_of(response)
        assert "无权访问" in html and "未分配单位和角色" in html, url
        assert "SCJG2026110001" not in html and "RSJ2026110001" not in html, url


def own_and_foreign(world, own: str):
    project_nos = {
        "a": ["SCJG2026110001", "SCJG2026110002", "SCJG2026110003", world.case_a.number],
        "b": ["RSJ2026110001", "RSJ2026110002", world.case_b.number],
    }
    return project_nos[own], project_nos["b" if own == "a" else "a"]


@pytest.mark.parametrize(("who", "own", "foreign_unit"), [("admin_a", "a", "unit_b"), ("admin_b", "b", "unit_a")])
def test_a_department_admin_sees_nothing_of_another_unit(cast, world, who, own, foreign_unit):
    client = login(Client(), cast, who)
    _, foreign = own_and_foreign(world, own)
    foreign_name = getattr(cast, foreign_unit).name
    for url in list_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        html = text_of(response)
        for number in foreign:
            assert number not in html, (url, number)
        assert foreign_name not in html, url  # not in rows, not in the unit filter either
        # Filtering by the other unit's code is refused and still shows only own rows.
        response = client.get(url, {"unit": getattr(cast, foreign_unit).code})
        filtered = text_of(response)  # read once: an export is a stream
        for number in foreign:
            assert number not in filtered, (url, number)
    for name, (a, b) in DETAIL.items():
        mine, theirs = (a, b) if own == "a" else (b, a)
        response = client.get(detail_url(name, getattr(world, mine)))
        assert response.status_code == 200, name
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        text_of(response)
        response = client.get(detail_url(name, getattr(world, theirs)))
        assert response.status_code == 404, name
        assert "未找到该记录" in text_of(response)
        # Nor can it be acted on: a step posted to another unit's case is a 404 too.
        if name == "case_detail":
            response = client.post(detail_url(name, getattr(world, theirs)), {"action": "verify", "text": "越权"})
            assert response.status_code == 404
    for name, (a, b) in POST_ONLY.items():
        mine, theirs = (a, b) if own == "a" else (b, a)
        assert client.post(detail_url(name, getattr(world, mine)), {"paused": "0"}).status_code == 302, name
        response = client.post(detail_url(name, getattr(world, theirs)), {"paused": "1"})
        assert response.status_code == 404, name


def test_a_department_admin_sees_all_of_their_own_unit(cast, world):
    client = login(Client(), cast, "admin_a")
    html = client.get(reverse("console:record_list")).content.decode()
    for number in ("SCJG2026110001", "SCJG2026110002", "SCJG2026110003"):
        assert number in html
    html = client.get(reverse("console:evaluation_list")).content.decode()
    assert "SCJG2026110001" in html and "SCJG2026110002" in html


def test_a_window_clerk_sees_only_their_own_services_and_never_the_evaluator(cast, world):
    client = login(Client(), cast, "clerk_a")
    records = client.get(reverse("console:record_list")).content.decode()
    assert "SCJG2026110001" in records and "SCJG2026110003" in records
    assert "SCJG2026110002" not in records  # unit A, but served by nobody in particular
    evaluations = client.get(reverse("console:evaluation_list"))
    assert [e.pk for e in evaluations.context["page_obj"]] == [world.eval_a.pk]
    cases = client.get(reverse("console:case_list"))
    assert [c.pk for c in cases.context["page_obj"]] == [world.case_a.pk]
    rollup_refresh()  # the minute job: their rating of 20 days ago is read from the rollups
    home = client.get(reverse("console:home"))
    assert home.context["total"].services == 2
    assert home.context["total"].ratings == 1
    assert client.get(detail_url("evaluation_detail", world.eval_a)).status_code == 200
    assert client.get(detail_url("case_detail", world.case_a)).status_code == 200
    assert client.get(detail_url("evaluation_detail", world.eval_a_nostaff)).status_code == 404
    assert client.get(detail_url("evaluation_detail", world.eval_b)).status_code == 404
    assert client.get(detail_url("case_detail", world.case_b)).status_code == 404
    # Their own case's evidence may identify the evaluator: not for them; another unit's: not found.
    assert client.get(detail_url("case_attachment", world.attachment_a)).status_code == 403
    assert client.get(detail_url("case_attachment", world.attachment_b)).status_code == 404
    masked = [world.eval_a.evaluator_name_masked, world.eval_a.evaluator_phone_masked]
    for url in all_urls(world):
        html = text_of(client.get(url))
        for value in masked + PLAINTEXT:
            assert value not in html, (url, value)
        assert "评价人</th>" not in html and "<dt>评价人</dt>" not in html, url
        assert "申请人</th>" not in html, url


def test_the_home_figures_count_only_the_callers_scope(cast, world):
    expected = {
        "supervisor": (5, 3, 2, 2, 1),
        "admin_a": (3, 2, 1, 1, 1),
        "admin_b": (2, 1, 1, 1, 0),
    }
    rollup_refresh()  # the minute job: A's rating of 20 days ago is read from the rollups
    for who, (services, ratings, bad, open_cases, overdue) in expected.items():
        context = login(Client(), cast, who).get(reverse("console:home")).context
        assert context["total"].services == services, who
        assert context["total"].ratings == ratings, who
        assert context["total"].bad == bad, who
        assert context["cases"] == {"open": open_cases, "overdue": overdue}, who


def test_no_page_ever_shows_plaintext_identity(cast, world):
    for who in ("supervisor", "admin_a", "admin_b", "operator", "auditor"):
        client = login(Client(), cast, who)
        for url in all_urls(world):
            html = text_of(client.get(url))
            for value in PLAINTEXT:
                assert value not in html, (who, url, value)
