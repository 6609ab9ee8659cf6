"""Rating-integrity flags (通知 二(四), 制度第八条): the six detectors find their planted pattern
and nothing in the noise, re-detection updates instead of duplicating, flags never change a
rating, identities stay masked, dismiss / 转督查 are audited, pages per role and unit, and the
通报's 评价质量 sentence."""

from __future__ import annotations

import datetime as dt
import json
from io import BytesIO

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from haochaping.analytics.periods import Period
from haochaping.analytics.reports.documents import render_xlsx
from haochaping.analytics.reports.snapshot import build_snapshot
from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.core.errors import PermissionDenied
from haochaping.evaluations.models import Evaluation
from haochaping.insight.integrity import DETECTORS, integrity_detect
from haochaping.insight.integrity_models import FlagState, IntegrityFlag, IntegrityKind, SubjectType
from haochaping.insight.integrity_report import section
from haochaping.insight.integrity_services import integrity_flag_dismiss, integrity_flag_escalate
from haochaping.insight.models import SupervisionKind, SupervisionRecord
from haochaping.insight.tests.integrity_factories import (
    BAD_NAME,
    BAD_PHONE,
    PLANTED_NAME,
    PLANTED_PHONE,
    SETTINGS,
    make_flag,
    plant,
)
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Scope
from haochaping.testing import flash_messages, login

LIST = reverse("console:insight_integrity_list")
DETECT = reverse("console:insight_integrity_detect")


def detail(flag) -> str:
    return reverse("console:insight_integrity_detail", kwargs={"pk": flag.pk})


def supervisor_scope(cast) -> Scope:
    return Scope(unit_path=cast.district.path, role=Role.SUPERVISOR)


@pytest.fixture
def thresholds(settings):
    for name, value in SETTINGS.items():
        setattr(settings, name, value)
    return settings


@pytest.fixture
def planted(cast, thresholds):
    return plant(cast)


def _ratings() -> list[dict]:
    return [model_to_dict(e) | {"evaluated_at": e.evaluated_at} for e in Evaluation.objects.order_by("id")]


def test_each_detector_finds_its_pattern_and_nothing_in_the_noise(cast, planted):
    result = integrity_detect(actor=Actor.cli("tests"), now=planted.now)
    flags = list(IntegrityFlag.objects.order_by("kind"))
    assert sorted(f.kind for f in flags) == sorted(k.value for k in IntegrityKind), [f.summary for f in flags]
    assert result.found == 6 and result.created_total == 6
    by_kind = {f.kind: f for f in flags}

    burst = by_kind[IntegrityKind.TABLET_BURST]
    assert (burst.subject_type, burst.subject_key) == (SubjectType.DEVICE, str(planted.device_b.pk))
    assert burst.evidence["counts"]["largest"] == 9 and len(burst.evidence["examples"]) == 9
    assert {e["level"] for e in burst.evidence["examples"]} == {5}

    quick = by_kind[IntegrityKind.QUICK_AFTER_REQUEST]
    assert quick.subject_key == str(cast.staff_a.pk) and quick.unit_id == cast.staff_a.unit_id
    assert (quick.evidence["counts"]["requested"], quick.evidence["counts"]["quick"]) == (18, 12)
    assert all(e["seconds"] <= 5 for e in quick.evidence["examples"])

    phone = by_kind[IntegrityKind.PHONE_MANY_UNITS]
    assert phone.evidence["counts"]["ratings"] == 6 and phone.evidence["counts"]["units"] == 2
    assert phone.unit_id == cast.district.pk  # cross-unit: the common parent's

    operator = by_kind[IntegrityKind.PHONE_OPERATOR]
    assert operator.subject_key == str(planted.operator_fast.pk)
    assert operator.evidence["counts"]["share"] == 100.0 and operator.evidence["counts"]["peers_share"] == 50.0

    bad = by_kind[IntegrityKind.REPEATED_BAD]
    assert bad.subject_key.startswith(f"{cast.staff_a.pk}:") and bad.evidence["counts"]["bad_ratings"] == 3

    default = by_kind[IntegrityKind.DEFAULT_CONCENTRATION]
    assert default.unit_id == cast.unit_b.pk and default.evidence["counts"]["defaults"] == 12


