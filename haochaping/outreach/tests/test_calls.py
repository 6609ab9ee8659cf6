"""Working a call list: attempts, outcomes, the closed loop through the other apps' services,
phone ratings, SMS invitations, claiming the next call, and the audited phone reveal."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.services import RatingInput
from haochaping.notifications.models import Notification
from haochaping.organizations.selectors import caller_for_user
from haochaping.outreach.choices import DemandState, TaskStatus
from haochaping.outreach.models import CallRecord
from haochaping.outreach.services import (
    CallInput,
    call_record,
    call_send_rating_sms,
    call_task_assign,
    call_task_claim_next,
    call_task_reveal_contact,
)
from haochaping.outreach.tests.factories import fed_back_case, finished_record, generate, replied_complaint, task_for
from haochaping.portal.links import LinkState, rating_link_resolve
from haochaping.rectification.models import CaseAction, CaseState
from haochaping.testing import submit_rating

OPERATOR = "operator"


def caller(cast, who=OPERATOR):
    return caller_for_user(cast.users[who])


def call(cast, task, who=OPERATOR, **data):
    return call_record(caller=caller(cast, who), task_id=task.pk, data=CallInput(**data))


@pytest.fixture
def invitation(cast):
    record = finished_record(cast, "SCJG-INV-1", days_ago=2)
    generate()
    return task_for(record=record)


# --- attempts --------------------------------------------------------------------------------


def test_unanswered_calls_count_against_the_maximum_then_the_task_closes_as_unreachable(cast, invitation, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    now = timezone.now()
    call(cast, invitation, outcome="no_answer")
    invitation.refresh_from_db()
    assert (invitation.status, invitation.attempts) == (TaskStatus.OPEN, 1)
    assert invitation.due_at == now + dt.timedelta(minutes=120)  # the default retry
    later = now + dt.timedelta(days=1, hours=3)
    call(cast, invitation, outcome="no_answer", next_attempt_at=later, notes="关机")
    invitation.refresh_from_db()
    assert (invitation.status, invitation.attempts, invitation.due_at) == (TaskStatus.OPEN, 2, later)
    call(cast, invitation, outcome="no_answer")
    invitation.refresh_from_db()
    assert (invitation.status, invitation.attempts) == (TaskStatus.UNREACHABLE, 3)
    assert invitation.closed_reason == "3 次拨打均未接通"
    with pytest.raises(Conflict) as refused:
        call(cast, invitation, outcome="no_answer")
    assert refused.value.code == "task_closed"
    assert list(CallRecord.objects.filter(task=invitation).values_list("attempt", flat=True)) == [1, 2, 3]


def test_the_maximum_is_a_setting(cast, settings):
    settings.OUTREACH_MAX_ATTEMPTS = 1
    record = finished_record(cast, "SCJG-INV-9", days_ago=2)
    generate()
    task = task_for(record=record)
    call(cast, task, outcome="no_answer")
    task.refresh_from_db()
    assert task.status == TaskStatus.UNREACHABLE


def test_a_wrong_number_closes_the_task_at_once(cast, invitation):
    call(cast, invitation, outcome="wrong_number", notes="空号")
    invitation.refresh_from_db()
    assert (invitation.status, invitation.closed_reason, invitation.attempts) == (TaskStatus.UNREACHABLE, "号码错误", 1)


def test_a_next_attempt_in_the_past_is_refused(cast, invitation):
    with pytest.raises(ValidationFailed) as refused:
        call(cast, invitation, outcome="no_answer", next_attempt_at=timezone.now() - dt.timedelta(hours=1))
    assert "next_attempt_at" in refused.value.fields


# --- callbacks close the loop through the workflow -----------------------------------------------


def test_an_unsatisfied_callback_reopens_the_case_through_the_workflow(cast):
    case = fed_back_case(cast)
    generate()
    task = task_for(case=case)
    record = call(
        cast, task, outcome="reached_rated", satisfaction="unsatisfied", notes="材料清单只贴在窗口里面，排队的人看不到"
    )
    case.refresh_from_db()
    assert case.state == CaseState.RECTIFYING and case.reopen_count == 1
    assert case.due_at > timezone.now()
    entry = CaseAction.objects.filter(case=case).latest("occurred_at", "id")
    assert (entry.action, entry.from_state, entry.to_state) == ("callback_unsatisfied", "fed_back", "rectifying")
    assert entry.text == "材料清单只贴在窗口里面，排队的人看不到"
    assert entry.actor == cast.users[OPERATOR]
    event = AuditEvent.objects.get(action="rectification:case:callback_unsatisfied")
    assert event.actor_label == OPERATOR
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and record.satisfaction == "unsatisfied"
    assert AuditEvent.objects.filter(action="outreach:call:recorded", target_id=str(task.pk)).count() == 1


def test_an_unsatisfied_callback_needs_the_reason(cast):
    case = fed_back_case(cast)
    generate()
    with pytest.raises(ValidationFailed) as refused:
        call(cast, task_for(case=case), outcome="reached_rated", satisfaction="unsatisfied")
    assert "notes" in refused.value.fields
    case.refresh_from_db()
    assert case.state == CaseState.FED_BACK


@pytest.mark.parametrize("satisfaction", ["satisfied", "basic"])
def test_a_satisfied_callback_closes_the_case(cast, satisfaction):
    case = fed_back_case(cast)
    generate()
    call(cast, task_for(case=case), outcome="reached_rated", satisfaction=satisfaction)
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
    entry = CaseAction.objects.filter(case=case).latest("occurred_at", "id")
    assert entry.action == "callback_satisfied" and entry.text.startswith("电话回访：")


def test_a_declined_callback_leaves_the_case_waiting(cast):
    case = fed_back_case(cast)
    generate()
    task = task_for(case=case)
    call(cast, task, outcome="reached_declined", notes="群众表示不想评价")
    case.refresh_from_db()
    task.refresh_from_db()
    assert case.state == CaseState.FED_BACK and task.status == TaskStatus.DONE


def test_a_callback_on_a_case_handled_meanwhile_is_refused_and_nothing_is_recorded(cast):
    case = fed_back_case(cast)
    generate()
    task = task_for(case=case)
    from haochaping.outreach.tests.factories import step
    from haochaping.rectification.workflow import Action

    step(cast, "supervisor", case, Action.CALLBACK_SATISFIED, "已回访")
    with pytest.raises(Conflict) as refused:
        call(cast, task, outcome="reached_rated", satisfaction="unsatisfied", notes="不满意")
    assert refused.value.code == "case_not_awaiting_callback"
    assert not CallRecord.objects.filter(task=task).exists()


def test_a_complaint_callback_closes_the_demand_with_the_citizens_satisfaction(cast):
    demand = replied_complaint(cast)
    generate()
    call(cast, task_for(demand=demand), outcome="reached_rated", satisfaction="basic", notes="基本解决")
    demand.refresh_from_db()
    assert (demand.state, demand.satisfaction) == (DemandState.CLOSED, "basic")


# --- invitations ----------------------------------------------------------------------------


def test_a_rating_given_by_phone_is_recorded_with_channel_6_the_citizens_words_and_the_operator_as_actor(
    cast, invitation
):
    call(
        cast,
        invitation,
        outcome="reached_rated",
        level=4,
        rating_text="办得挺快，就是停车不方便",
        notes="群众在电话中评价",
    )
    evaluation = Evaluation.objects.get(record=invitation.record)
    assert (evaluation.channel, evaluation.level, evaluation.text) == (6, 4, "办得挺快，就是停车不方便")
    assert evaluation.client_key == f"call-task-{invitation.pk}"
    event = AuditEvent.objects.get(action="evaluations:evaluation:created", target_id=str(evaluation.pk))
    assert (event.actor_type, event.actor_id, event.actor_label) == ("user", str(cast.users[OPERATOR].pk), OPERATOR)
    assert event.data["channel"] == 6
    invitation.refresh_from_db()
    assert invitation.status == TaskStatus.DONE and invitation.evaluation == evaluation
    assert CallRecord.objects.get(task=invitation).evaluation == evaluation


def test_a_bad_rating_by_phone_needs_the_citizens_words_and_opens_a_case(cast, invitation):
    with pytest.raises(ValidationFailed) as refused:
        call(cast, invitation, outcome="reached_rated", level=2)
    assert "rating_text" in refused.value.fields
    call(cast, invitation, outcome="reached_rated", level=2, rating_text="材料要求前后说法不一致")
    evaluation = Evaluation.objects.get(record=invitation.record)
    assert evaluation.case.state == CaseState.PENDING_VERIFY


def test_a_phone_rating_for_a_service_rated_meanwhile_is_refused(cast, invitation):
    submit_rating(actor=Actor.citizen(), record=invitation.record, data=RatingInput(level=5, channel=7))
    with pytest.raises(Conflict) as refused:
        call(cast, invitation, outcome="reached_rated", level=3, rating_text="一般")
    assert refused.value.code == "already_rated"
    invitation.refresh_from_db()
    assert invitation.status == TaskStatus.OPEN and invitation.attempts == 0


def test_an_sms_invitation_queues_the_signed_rating_link_with_channel_7(cast, invitation):
    call_send_rating_sms(caller=caller(cast), task_id=invitation.pk)
    sms = Notification.objects.get(template_code="rating_invitation")
    assert sms.phone == "13812345678" and sms.dedupe_key == f"outreach:invite:{invitation.pk}"
    url = sms.template_params["url"]
    assert parse_qs(urlsplit(url).query) == {"c": ["7"]}
    token = urlsplit(url).path.rsplit("/", 1)[1]
    link = rating_link_resolve(token)
    assert link.state == LinkState.VALID and link.record.pk == invitation.record_id
    assert "食品经营许可（新办）" in sms.body
    invitation.refresh_from_db()
    assert (invitation.status, invitation.last_outcome) == (TaskStatus.DONE, "sms_sent")
    assert invitation.first_contact_at is not None
    with pytest.raises(Conflict):
        call_send_rating_sms(caller=caller(cast), task_id=invitation.pk)
    assert Notification.objects.filter(template_code="rating_invitation").count() == 1


def test_only_invitations_can_send_the_rating_sms(cast):
    case = fed_back_case(cast)
    generate()
    with pytest.raises(ValidationFailed):
        call_send_rating_sms(caller=caller(cast), task_id=task_for(case=case).pk)


# --- who may call, claim and reveal ------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin_a", "auditor"])
def test_department_admins_and_auditors_cannot_record_calls(cast, invitation, who):
    with pytest.raises(PermissionDenied):
        call(cast, invitation, who=who, outcome="no_answer")


def test_next_gives_two_operators_different_tasks_and_prefers_tasks_assigned_to_me(cast, time_machine):
    first = finished_record(cast, "SCJG-INV-1", days_ago=3)
    second = finished_record(cast, "SCJG-INV-2", days_ago=2, applicant_phone="13611112222")
    from haochaping.organizations.models import Role
    from haochaping.organizations.services import console_user_create
    from haochaping.testing import PASSWORD

    other = console_user_create(
        actor=Actor.cli("tests"), username="operator2", password=PASSWORD, unit=cast.district, role=Role.OPERATOR
    )
    generate()
    call_task_assign(caller=caller(cast, "supervisor"), task_id=task_for(record=second).pk, operator_id=other.pk)
    mine = call_task_claim_next(caller=caller_for_user(other))
    assert mine.record_id == second.pk  # assigned to operator2, although due later
    theirs = call_task_claim_next(caller=caller(cast))
    assert theirs.record_id == first.pk
    assert call_task_claim_next(caller=caller(cast)).pk == theirs.pk  # my unfinished claim comes back first
    with pytest.raises(Conflict) as refused:
        call(cast, mine, outcome="no_answer")  # operator2 holds it
    assert refused.value.code == "task_claimed"
    time_machine.move_to(timezone.now() + dt.timedelta(minutes=16))
    call(cast, mine, outcome="no_answer")  # the hold expired


def test_revealing_a_phone_is_audited_and_allowed_to_operators_and_supervisors_only(cast, invitation):
    for who in ("operator", "supervisor"):
        assert call_task_reveal_contact(caller=caller(cast, who), task_id=invitation.pk) == "13812345678"
    events = AuditEvent.objects.filter(action="outreach:contact:revealed", target_id=str(invitation.pk))
    assert [e.actor_label for e in events.order_by("id")] == ["operator", "supervisor"]
    assert all("13812345678" not in str(e.data) for e in events)
    for who in ("admin_a", "clerk_a", "auditor"):
        with pytest.raises(PermissionDenied):
            call_task_reveal_contact(caller=caller(cast, who), task_id=invitation.pk)
    assert events.count() == 2
