"""The whole rectification state machine: every allowed and every refused transition."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import audit_verify
from haochaping.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import caller_for_system
from haochaping.rectification.models import CaseAction, CaseAttachment, CaseState, RectificationCase
from haochaping.rectification.services import StepInput, case_transition
from haochaping.rectification.tests.factories import bad_case, evidence, extension_date
from haochaping.rectification.workflow import TRANSITIONS, Action
from haochaping.testing import build_cast
from haochaping.testing_world import PDF, step

S = CaseState
PATHS = {
    S.PENDING_VERIFY: [],
    S.INVALID_REQUESTED: [("admin_a", Action.REQUEST_INVALID, {"files": "evidence"})],
    S.INVALIDATED: [("admin_a", Action.REQUEST_INVALID, {"files": "evidence"}),
                    ("supervisor", Action.APPROVE_INVALID, {})],
    S.RECTIFYING: [("admin_a", Action.VERIFY, {})],
    S.EXTENSION_REQUESTED: [("admin_a", Action.VERIFY, {}), ("admin_a", Action.REQUEST_EXTENSION, {"new_due": 10})],
    S.RECTIFIED: [("admin_a", Action.VERIFY, {}), ("admin_a", Action.RECTIFY, {})],
    S.FED_BACK: [("admin_a", Action.VERIFY, {}), ("admin_a", Action.RECTIFY, {}), ("admin_a", Action.FEED_BACK, {})],
    S.CLOSED: [("admin_a", Action.VERIFY, {}), ("admin_a", Action.RECTIFY, {}), ("admin_a", Action.FEED_BACK, {}),
               ("operator", Action.CALLBACK_SATISFIED, {})],
}  # fmt: skip


def inputs(case, extra):
    kw = {}
    if "files" in extra:
        kw["files"] = [evidence()]
    if "new_due" in extra:
        kw["new_due"] = extension_date(case, extra["new_due"])
    return kw


def bring_to(cast, state) -> RectificationCase:
    case = bad_case(cast, project_no=f"P-{state}")
    for who, action, extra in PATHS[state]:
        case = step(cast, who, case, action, **inputs(case, extra))
    assert case.state == state
    return case


def test_a_bad_rating_opens_a_pending_case_with_its_first_timeline_entry(cast):
    case = bad_case(cast)
    assert case.state == S.PENDING_VERIFY and case.original_due_at == case.due_at
    assert list(case.actions.values_list("action", flat=True)) == ["opened"]


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("action", list(Action))
def test_every_action_in_every_state(cast, state, action):
    case = bring_to(cast, state)
    t = TRANSITIONS[action]
    who = "supervisor" if Role.SUPERVISOR in t.roles else "operator"
    extra = {"files": [evidence()], "new_due": extension_date(case, 5), "text": "说明"}
    if state not in t.sources:
        with pytest.raises(Conflict) as err:
            step(cast, who, case, action, **extra)
        assert err.value.code == "illegal_transition"
        assert "不能执行" in err.value.message
        assert RectificationCase.objects.get(pk=case.pk).state == state
    else:
        moved = step(cast, who, case, action, **extra)
        assert moved.state == t.target
        last = moved.actions.order_by("-id").first()
        assert (last.action, last.from_state, last.to_state) == (action, state, t.target)
        assert AuditEvent.objects.filter(action=f"rectification:case:{action}", target_id=str(case.pk)).count() == 1


@pytest.mark.parametrize("action", list(Action))
def test_roles_outside_the_table_are_refused(cast, action):
    t = TRANSITIONS[action]
    (source,) = t.sources
    case = bring_to(cast, source)
    for who in ("supervisor", "admin_a", "operator", "clerk_a", "auditor"):
        role = cast.users[who].membership.role
        if role in t.roles:
            continue
        with pytest.raises(PermissionDenied):
            step(cast, who, case, action, files=[evidence()], new_due=extension_date(case, 5))
    assert RectificationCase.objects.get(pk=case.pk).state == source


def test_another_units_admin_cannot_see_or_touch_the_case(cast):
    case = bad_case(cast)
    with pytest.raises(NotFound):
        step(cast, "admin_b", case, Action.VERIFY)


def test_steps_need_their_text_evidence_and_dates(cast):
    case = bad_case(cast)
    with pytest.raises(ValidationFailed) as err:
        step(cast, "admin_a", case, Action.VERIFY, text="  ")
    assert err.value.fields == {"text": ["请填写核实情况"]}
    with pytest.raises(ValidationFailed) as err:
        step(cast, "admin_a", case, Action.REQUEST_INVALID, text="恶意差评")
    assert "files" in err.value.fields
    case = step(cast, "admin_a", case, Action.VERIFY)
    for bad_date in (None, timezone.localtime(case.due_at).date(), extension_date(case, 91)):
        with pytest.raises(ValidationFailed) as err:
            step(cast, "admin_a", case, Action.REQUEST_EXTENSION, text="需协调其他部门", new_due=bad_date)
        assert "new_due" in err.value.fields


def test_approved_extension_moves_the_deadline_to_the_end_of_the_requested_day(cast):
    case = step(cast, "admin_a", bad_case(cast), Action.VERIFY)
    original = case.due_at
    wanted = extension_date(case, 10)
    case = step(cast, "admin_a", case, Action.REQUEST_EXTENSION, text="涉及多部门，需延期", new_due=wanted)
    assert case.state == S.EXTENSION_REQUESTED and case.due_at == original
    case = step(cast, "supervisor", case, Action.APPROVE_EXTENSION, text="")
    local_due = timezone.localtime(case.due_at)
    assert (local_due.date(), local_due.hour, local_due.minute) == (wanted, 23, 59)
    assert case.original_due_at == original and case.state == S.RECTIFYING


def test_rejected_extension_keeps_the_deadline(cast):
    case = step(cast, "admin_a", bad_case(cast), Action.VERIFY)
    original = case.due_at
    case = step(cast, "admin_a", case, Action.REQUEST_EXTENSION, new_due=extension_date(case))
    case = step(cast, "supervisor", case, Action.REJECT_EXTENSION, text="理由不充分")
    assert case.state == S.RECTIFYING and case.due_at == original


def test_approved_invalidation_closes_the_case_and_keeps_the_rating(cast):
    case = step(cast, "admin_a", bad_case(cast), Action.REQUEST_INVALID, text="同一人恶意连续差评", files=[evidence()])
    case = step(cast, "supervisor", case, Action.APPROVE_INVALID, text="经核查属实")
    assert case.state == S.INVALIDATED and case.closed_at is not None
    assert case.evaluation.level == 1  # the rating is kept, only excluded from KPIs


def test_unsatisfied_callback_reopens_with_a_fresh_deadline(cast):
    case = bring_to(cast, S.FED_BACK)
    case = step(cast, "operator", case, Action.CALLBACK_UNSATISFIED, text="问题仍未解决")
    assert case.state == S.RECTIFYING and case.reopen_count == 1
    assert case.rectified_at is None and case.fed_back_at is None
    assert case.due_at > timezone.now() + dt.timedelta(days=14)


def test_an_unsatisfied_callback_never_shortens_an_approved_extension(cast):
    case = step(cast, "admin_a", bad_case(cast), Action.VERIFY)
    far = extension_date(case, 60)  # well past a fresh 15-day period
    case = step(cast, "admin_a", case, Action.REQUEST_EXTENSION, text="需跨部门协调", new_due=far)
    case = step(cast, "supervisor", case, Action.APPROVE_EXTENSION, text="")
    extended = case.due_at
    for who, action in (("admin_a", Action.RECTIFY), ("admin_a", Action.FEED_BACK)):
        case = step(cast, who, case, action)
    case = step(cast, "operator", case, Action.CALLBACK_UNSATISFIED, text="问题仍未解决")
    assert case.state == S.RECTIFYING and case.reopen_count == 1
    assert case.due_at == extended and timezone.localtime(case.due_at).date() == far
    reopened = case.actions.get(action=Action.CALLBACK_UNSATISFIED)
    assert reopened.data["due_at"] == reopened.data["previous_due"] == extended.isoformat()


def test_rectified_on_time_is_recorded(cast):
    case = step(cast, "admin_a", step(cast, "admin_a", bad_case(cast), Action.VERIFY), Action.RECTIFY,
                text="已对窗口人员批评教育并调整排班")  # fmt: skip
    entry = case.actions.get(action=Action.RECTIFY)
    assert entry.data == {"on_time": True} and case.rectified_at <= case.due_at


def test_attachments_are_checked_and_stored_with_their_sm3(cast, settings):
    case = bad_case(cast)
    with pytest.raises(ValidationFailed) as err:
        step(cast, "admin_a", case, Action.REQUEST_INVALID, files=[evidence("a.exe", b"MZ...")])
    assert "不支持的文件类型" in err.value.fields["files"][0]
    with pytest.raises(ValidationFailed) as err:
        step(cast, "admin_a", case, Action.REQUEST_INVALID, files=[evidence("fake.pdf", b"not a pdf")])
    assert "内容与扩展名不符" in err.value.fields["files"][0]
    settings.CASE_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationFailed) as err:
        step(cast, "admin_a", case, Action.REQUEST_INVALID, files=[evidence()])
    assert "文件过大" in err.value.fields["files"][0]
    settings.CASE_ATTACHMENT_MAX_BYTES = 1024 * 1024
    step(cast, "admin_a", case, Action.REQUEST_INVALID, files=[evidence("通话录音.pdf")])
    attachment = CaseAttachment.objects.get()
    assert attachment.name == "通话录音.pdf" and attachment.size == len(PDF)
    assert attachment.file.path.startswith(str(settings.MEDIA_ROOT))
    with open(attachment.file.path, "rb") as stored:
        assert stored.read() == PDF
    event = AuditEvent.objects.get(action="rectification:case:request_invalid")
    assert event.data["attachments"] == [attachment.sm3]


def test_unknown_actions_are_refused(cast):
    with pytest.raises(ValidationFailed):
        step(cast, "admin_a", bad_case(cast), "delete_everything")


def test_a_business_system_acts_as_its_unit_but_never_supervises(cast):
    case = bad_case(cast)
    caller = caller_for_system(cast.system_a)
    case = case_transition(caller=caller, case_id=case.pk, action=Action.VERIFY, data=StepInput(text="已核实"))
    assert case.actions.order_by("-id").first().actor_label == cast.system_a.name
    case = case_transition(caller=caller, case_id=case.pk, action=Action.REQUEST_EXTENSION,
                           data=StepInput(text="需延期", new_due=extension_date(case)))  # fmt: skip
    with pytest.raises(PermissionDenied):
        case_transition(caller=caller, case_id=case.pk, action=Action.APPROVE_EXTENSION, data=StepInput())


def test_the_timeline_and_audit_chain_hold_every_step(cast):
    case = bring_to(cast, S.CLOSED)
    assert list(case.actions.values_list("action", flat=True)) == [
        "opened",
        "verify",
        "rectify",
        "feed_back",
        "callback_satisfied",
    ]
    assert CaseAction.objects.filter(case=case).count() == 5
    assert audit_verify().ok


@pytest.mark.parametrize(
    "sql", ["UPDATE rectification_caseaction SET text = 'x'", "DELETE FROM rectification_caseaction"]
)
def test_the_database_refuses_to_change_a_timeline(cast, sql):
    """The append-only triggers (audit.immutability) hold on the table of the timeline base."""
    bad_case(cast)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert CaseAction.objects.get().action == "opened"


@pytest.mark.django_db(transaction=True)
def test_two_users_racing_the_same_step_cannot_both_succeed():
    cast = build_cast()
    case = bad_case(cast)

    def verify(who):
        try:
            step(cast, who, case, Action.VERIFY)
            return "ok"
        except Conflict as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(verify, ["admin_a", "supervisor", "admin_a", "supervisor"]))
    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} <= {"case_state_changed", "illegal_transition"}
    assert RectificationCase.objects.get(pk=case.pk).actions.filter(action=Action.VERIFY).count() == 1


@pytest.mark.django_db(transaction=True)
def test_feedback_reaches_the_evaluator_by_sms_once_after_commit(settings, tmp_path):
    import json

    from django.core.management import call_command

    settings.SMS_TRANSPORT = "file"
    settings.SMS_OUTBOX_FILE = tmp_path / "sms.jsonl"
    cast = build_cast()
    case = step(cast, "admin_a", step(cast, "admin_a", bad_case(cast), Action.VERIFY), Action.RECTIFY)
    step(cast, "admin_a", case, Action.FEED_BACK, text="已增开窗口，等候时间明显缩短")
    assert not settings.SMS_OUTBOX_FILE.exists()  # nothing is sent inside the request
    call_command("worker", "--once")
    call_command("worker", "--once")
    lines = [json.loads(line) for line in settings.SMS_OUTBOX_FILE.read_text().splitlines()]
    assert len(lines) == 1
    assert lines[0]["phone"] == "13812345678" and "/m/" in lines[0]["body"]  # the link to 我的评价
    assert "已增开窗口" in lines[0]["body"]