def test_below_the_thresholds_nothing_is_flagged(cast, planted, settings):
    """The same world with each threshold just above its planted example: no flag at all."""
    settings.INSIGHT_INTEGRITY_BURST_COUNT = 10
    settings.INSIGHT_INTEGRITY_QUICK_PERCENT = 70
    settings.INSIGHT_INTEGRITY_PHONE_SERVICES = 7
    settings.INSIGHT_INTEGRITY_OPERATOR_GAP_PERCENT = 60
    settings.INSIGHT_INTEGRITY_REPEATED_BAD_COUNT = 4
    settings.INSIGHT_INTEGRITY_DEFAULT_PERCENT = 30
    assert integrity_detect(actor=Actor.cli("tests"), now=planted.now).found == 0
    assert not IntegrityFlag.objects.exists()


def test_outside_the_window_nothing_is_flagged(cast, planted):
    later = planted.now + dt.timedelta(days=60)
    for detector in DETECTORS.values():
        assert detector(later - dt.timedelta(days=31), later) == []


def test_redetection_updates_and_never_changes_a_rating(cast, planted):
    before = _ratings()
    integrity_detect(actor=Actor.cli("tests"), now=planted.now)
    again = integrity_detect(actor=Actor.cli("tests"), now=planted.now + dt.timedelta(hours=1))
    assert again.created_total == 0 and again.updated == 6 and IntegrityFlag.objects.count() == 6
    assert AuditEvent.objects.filter(action="insight:integrity:detected").count() == 6
    scope = supervisor_scope(cast)
    flags = list(IntegrityFlag.objects.order_by("id"))
    integrity_flag_dismiss(actor=Actor.cli("tests"), scope=scope, flag=flags[0], reason="经核实为正常业务高峰")
    integrity_flag_escalate(actor=Actor.cli("tests"), scope=scope, flag=flags[1])
    # A reviewed flag is left as decided by a later run.
    integrity_detect(actor=Actor.cli("tests"), now=planted.now + dt.timedelta(hours=2))
    assert IntegrityFlag.objects.get(pk=flags[0].pk).state == FlagState.DISMISSED
    assert _ratings() == before  # no rating changed, none invalidated
    assert Evaluation.objects.count() == len(before)


def test_identity_is_masked_in_flags_pages_and_audit(client, cast, planted):
    integrity_detect(actor=Actor.cli("tests"), now=planted.now)
    stored = json.dumps(list(IntegrityFlag.objects.values()), default=str, ensure_ascii=False)
    audit = json.dumps(
        list(AuditEvent.objects.filter(action__startswith="insight:").values("data")), ensure_ascii=False
    )
    login(client, cast, "supervisor")
    pages = client.get(LIST).content.decode()
    for flag in IntegrityFlag.objects.all():
        pages += client.get(detail(flag)).content.decode()
    for secret in (PLANTED_PHONE, PLANTED_NAME, BAD_PHONE, BAD_NAME):
        assert secret not in stored and secret not in pages and secret not in audit
    phone = IntegrityFlag.objects.get(kind=IntegrityKind.PHONE_MANY_UNITS)
    assert "139****1111" in phone.subject_label and "139****1111" in client.get(detail(phone)).content.decode()
    assert "欧阳**" in phone.evidence["examples"][0]["evaluator"] or "欧*" in phone.evidence["examples"][0]["evaluator"]


def test_dismiss_needs_a_reason_and_is_audited(client, cast):
    flag = make_flag(cast.unit_a)
    login(client, cast, "supervisor")
    response = client.post(detail(flag), {"action": "dismiss", "reason": "  "}, follow=True)
    assert "请填写排除理由" in flash_messages(response)
    assert IntegrityFlag.objects.get(pk=flag.pk).state == FlagState.OPEN
    client.post(detail(flag), {"action": "dismiss", "reason": "系统对接调整期间的默认评价，已说明"})
    flag.refresh_from_db()
    assert flag.state == FlagState.DISMISSED and flag.reviewer == cast.users["supervisor"]
    assert flag.reason == "系统对接调整期间的默认评价，已说明"
    event = AuditEvent.objects.get(action="insight:integrity:dismissed")
    assert event.target_id == str(flag.pk) and event.actor_id == str(cast.users["supervisor"].pk)
    response = client.post(detail(flag), {"action": "dismiss", "reason": "再次"}, follow=True)
    assert "该线索已排除，不能重复处理" in flash_messages(response)


