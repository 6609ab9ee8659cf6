"""Call-list generation: what enters each list, when, and never twice."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.evaluations.services import RatingInput
from haochaping.organizations.selectors import caller_for_user
from haochaping.outreach.choices import TaskKind, TaskStatus
from haochaping.outreach.models import CallTask, DoNotCall
from haochaping.outreach.services import (
    CallInput,
    call_lists_generate,
    call_lists_generate_now,
    call_record,
)
from haochaping.outreach.tests.factories import (
    fed_back_case,
    finished_record,
    generate,
    replied_complaint,
    step,
    task_for,
)
from haochaping.rectification.workflow import Action
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import submit_rating


def kinds() -> list[tuple[str, str, str]]:
    return sorted(CallTask.objects.values_list("kind", "subject_key", "status"))


def test_generating_again_never_adds_a_duplicate(cast):
    case = fed_back_case(cast)
    record = finished_record(cast, "SCJG-INV-1", days_ago=2)
    demand = replied_complaint(cast)
    first = call_lists_generate(actor=Actor.job("tests"))
    assert first.created == {"callback_bad_rating": 1, "invitation_unrated": 1, "callback_complaint": 1}
    for _ in range(3):
        again = call_lists_generate(actor=Actor.job("tests"))
        assert again.total == 0 and again.closed == 0
    assert kinds() == [
        ("callback_bad_rating", f"case:{case.pk}", "open"),
        ("callback_complaint", f"demand:{demand.pk}", "open"),
        ("invitation_unrated", f"record:{record.pk}", "open"),
    ]
    assert AuditEvent.objects.filter(action="outreach:task:created").count() == 3


def test_the_database_refuses_a_second_open_task_for_the_same_subject(cast):
    record = finished_record(cast, "SCJG-INV-1", days_ago=2)
    generate()
    task = task_for(record=record)
    with pytest.raises(IntegrityError), transaction.atomic():
        CallTask.objects.create(
            kind=task.kind,
            subject_key=task.subject_key,
            round=7,
            record=record,
            unit=task.unit,
            phone_index=task.phone_index,
            due_at=timezone.now(),
            max_attempts=3,
            created_at=timezone.now(),
        )
    with pytest.raises(IntegrityError), transaction.atomic():  # nor a closed one of the same round
        CallTask.objects.create(
            kind=task.kind,
            subject_key=task.subject_key,
            round=0,
            record=record,
            unit=task.unit,
            phone_index=task.phone_index,
            due_at=timezone.now(),
            max_attempts=3,
            status="done",
            created_at=timezone.now(),
        )


def test_unrated_services_are_invited_after_n_days_online_and_offline_separately(cast, settings):
    settings.OUTREACH_INVITE_AFTER_DAYS_ONLINE = 3
    settings.OUTREACH_INVITE_AFTER_DAYS_OFFLINE = 1
    offline_due = finished_record(cast, "OFF-2D", days_ago=2, mode="offline")
    offline_early = finished_record(cast, "OFF-12H", days_ago=0.5, mode="offline")
    online_due = finished_record(cast, "ON-4D", days_ago=4, mode="online")
    online_early = finished_record(cast, "ON-2D", days_ago=2, mode="online")
    too_old = finished_record(cast, "OFF-40D", days_ago=40, mode="offline")
    no_phone = finished_record(cast, "OFF-NOPHONE", days_ago=2, applicant_phone="")
    rated = finished_record(cast, "OFF-RATED", days_ago=2)
    submit_rating(actor=Actor.citizen(), record=rated, data=RatingInput(level=5, channel=4))
    unfinished = finished_record(cast, "OFF-OPEN", days_ago=2)
    ServiceRecord.objects.filter(pk=unfinished.pk).update(finished_at=None)  # still being handled
    generate()
    invited = set(CallTask.objects.filter(kind=TaskKind.INVITATION_UNRATED).values_list("record_id", flat=True))
    assert invited == {offline_due.pk, online_due.pk}
    assert not invited & {offline_early.pk, online_early.pk, too_old.pk, no_phone.pk, rated.pk, unfinished.pk}
    task = task_for(record=online_due)
    assert task.due_at == online_due.finished_at + dt.timedelta(days=3)
    assert task.unit == cast.unit_a and task.max_attempts == 3


def test_a_bad_rating_is_called_back_once_per_round_of_rectification(cast):
    case = fed_back_case(cast)
    generate()
    first = task_for(case=case)
    assert (first.kind, first.round, first.record_id) == (TaskKind.CALLBACK_BAD_RATING, 0, case.evaluation.record_id)
    call_record(
        caller=caller_for_user(cast.users["operator"]),
        task_id=first.pk,
        data=CallInput(outcome="reached_rated", satisfaction="unsatisfied", notes="材料清单还是没有公示"),
    )
    generate()
    assert CallTask.objects.filter(case=case).count() == 1  # back in 整改中: nothing to call yet
    step(cast, "admin_a", case, Action.RECTIFY, "已在窗口和网站公示材料清单")
    step(cast, "admin_a", case, Action.FEED_BACK, "材料清单已公示")
    generate()
    second = task_for(case=case)
    assert second.round == 1 and second.pk != first.pk
    generate()
    assert CallTask.objects.filter(case=case).count() == 2


def test_cases_not_yet_fed_back_and_complaints_not_yet_answered_are_not_called(cast):
    record = finished_record(cast, "SCJG-BAD", days_ago=20)
    submit_rating(actor=Actor.citizen(), record=record, data=RatingInput(level=2, channel=4, text="排队太久"))
    from haochaping.outreach.tests.factories import assigned_demand

    assigned_demand(cast, "我要投诉窗口推诿扯皮", category="complaint-conduct")
    generate()
    assert kinds() == []


def test_tasks_settled_elsewhere_are_closed_by_the_next_run(cast):
    case = fed_back_case(cast)
    record = finished_record(cast, "SCJG-INV-1", days_ago=2)
    generate()
    step(cast, "supervisor", case, Action.CALLBACK_SATISFIED, "督查人员已在工单页面回访，群众满意")
    submit_rating(actor=Actor.citizen(), record=record, data=RatingInput(level=4, channel=3))
    result = call_lists_generate(actor=Actor.job("tests"))
    assert result.closed == 2
    assert CallTask.objects.get(case=case).status == TaskStatus.DONE
    assert task_for(record=record).status == TaskStatus.CANCELLED


def test_a_number_that_asked_not_to_be_called_gets_its_tasks_closed_from_the_start(cast):
    first = finished_record(cast, "SCJG-INV-1", days_ago=2)
    generate()
    call_record(
        caller=caller_for_user(cast.users["operator"]),
        task_id=task_for(record=first).pk,
        data=CallInput(outcome="do_not_call"),
    )
    assert DoNotCall.objects.count() == 1
    second = finished_record(cast, "SCJG-INV-2", days_ago=2)  # same applicant, same phone
    result = call_lists_generate(actor=Actor.job("tests"))
    assert result.do_not_call == 1 and result.total == 0
    task = task_for(record=second)
    assert task.status == TaskStatus.DO_NOT_CALL and task.closed_reason


def test_the_do_not_call_list_holds_whatever_spelling_the_number_was_pushed_in(cast):
    first = finished_record(cast, "SCJG-INV-1", days_ago=2, applicant_phone="13812345678")
    generate()
    call_record(
        caller=caller_for_user(cast.users["operator"]),
        task_id=task_for(record=first).pk,
        data=CallInput(outcome="do_not_call"),
    )
    # Another business system pushes the same citizen's number with the country code.
    second = finished_record(cast, "SCJG-INV-2", days_ago=2, applicant_phone="+86-138-1234-5678")
    assert second.phone_index == first.phone_index
    result = call_lists_generate(actor=Actor.job("tests"))
    assert result.do_not_call == 1 and result.total == 0
    assert task_for(record=second).status == TaskStatus.DO_NOT_CALL


def test_an_on_demand_run_covers_the_callers_scope_only_and_is_audited(cast):
    finished_record(cast, "SCJG-INV-1", days_ago=2)
    finished_record(cast, "RSJ-INV-1", days_ago=2, unit="b")
    from haochaping.organizations.selectors import Caller, Scope

    operator_a = Caller(
        scope=Scope(unit_path=cast.unit_a.path, role="operator"), role="operator", user=cast.users["operator"]
    )
    result = call_lists_generate_now(caller=operator_a)
    assert result.created["invitation_unrated"] == 1
    assert set(CallTask.objects.values_list("unit__code", flat=True)) == {"SCJG"}
    event = AuditEvent.objects.get(action="outreach:call_list:generated")
    assert event.actor_label == "operator" and event.data["created"]["invitation_unrated"] == 1


def test_department_admins_cannot_generate_lists(cast):
    from haochaping.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        call_lists_generate_now(caller=caller_for_user(cast.users["admin_a"]))
