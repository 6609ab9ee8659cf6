"""Deadline arithmetic, warnings, overdue marking and escalation (督办) with controlled time."""

import datetime as dt

import pytest
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.core.calendar import calendar_coverage
from haochaping.organizations.models import Role
from haochaping.rectification.models import CaseState
from haochaping.rectification.services import case_deadline, case_scan_deadlines, supervising_unit
from haochaping.rectification.tests.factories import bad_case, extension_date
from haochaping.rectification.workflow import Action
from haochaping.testing_world import step

TZ = dt.timezone(dt.timedelta(hours=8))


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


def test_natural_days_deadline_is_the_end_of_the_15th_day(db):
    due = case_deadline(local(2026, 9, 30, 10, 0))
    assert due == local(2026, 10, 15, 23, 59, 59)


def test_working_days_deadline_skips_national_day_and_counts_the_make_up_saturday(db, settings):
    settings.RECTIFICATION_DAY_KIND = "working"
    assert calendar_coverage(2026) in ("package", "override")
    # After Wed 30 Sep 2026: 1–7 Oct are the National Day holiday, Sat 10 Oct is a make-up
    # working day, Sun 11 Oct is off. The 15th working day is Tue 27 Oct.
    assert case_deadline(local(2026, 9, 30, 10, 0)) == local(2026, 10, 27, 23, 59, 59)
    # Rated on the make-up Saturday itself: counting starts the next working day (Mon 12 Oct).
    assert case_deadline(local(2026, 10, 10, 9, 0)) == local(2026, 10, 30, 23, 59, 59)


def test_a_case_opened_before_national_day_gets_the_working_day_deadline(cast, settings, time_machine):
    settings.RECTIFICATION_DAY_KIND = "working"
    time_machine.move_to(local(2026, 9, 30, 10, 0))
    case = bad_case(cast)
    assert timezone.localtime(case.due_at).date() == dt.date(2026, 10, 27)


def test_warning_overdue_and_escalation_happen_once_each_at_their_time(cast, settings, time_machine):
    settings.RECTIFICATION_WARN_HOURS = 48
    settings.RECTIFICATION_ESCALATE_AFTER_HOURS = 24
    time_machine.move_to(local(2026, 11, 2, 9, 0))
    case = bad_case(cast)
    due = case.due_at
    assert due == local(2026, 11, 17, 23, 59, 59)

    time_machine.move_to(due - dt.timedelta(hours=49))
    assert case_scan_deadlines().__dict__ == {"warned": 0, "overdue": 0, "escalated": 0}
    time_machine.move_to(due - dt.timedelta(hours=47))
    assert case_scan_deadlines().__dict__ == {"warned": 1, "overdue": 0, "escalated": 0}
    assert case_scan_deadlines().__dict__ == {"warned": 0, "overdue": 0, "escalated": 0}

    time_machine.move_to(due + dt.timedelta(minutes=1))
    assert case_scan_deadlines().__dict__ == {"warned": 0, "overdue": 1, "escalated": 0}
    time_machine.move_to(due + dt.timedelta(hours=23))
    assert case_scan_deadlines().escalated == 0
    time_machine.move_to(due + dt.timedelta(hours=24, minutes=1))
    assert case_scan_deadlines().__dict__ == {"warned": 0, "overdue": 0, "escalated": 1}
    assert case_scan_deadlines().__dict__ == {"warned": 0, "overdue": 0, "escalated": 0}

    case.refresh_from_db()
    assert case.state == CaseState.PENDING_VERIFY and case.escalated_to == cast.district
    assert list(case.actions.values_list("action", flat=True)) == ["opened", "warned", "overdue", "escalated"]
    actions = set(AuditEvent.objects.filter(target_id=str(case.pk)).values_list("action", flat=True))
    assert {"rectification:case:warned", "rectification:case:overdue", "rectification:case:escalated"} <= actions


def test_an_approved_extension_rearms_the_watch(cast, time_machine):
    time_machine.move_to(local(2026, 11, 2, 9, 0))
    case = step(cast, "admin_a", bad_case(cast), Action.VERIFY)
    time_machine.move_to(case.due_at + dt.timedelta(minutes=1))
    assert case_scan_deadlines().overdue == 1
    case = step(cast, "admin_a", case, Action.REQUEST_EXTENSION, text="需协调", new_due=extension_date(case, 10))
    case = step(cast, "supervisor", case, Action.APPROVE_EXTENSION, text="同意")
    assert case.overdue_at is None and case.warned_at is None
    assert case_scan_deadlines().overdue == 0


def test_rectified_cases_are_no_longer_watched(cast, time_machine):
    time_machine.move_to(local(2026, 11, 2, 9, 0))
    case = step(cast, "admin_a", step(cast, "admin_a", bad_case(cast), Action.VERIFY), Action.RECTIFY)
    time_machine.move_to(case.due_at + dt.timedelta(days=3))
    assert case_scan_deadlines().__dict__ == {"warned": 0, "overdue": 0, "escalated": 0}


def test_supervising_unit_is_the_nearest_ancestor_with_supervisors(cast):
    assert supervising_unit(cast.unit_a) == cast.district
    assert supervising_unit(cast.community) == cast.district
    from haochaping.audit.services import Actor
    from haochaping.organizations.services import console_user_create

    console_user_create(actor=Actor.cli(), username="street_sup", password="pass-12345-word", unit=cast.street,
                        role=Role.SUPERVISOR)  # fmt: skip
    assert supervising_unit(cast.community) == cast.street


@pytest.mark.django_db(transaction=True)
def test_the_periodic_task_runs_the_scan_through_the_worker(time_machine):
    from django.core.management import call_command

    from haochaping.testing import build_cast

    time_machine.move_to(local(2026, 11, 2, 9, 0))
    cast = build_cast()
    case = bad_case(cast)
    time_machine.move_to(case.due_at + dt.timedelta(hours=30))
    call_command("worker", "--once")
    call_command("worker", "--once")  # the first run schedules periodic jobs; they are due now
    case.refresh_from_db()
    assert case.overdue_at is not None and case.escalated_at is not None