def test_escalate_creates_a_linked_supervision_record(client, cast):
    flag = make_flag(cast.unit_a, kind=IntegrityKind.REPEATED_BAD, key="7:abc")
    login(client, cast, "supervisor")
    response = client.post(detail(flag), {"action": "escalate", "note": "请回访核实", "inspector": "督查科 王某"})
    assert response.status_code == 302
    flag.refresh_from_db()
    record = flag.supervision
    assert flag.state == FlagState.ESCALATED and record is not None
    assert (record.kind, record.unit, record.inspector) == (SupervisionKind.CALLBACK, cast.unit_a, "督查科 王某")
    assert flag.summary in record.findings and "请回访核实" in record.findings
    assert AuditEvent.objects.filter(action="insight:integrity:escalated", target_id=str(flag.pk)).exists()
    assert AuditEvent.objects.filter(action="insight:supervision:created", target_id=str(record.pk)).exists()
    page = client.get(detail(flag)).content.decode()
    assert "已转督查" in page and reverse("console:insight_supervision_detail", kwargs={"pk": record.pk}) in page


def test_only_supervisors_review(cast):
    flag = make_flag(cast.unit_a)
    admin_scope = Scope(unit_path=cast.unit_a.path, role=Role.DEPT_ADMIN)
    with pytest.raises(PermissionDenied):
        integrity_flag_dismiss(actor=Actor.cli("tests"), scope=admin_scope, flag=flag, reason="x")
    with pytest.raises(PermissionDenied):
        integrity_flag_escalate(actor=Actor.cli("tests"), scope=admin_scope, flag=flag)
    other = Scope(unit_path=cast.unit_b.path, role=Role.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        integrity_flag_dismiss(actor=Actor.cli("tests"), scope=other, flag=flag, reason="x")
    assert IntegrityFlag.objects.get(pk=flag.pk).state == FlagState.OPEN
    assert not SupervisionRecord.objects.exists()


@pytest.mark.parametrize(
    ("who", "list_status", "sees_a", "sees_b", "can_act"),
    [
        ("supervisor", 200, True, True, True),
        ("admin_a", 200, True, False, False),
        ("admin_b", 200, False, True, False),
        ("auditor", 200, True, True, False),
        ("clerk_a", 403, False, False, False),
        ("operator", 403, False, False, False),
    ],
)
def test_pages_per_role_and_unit(client, cast, who, list_status, sees_a, sees_b, can_act):
    flag_a, flag_b = make_flag(cast.unit_a), make_flag(cast.unit_b)
    login(client, cast, who)
    response = client.get(LIST, {"state": ""})
    assert response.status_code == list_status
    if list_status == 200:
        body = response.content.decode()
        assert (f'data-flag="{flag_a.pk}"' in body) is sees_a
        assert (f'data-flag="{flag_b.pk}"' in body) is sees_b
        assert ("立即检测" in body) is can_act
    for flag, sees in ((flag_a, sees_a), (flag_b, sees_b)):
        page = client.get(detail(flag))
        assert page.status_code == (200 if sees else 403 if list_status == 403 else 404)
        if sees:
            assert ('id="dismiss-form"' in page.content.decode()) is can_act
        client.post(detail(flag), {"action": "dismiss", "reason": "越权排除"})
        flag.refresh_from_db()
        assert flag.state == (FlagState.DISMISSED if can_act else FlagState.OPEN)
    assert (client.post(DETECT).status_code == 302) is can_act


def test_queue_filters_and_detection_button(client, cast, planted):
    login(client, cast, "supervisor")
    response = client.post(DETECT, follow=True)
    assert any("新增 6 条" in m for m in flash_messages(response))
    assert AuditEvent.objects.filter(action="insight:integrity:run").count() == 1
    body = client.get(LIST).content.decode()
    assert body.count("data-flag=") == 6
    body = client.get(LIST, {"kind": IntegrityKind.TABLET_BURST, "state": "open"}).content.decode()
    assert body.count("data-flag=") == 1 and "B 窗口评价器" in body
    body = client.get(LIST, {"unit": cast.unit_b.code, "state": ""}).content.decode()
    assert body.count("data-flag=") == 2  # the burst (window B's department) and unit B's defaults
    flag = IntegrityFlag.objects.get(kind=IntegrityKind.QUICK_AFTER_REQUEST)
    page = client.get(detail(flag)).content.decode()
    assert 'id="evidence-table"' in page and page.count("data-evaluation=") == 12 and "请评价后（秒）" in page


def test_cli_runs_detection(cast, planted, capsys):
    call_command("integrity", "detect", "--days", "31")
    assert IntegrityFlag.objects.count() == 6
    assert "新增 6 条" in capsys.readouterr().out


def test_report_section_and_the_monthly_report(client, cast, planted):
    integrity_detect(actor=Actor.cli("tests"), now=planted.now)
    scope = supervisor_scope(cast)
    flags = list(IntegrityFlag.objects.order_by("id"))
    integrity_flag_dismiss(actor=Actor.cli("tests"), scope=scope, flag=flags[0], reason="正常")
    integrity_flag_escalate(actor=Actor.cli("tests"), scope=scope, flag=flags[1])
    last = timezone.localdate()
    first = last - dt.timedelta(days=40)
    got = section(cast.district, first, last)
    assert got["total"] == 6 and got["by_state"] == {"open": 4, "dismissed": 1, "escalated": 1}
    assert "本期发现评价质量异常线索6条" in got["text"] and "转督查1条、排除1条、待核查4条" in got["text"]
    assert section(cast.unit_a, first, last)["total"] == 2  # the quick clerk and the repeated bad ratings
    empty = section(cast.district, first - dt.timedelta(days=400), first - dt.timedelta(days=300))
    assert empty["text"] == "本期未发现评价质量异常线索。"
    period = Period.of("month", timezone.localdate(flags[0].last_at))
    snapshot = build_snapshot(cast.district, period, generated_at=timezone.now())
    assert snapshot["integrity"]["total"] >= 1
    assert snapshot["integrity"]["text"] in snapshot["supervision"]["summary"]
    workbook = load_workbook(BytesIO(render_xlsx(snapshot, doc_number="石政服通〔2026〕1号")))
    cells = [str(c.value) for row in workbook["表5 重点督办对象"].iter_rows() for c in row if c.value]
    assert any(snapshot["integrity"]["text"] in c for c in cells)
    # The 通报's page: the sentence in section 五 and the table of counts by kind.
    from haochaping.analytics.services import report_generate

    report = report_generate(unit=cast.district, period=period, actor=Actor.cli("tests"))
    login(client, cast, "supervisor")
    html = client.get(reverse("console:analytics_report_detail", args=[report.pk])).content.decode()
    assert report.snapshot["integrity"]["text"] in html and 'id="integrity-table"' in html


def test_the_scheduled_job_detects(cast, planted):
    from haochaping.insight.tasks import detect_integrity
    from haochaping.jobs.registry import get_periodic

    spec = get_periodic("insight.detect_integrity")
    assert spec is not None and spec.every == dt.timedelta(hours=6)
    detect_integrity()
    assert IntegrityFlag.objects.count() == 6
    events = AuditEvent.objects.filter(action="insight:integrity:detected")
    assert set(events.values_list("actor_type", flat=True)) == {"job"}


def test_a_phone_rating_recorded_on_the_call_workbench_is_the_call_operators(cast):
    """The operator of a phone rating is its call record's (回访工作台), not the audit actor."""
    from haochaping.insight.integrity import phone_rating_operators
    from haochaping.organizations.selectors import caller_for_user
    from haochaping.outreach.models import CallTask
    from haochaping.outreach.services.calls import call_lists_generate, call_record
    from haochaping.outreach.services.calls.common import CallInput
    from haochaping.testing import push_record

    finished = timezone.now() - dt.timedelta(days=5)
    record = push_record(
        cast,
        project_no="SCJG-INT-CALL",
        accepted_at=(finished - dt.timedelta(minutes=30)).isoformat(),
        finished_at=finished.isoformat(),
    )
    call_lists_generate(actor=Actor.job("tests"))
    task = CallTask.objects.get(record=record, kind="invitation_unrated")
    operator = cast.users["operator"]
    call = call_record(
        caller=caller_for_user(operator), task_id=task.pk, data=CallInput(outcome="reached_rated", level=5)
    )
    assert call.evaluation is not None and call.evaluation.channel == 6
    assert phone_rating_operators([call.evaluation.pk]) == {call.evaluation.pk: operator.pk}
