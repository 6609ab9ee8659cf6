"""Deadline arithmetic, warnings, overdue marking and escalation (督办) with controlled time."""

import datetime as dt

import pytest
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.core.calendar import calendar_coverage
from haochaping.notifications.models import Notification
from haochaping.organizations.models import Membership, Role
from haochaping.organizations.services import console_user_create
from haochaping.rectification.models import CaseState
from haochaping.rectification.services import case_deadline, case_scan_deadlines, supervising_unit
from haochaping.rectification.tests.factories import bad_case, extension_date
from haochaping.rectification.workflow import Action
from haochaping.testing import PASSWORD
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


def test_supervising_unit_is_the_nearest_unit_strictly_above_with_active_supervisors(cast):
    assert supervising_unit(cast.unit_a) == cast.district
    assert supervising_unit(cast.community) == cast.district
    street_sup = console_user_create(actor=Actor.cli(), username="street_sup", password=PASSWORD, unit=cast.street,
                                     role=Role.SUPERVISOR)  # fmt: skip
    assert supervising_unit(cast.community) == cast.street
    # The street's own cases go above it: escalating to the street's own supervisors escalates nothing.
    assert supervising_unit(cast.street) == cast.district
    # Nobody above the root: its own supervisors are the fallback.
    assert supervising_unit(cast.district) == cast.district
    street_sup.is_active = False
    street_sup.save(update_fields=["is_active"])
    assert supervising_unit(cast.community) == cast.district  # an inactive supervisor supervises nothing


def test_without_supervisors_above_the_root_is_the_fallback(cast):
    Membership.objects.filter(role=Role.SUPERVISOR).delete()
    assert supervising_unit(cast.community) == cast.district
    console_user_create(actor=Actor.cli(), username="street_sup", password=PASSWORD, unit=cast.street,
                        role=Role.SUPERVISOR)  # fmt: skip
    assert supervising_unit(cast.street) == cast.street  # only its own supervisors: they are the fallback
    assert supervising_unit(cast.community) == cast.street


def test_an_escalation_tells_the_unit_what_to_do_and_sends_the_supervisors_no_message_per_case(cast, time_machine):
    time_machine.move_to(local(2026, 11, 2, 9, 0))
    cases = [bad_case(cast, f"SCJG-ESC-{n}") for n in range(3)]
    time_machine.move_to(cases[0].due_at + dt.timedelta(hours=30))
    assert case_scan_deadlines().escalated == 3

    supervisor = Notification.objects.filter(recipient=cast.users["supervisor"])
    assert not supervisor.filter(template_code="case_escalated").exists()
    escalated = Notification.objects.filter(template_code="case_escalated").order_by("id")
    assert [n.recipient for n in escalated] == [cast.users["admin_a"]] * 3
    first = escalated[0]
    assert first.title == "工单逾期，已列入督办"
    assert first.body.startswith(f"工单 {cases[0].number} 已逾期，已列入 平顶山市石龙区 督办：请立即办理")
    assert first.thread == f"case:{cases[0].pk}"  # grouped with the case's other messages in the inbox


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
