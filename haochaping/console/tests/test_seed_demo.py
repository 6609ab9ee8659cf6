"""The demo seed: a small run through the real services, checked end to end."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import audit_verify
from haochaping.demo import data
from haochaping.demo.seed import seed_demo
from haochaping.evaluations.models import Evaluation
from haochaping.insight.models import BadRatingCause
from haochaping.notifications.models import Notification
from haochaping.organizations.models import BusinessSystem, Membership, Role, Staff, Unit, UnitKind, Window
from haochaping.rectification.models import CaseState, RectificationCase
from haochaping.rectification.workflow import Action
from haochaping.service_records.models import ServiceItem, ServiceRecord

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    models = (Unit, Window, Staff, ServiceItem, BusinessSystem, ServiceRecord, Evaluation, RectificationCase)
    counts = {m.__name__: m.objects.count() for m in models}
    counts["users"] = get_user_model().objects.count()
    counts["audit"] = AuditEvent.objects.count()
    return counts


@pytest.fixture
def seeded(settings):
    settings.RECTIFICATION_DAYS = 15
    result = seed_demo(months=1, scale=0.2, out=lambda _: None)
    assert result.created
    return result


def test_organisation_systems_and_users(seeded):
    kinds = {kind: Unit.objects.filter(kind=kind).count() for kind in UnitKind.values}
    assert kinds == {"district": 1, "center": 1, "department": 10, "street_center": 4, "community_point": 10}
    assert Window.objects.filter(unit__code=data.HALL_CODE, department__isnull=False).count() == 16
    assert Window.objects.filter(unit__kind=UnitKind.STREET_CENTER).count() == 4
    assert Staff.objects.count() >= 40
    assert ServiceItem.objects.count() >= 40
    assert all(len(code) <= 24 for code in ServiceItem.objects.values_list("code", flat=True))
    assert set(BusinessSystem.objects.values_list("name", flat=True)) == {data.SYSTEM_PLATFORM, data.SYSTEM_MARKET}
    assert {name for name, *_ in seeded.systems} == {data.SYSTEM_PLATFORM, data.SYSTEM_MARKET}

    roles = dict(Membership.objects.values_list("user__username", "role"))
    # Every other unit that handles cases gets a (login-less) department admin of its own.
    assert all(role == Role.DEPT_ADMIN for name, role in roles.items() if name.startswith("gly-"))
    roles = {name: role for name, role in roles.items() if not name.startswith("gly-")}
    assert roles == {
        "zhongxin": Role.SUPERVISOR,
        "shichang": Role.DEPT_ADMIN,
        "chuangkou": Role.WINDOW_CLERK,
        "renshe": Role.DEPT_ADMIN,
        "huifang": Role.OPERATOR,
        "huifang2": Role.OPERATOR,  # the 回访员 of the planted integrity pattern (demo/integrity.py)
    }
    clerk = Membership.objects.select_related("staff__unit").get(user__username="chuangkou")
    assert clerk.staff is not None and clerk.staff.unit.code == f"{data.DISTRICT_CODE}-SCJG"
    assert get_user_model().objects.get(username="zhongxin").is_superuser
    assert get_user_model().objects.get(username="shichang").check_password(data.DEMO_PASSWORD)


def test_records_and_ratings_went_through_the_services(seeded):
    records = ServiceRecord.objects.count()
    assert records == seeded.records > 100
    assert Evaluation.objects.count() == seeded.ratings
    assert set(ServiceRecord.objects.values_list("mode", flat=True)) == {"online", "offline"}
    assert not ServiceRecord.objects.filter(system__isnull=True).exists()
    # one audit event per record, per rating and per case
    for action, expected in (
        ("service_records:record:created", records),
        ("evaluations:evaluation:created", seeded.ratings),
        ("rectification:case:opened", seeded.cases),
    ):
        assert AuditEvent.objects.filter(action=action).count() == expected
    assert audit_verify().ok


def test_every_bad_rating_has_one_case_worked_through_the_workflow(seeded):
    bad = list(Evaluation.objects.filter(level__lte=2).select_related("case"))
    assert bad, "the small run should still produce bad ratings"
    assert any(not e.reasons for e in bad) and any(e.reasons for e in bad)
    assert RectificationCase.objects.count() == len(bad) == seeded.bad_ratings == seeded.cases
    for evaluation in bad:
        case = evaluation.case
        # Reasons ticked, or only words (phone ratings mostly, insight attributes them).
        assert (1 <= len(evaluation.reasons) <= 2) or (not evaluation.reasons and evaluation.text)
        day = evaluation.evaluated_at.astimezone(SHANGHAI).date() + dt.timedelta(days=15)
        assert case.original_due_at == dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=SHANGHAI)
        assert case.opened_at == evaluation.evaluated_at
        steps = list(case.actions.order_by("occurred_at", "id"))
        assert steps[0].action == "opened"
        # Each step starts where the previous one ended, in time order, never in the future.
        moves = [step for step in steps if step.from_state]  # transitions, not watch events
        assert all(before.occurred_at <= after.occurred_at for before, after in itertools.pairwise(steps))
        for before, after in itertools.pairwise(moves):
            assert before.to_state == after.from_state
        assert all(step.occurred_at <= dt.datetime.now(tz=SHANGHAI) for step in steps)
        assert (moves[-1].to_state if moves else CaseState.PENDING_VERIFY) == case.state
    states = set(RectificationCase.objects.values_list("state", flat=True))
    assert CaseState.CLOSED in states and len(states) >= 3
    assert sum(seeded.case_states.values()) >= len(bad)
    assert not RectificationCase.objects.filter(evaluation__level__gte=3).exists()


def test_every_bad_rating_has_a_cause(seeded):
    """The seed ends with the attribution refresh (差评归因分析 has data)."""
    bad = Evaluation.objects.filter(level__lte=2).count()
    assert bad > 0 and BadRatingCause.objects.count() == bad
    assert BadRatingCause.objects.exclude(source="none").exists()
    # Ratings with words only (phone ratings mostly) are attributed from their text, with evidence.
    auto = BadRatingCause.objects.filter(source="auto")
    assert auto.exists() and all(cause.evidence for cause in auto)
    assert BadRatingCause.objects.filter(source="citizen").exists()


def test_ratings_and_records_are_not_in_the_future(seeded):
    evaluations = Evaluation.objects.select_related("record")
    assert all(e.record.created_at <= e.evaluated_at for e in evaluations)
    latest = ServiceRecord.objects.order_by("-created_at").first().created_at
    assert latest <= dt.datetime.now(tz=SHANGHAI)


def test_identity_is_encrypted_at_rest(seeded):
    plain = set()
    for record in ServiceRecord.objects.all():
        plain.update({record.applicant_phone, record.applicant_id_number, record.applicant_name})
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM service_records_servicerecord")
        raw = "\n".join("|".join(str(v) for v in row) for row in cursor.fetchall())
        cursor.execute("SELECT applicant_phone FROM service_records_servicerecord")
        phones = [row[0] for row in cursor.fetchall()]
    assert all(p.startswith("sm4g1$") for p in phones)
    leaked = [value for value in plain if value and value in raw]
    assert not leaked


def test_second_run_changes_nothing(seeded, capsys):
    before = _counts()
    again = seed_demo(months=1, scale=0.2, out=lambda _: None)
    assert not again.created
    assert _counts() == before
    call_command("seed_demo", "--months", "1", "--scale", "0.2")
    assert "已导入" in capsys.readouterr().out
    assert _counts() == before
    assert audit_verify().ok


def test_every_place_has_a_static_qr_code_and_the_clerks_window_is_named(seeded):
    from haochaping.organizations.models import PlaceQrCode

    windows = Window.objects.count()
    places = Unit.objects.filter(kind__in=[UnitKind.CENTER, UnitKind.STREET_CENTER, UnitKind.COMMUNITY_POINT]).count()
    assert PlaceQrCode.objects.count() == windows + places
    assert len(seeded.qr_urls) == 2 and all("/q/" in url for _, url in seeded.qr_urls)


@pytest.fixture
def seeded_quarter(settings):
    settings.RECTIFICATION_DAYS = 15
    result = seed_demo(months=4, scale=0.3, out=lambda _: None)
    assert result.created
    return result


def test_the_seeded_months_look_like_a_well_run_centre(seeded_quarter):
    """The rule: no case opened more than 30 days ago is still open (待核实, 整改中 or any other
    open state), except the handful (``casework.UNHANDLED``) the seed leaves unhandled on purpose:
    those sit in 待核实, their deadline passed within the last 30 days, overdue and escalated. A
    case whose deadline moved (extension, unsatisfied callback) may run up to 45 days. Nearly
    every rectification was on time."""
    from haochaping.demo.casework import UNHANDLED
    from haochaping.rectification.models import OPEN_STATES

    now = dt.datetime.now(tz=SHANGHAI)
    cases = RectificationCase.objects.all()
    assert cases.filter(opened_at__lt=now - dt.timedelta(days=60)).count() > 20  # the old ones exist
    overdue = cases.filter(state__in=OPEN_STATES, due_at__lt=now)
    assert 1 <= overdue.count() <= UNHANDLED
    for case in overdue:
        assert case.state == CaseState.PENDING_VERIFY and case.overdue_at and case.escalated_at
        assert case.due_at >= now - dt.timedelta(days=30)
        assert [a.action for a in case.actions.all()] == ["opened", "overdue", "escalated"]
    old = cases.filter(state__in=OPEN_STATES, opened_at__lt=now - dt.timedelta(days=30)).exclude(pk__in=overdue)
    assert all(case.due_at != case.original_due_at for case in old), [c.number for c in old]
    assert not cases.filter(state__in=OPEN_STATES, opened_at__lt=now - dt.timedelta(days=45)).exclude(pk__in=overdue)
    finished = cases.filter(state__in=[CaseState.CLOSED, CaseState.INVALIDATED])
    assert finished.count() >= 0.8 * cases.filter(opened_at__lt=now - dt.timedelta(days=30)).count()
    rectified = [a.data["on_time"] for c in finished for a in c.actions.all() if a.action == Action.RECTIFY]
    assert rectified and sum(rectified) >= 0.9 * len(rectified)
    # A few extensions and invalidity appeals, as a real year has.
    actions = {a for c in finished for a in c.actions.values_list("action", flat=True)}
    assert {Action.APPROVE_EXTENSION, Action.APPROVE_INVALID, Action.REJECT_INVALID} <= actions
    # The supervisor's inbox: one 督办汇总 listing the overdue cases, not a message per case; the
    # units concerned were told to act (issue 13 item 8).
    supervisor = get_user_model().objects.get(username="zhongxin")
    inbox = list(Notification.objects.filter(recipient=supervisor).values_list("template_code", flat=True))
    assert inbox == ["supervision_digest"]
    digest = Notification.objects.get(recipient=supervisor)
    assert digest.title == f"今日逾期督办汇总：工单 {overdue.count()} 件、诉求 0 件"
    assert all(case.number in digest.body for case in overdue)
    escalated = Notification.objects.filter(template_code="case_escalated")
    assert escalated.count() == overdue.count() and supervisor.pk not in {n.recipient_id for n in escalated}


def test_the_last_month_has_supervision_records(seeded_quarter):
    """制度第十条 in the demo: last month's spot checks of the two departments with the most closed
    cases (their samples recorded), a site visit with an open follow-up, a callback check done."""
    from haochaping.audit.models import AuditEvent
    from haochaping.insight.models import SpotCheckItem, SupervisionRecord
    from haochaping.insight.services import spot_check_draw, spot_check_population

    kinds = sorted(SupervisionRecord.objects.values_list("kind", flat=True))
    assert kinds == ["callback", "site_visit", "spot_check", "spot_check"]
    for record in SupervisionRecord.objects.filter(kind="spot_check"):
        sampled = sorted(SpotCheckItem.objects.filter(record=record).values_list("case_id", flat=True))
        assert len(sampled) == min(5, record.population)
        assert not SpotCheckItem.objects.filter(record=record, result="").exists()  # every result recorded
        population = spot_check_population(record.unit, record.period_first, record.period_last)
        assert spot_check_draw(population, 5, record.seed) == sampled
    assert [r.followup_open for r in SupervisionRecord.objects.exclude(kind="spot_check").order_by("kind")] == [
        False,
        True,
    ]
    assert AuditEvent.objects.filter(action="insight:supervision:created").count() == 4


def test_the_last_month_has_one_integrity_flag_of_each_kind(seeded_quarter):
    """通知 二(四) in the demo: the patterns planted into last month (demo/integrity.py) are each
    flagged once, open for a supervisor, and nothing else in the seeded year is; last month's
    通报 carries the 评价质量 sentence."""
    from django.utils import timezone

    from haochaping.analytics.periods import Period
    from haochaping.analytics.reports.snapshot import build_snapshot
    from haochaping.insight.integrity_models import IntegrityFlag, IntegrityKind

    flags = list(IntegrityFlag.objects.all())
    assert sorted(f.kind for f in flags) == sorted(IntegrityKind.values), [f.summary for f in flags]
    assert all(f.state == "open" and f.evidence["examples"] for f in flags)
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    assert {f.period for f in flags} == {f"{last_month:%Y-%m}"}
    district = Unit.objects.get(code=data.DISTRICT_CODE)
    snapshot = build_snapshot(district, Period.of("month", last_month), generated_at=timezone.now())
    assert snapshot["integrity"]["total"] == 6
    assert "本期发现评价质量异常线索6条" in snapshot["supervision"]["summary"]


def test_a_supervisor_walks_the_demo_from_causes_to_double_zero(seeded_quarter):
    """Issue 16's "done means" in the demo, as the centre's supervisor (zhongxin) sees it: which
    dimensions drive bad ratings per department, a proposed common problem and one at 双归零, an
    integrity flag reviewed with its evidence, a spot check on record, and last month's 通报
    carrying all of it."""
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from haochaping.analytics.periods import Period
    from haochaping.analytics.reports.snapshot import build_snapshot
    from haochaping.insight.integrity_models import IntegrityFlag
    from haochaping.insight.problems.models import ProblemProposal, ProposalState

    client = Client()
    client.force_login(get_user_model().objects.get(username="zhongxin"))
    today = timezone.localdate()
    # 差评归因分析 over the seeded year: the departments' rows of the heat table carry bad ratings,
    # and text-only ratings are attributed with their evidence.
    page = client.get(reverse("console:insight_attribution"), {"kind": "year", "on": today.isoformat()})
    assert page.status_code == 200
    rows = [row for row in page.context["heat"] if row["bad"]]
    assert len(rows) >= 2 and all(any(cell["count"] for cell in row["cells"]) for row in rows if row["attributed"])
    assert page.context["shares"]["rows"] and "文本自动归因" in page.content.decode()
    # 共性问题线索 and 共性问题: a proposal to decide, a problem at 双归零.
    proposal = ProblemProposal.objects.filter(state=ProposalState.PROPOSED).first()
    assert proposal is not None
    assert client.get(reverse("console:insight_proposal_detail", kwargs={"pk": proposal.pk})).status_code == 200
    problems = client.get(reverse("console:insight_problem_list")).content.decode()
    assert "已双归零" in problems
    # 评价质量线索: a flag's evidence (masked), then dismissed with a reason.
    flag = IntegrityFlag.objects.filter(kind="tablet_burst").get()
    url = reverse("console:insight_integrity_detail", kwargs={"pk": flag.pk})
    evidence = client.get(url).content.decode()
    assert "****" in evidence and "证据" in evidence
    reason = "经核查为集中办理的团体业务，评价人均为本人"
    assert client.post(url, {"action": "dismiss", "reason": reason}).status_code == 302
    flag.refresh_from_db()
    assert flag.state == "dismissed" and flag.reason.startswith("经核查")
    # 督查记录: last month's spot checks are listed.
    assert "抽查" in client.get(reverse("console:insight_supervision_list")).content.decode()
    # Last month's 通报: the attribution sentence in 存在问题, the integrity and common-problem
    # sentences at the end of section 五.
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    district = Unit.objects.get(code=data.DISTRICT_CODE)
    snapshot = build_snapshot(district, Period.of("month", last_month), generated_at=timezone.now())
    assert snapshot["attribution"]["summary"] in snapshot["problems"]
    summary = snapshot["supervision"]["summary"]
    assert summary.endswith(snapshot["integrity"]["text"] + snapshot["common_problems"]["text"])
    assert "评价质量异常线索" in summary and "共性问题" in summary
