"""重点督办: the rules mark what lags (once per rule and month), with evidence; lifting is audited."""

from __future__ import annotations

import datetime as dt

import pytest

from haochaping.analytics.models import CaseDay, RatingDay, SupervisionRun, SupervisionTarget
from haochaping.analytics.periods import Period
from haochaping.analytics.rollups import unit_totals_rebuild
from haochaping.analytics.selectors import supervision_target_list, supervision_targets_for
from haochaping.analytics.services import supervision_evaluate, supervision_lift
from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.core.errors import NotFound, PermissionDenied, ValidationFailed
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Caller, caller_for_user, scope_for_user

pytestmark = pytest.mark.django_db

OCTOBER, NOVEMBER = dt.date(2026, 10, 15), dt.date(2026, 11, 15)
OFF = {"enabled": False}


@pytest.fixture
def only(settings):
    """Switch on one rule (with options), the others off; a small ranking sample."""
    settings.ANALYTICS_RANK_MIN_SAMPLE = 10

    def switch(code: str, **options):
        rules = {name: dict(OFF) for name in ("bottom_score", "bad_rate", "overdue_cases", "staff_notice")}
        rules[code] = {"enabled": True, **options}
        settings.ANALYTICS_SUPERVISION_RULES = rules

    return switch


def ratings(day, unit, staff=None, *, good: int, bad: int) -> None:
    common = {"day": day, "unit_id": unit.pk, "staff_id": staff.pk if staff else None, "item_id": 1, "channel": 4}
    RatingDay.objects.create(level=5, ratings=good, **common)
    RatingDay.objects.create(level=1, ratings=bad, **common)
    unit_totals_rebuild()  # the unit totals the pages read, from these rows


def test_a_staff_member_bottom_two_months_running_is_marked_once_with_both_months(cast, only):
    only("bottom_score", kinds=["staff"], bottom=1, months=2)
    for day in (OCTOBER, NOVEMBER):
        ratings(day, cast.unit_a, cast.staff_a, good=30, bad=10)
        ratings(day, cast.unit_b, cast.staff_b, good=40, bad=0)
    actor = Actor.cli()
    first = supervision_evaluate(month=NOVEMBER, actor=actor)
    again = supervision_evaluate(month=NOVEMBER, actor=actor)
    assert again == []
    target = SupervisionTarget.objects.get()
    assert [t.pk for t in first] == [target.pk]
    assert (target.kind, target.entity_id, target.rule) == ("staff", cast.staff_a.pk, "bottom_score")
    assert target.entity_name == "王晓红（A001）" and target.unit == cast.unit_a
    assert target.month == dt.date(2026, 11, 1) and target.state == "active"
    assert [m["month"] for m in target.evidence["months"]] == ["2026-10-01", "2026-11-01"]
    assert [(m["rank"], m["of"], m["sample"]) for m in target.evidence["months"]] == [(2, 2, 40), (2, 2, 40)]
    text = target.evidence_text
    assert "2026年10月 第 2 名/共 2 名" in text and "2026年11月 第 2 名/共 2 名" in text
    assert "连续 2 个月位列工作人员满意度得分后 1 名" in text
    assert AuditEvent.objects.filter(action="analytics:supervision:marked").count() == 1
    assert SupervisionRun.objects.get().month == dt.date(2026, 11, 1)
    # Still under supervision in December: not marked a second time while the mark is active.
    ratings(dt.date(2026, 12, 5), cast.unit_a, cast.staff_a, good=30, bad=10)
    ratings(dt.date(2026, 12, 5), cast.unit_b, cast.staff_b, good=40, bad=0)
    assert supervision_evaluate(month=dt.date(2026, 12, 1), actor=actor) == []


def test_bottom_only_one_month_or_too_few_ranked_is_not_marked(cast, only):
    only("bottom_score", kinds=["staff"], bottom=1, months=2)
    ratings(OCTOBER, cast.unit_a, cast.staff_a, good=40, bad=0)  # A was fine in October
    ratings(OCTOBER, cast.unit_b, cast.staff_b, good=30, bad=10)
    ratings(NOVEMBER, cast.unit_a, cast.staff_a, good=30, bad=10)
    ratings(NOVEMBER, cast.unit_b, cast.staff_b, good=40, bad=0)
    assert supervision_evaluate(month=NOVEMBER, actor=Actor.cli()) == []
    only("bottom_score", kinds=["staff"], bottom=2, months=1)  # 2 ranked: nobody is "bottom 2 of 2"
    assert supervision_evaluate(month=dt.date(2026, 11, 2), actor=Actor.cli()) == []


def test_a_unit_above_the_bad_rate_threshold_one_month_only_is_not_marked(cast, only):
    only("bad_rate", kinds=["unit"], above_percent=5, months=2)
    ratings(OCTOBER, cast.unit_a, good=100, bad=2)  # 1.96 %
    ratings(NOVEMBER, cast.unit_a, good=90, bad=10)  # 10 %
    ratings(OCTOBER, cast.unit_b, good=90, bad=10)  # 10 %, then 8 %: both months above 5 %
    ratings(NOVEMBER, cast.unit_b, good=46, bad=4)
    ratings(OCTOBER, cast.street, good=1, bad=4)  # far above, but 5 ratings: too few to rank
    ratings(NOVEMBER, cast.street, good=1, bad=4)
    marked = supervision_evaluate(month=NOVEMBER, actor=Actor.cli())
    assert [(t.entity_name, t.rule) for t in marked] == [("区人力资源和社会保障局", "bad_rate")]
    assert "2026年10月 差评率 10.00%（有效评价 100 条）；2026年11月 差评率 8.00%" in marked[0].evidence_text
    assert "连续 2 个月高于 5%" in marked[0].evidence_text


def test_more_overdue_cases_than_the_limit_at_month_end_marks_the_unit(cast, only):
    only("overdue_cases", above=3)
    common = {"item_id": 1, "channel": 4, "cases": 4}
    CaseDay.objects.create(day=dt.date(2026, 9, 20), unit_id=cast.unit_a.pk, overdue_open=2, **common)
    CaseDay.objects.create(day=dt.date(2026, 11, 3), unit_id=cast.unit_a.pk, overdue_open=2, **common)
    CaseDay.objects.create(day=dt.date(2026, 11, 3), unit_id=cast.unit_b.pk, overdue_open=3, **common)  # = limit
    CaseDay.objects.create(day=dt.date(2026, 12, 3), unit_id=cast.unit_b.pk, overdue_open=5, **common)  # after
    unit_totals_rebuild()  # the unit totals the pages read, from these rows
    marked = supervision_evaluate(month=NOVEMBER, actor=Actor.cli())
    assert [(t.kind, t.entity_id, t.rule) for t in marked] == [("unit", cast.unit_a.pk, "overdue_cases")]
    assert marked[0].evidence["months"][0]["overdue_open"] == 4
    assert "逾期未整改 4 件" in marked[0].evidence_text and "超过 3 件" in marked[0].evidence_text


def test_staff_ranked_low_three_months_are_listed_for_notice(cast, only):
    only("staff_notice", bottom=1, months=3)
    for day in (dt.date(2026, 9, 9), OCTOBER, NOVEMBER):
        ratings(day, cast.unit_a, cast.staff_a, good=40, bad=0)
        ratings(day, cast.unit_b, cast.staff_b, good=20, bad=20)
    [target] = supervision_evaluate(month=NOVEMBER, actor=Actor.cli())
    assert target.for_notice and target.entity_name == "李建国（B001）"
    assert len(target.evidence["months"]) == 3 and "列入通报" in target.evidence_text
    rows = supervision_targets_for(scope_for_user(cast.users["supervisor"]), Period.of("month", NOVEMBER))
    assert [(r["name"], r["for_notice"], r["new"], r["rule_label"]) for r in rows] == [
        ("李建国（B001）", True, True, "长期排名靠后（列入通报）")
    ]
    assert supervision_targets_for(scope_for_user(cast.users["admin_a"]), Period.of("month", NOVEMBER)) == []


@pytest.fixture
def marked(cast, only):
    """Unit A and unit B each marked for November (overdue cases)."""
    only("overdue_cases", above=0)
    for unit in (cast.unit_a, cast.unit_b):
        CaseDay.objects.create(day=NOVEMBER, unit_id=unit.pk, item_id=1, channel=4, cases=1, overdue_open=1)
        unit_totals_rebuild()  # the unit totals the pages read, from these rows
    targets = supervision_evaluate(month=NOVEMBER, actor=Actor.cli())
    return {t.entity_id: t for t in targets}


def test_lifting_records_who_and_why_and_is_audited(cast, marked):
    target = marked[cast.unit_a.pk]
    caller = caller_for_user(cast.users["supervisor"])
    with pytest.raises(ValidationFailed) as error:
        supervision_lift(target_id=target.pk, reason="  ", caller=caller)
    assert error.value.fields == {"reason": ["请填写解除理由"]}
    lifted = supervision_lift(target_id=target.pk, reason="逾期工单已全部整改", caller=caller)
    lifted.refresh_from_db()
    assert lifted.state == "lifted" and lifted.lifted_by == cast.users["supervisor"]
    assert lifted.lift_reason == "逾期工单已全部整改" and lifted.lifted_at is not None
    event = AuditEvent.objects.get(action="analytics:supervision:lifted")
    assert event.target_id == str(target.pk) and event.data["rule"] == "overdue_cases"
    assert "逾期工单" not in str(event.data)  # the reason stays on the row, not in the audit data


def test_a_department_admin_sees_its_own_subtree_and_cannot_lift(cast, marked):
    scope = scope_for_user(cast.users["admin_a"])
    assert [t.entity_id for t in supervision_target_list(scope=scope)] == [cast.unit_a.pk]
    assert list(supervision_target_list(scope=scope_for_user(cast.users["clerk_a"]))) == []
    caller = caller_for_user(cast.users["admin_a"])
    with pytest.raises(PermissionDenied):
        supervision_lift(target_id=marked[cast.unit_a.pk].pk, reason="已整改", caller=caller)
    with pytest.raises(NotFound):
        # Even with the role, another subtree's mark is not found.
        as_supervisor = Caller(scope=scope, role=Role.SUPERVISOR, user=cast.users["admin_a"])
        supervision_lift(target_id=marked[cast.unit_b.pk].pk, reason="已整改", caller=as_supervisor)
    assert SupervisionTarget.objects.filter(state="lifted").count() == 0


def test_the_cli_and_the_monthly_job_evaluate_last_month_once(cast, only, time_machine):
    from django.core.management import call_command

    from haochaping.analytics.models import RollupRun
    from haochaping.analytics.services import supervision_monthly

    only("overdue_cases", above=0)
    CaseDay.objects.create(day=NOVEMBER, unit_id=cast.unit_a.pk, item_id=1, channel=4, cases=1, overdue_open=1)
    unit_totals_rebuild()  # the unit totals the pages read, from these rows
    time_machine.move_to(dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    assert supervision_monthly() is None  # the rollups have not been refreshed since the month ended
    now = dt.datetime(2026, 12, 1, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    RollupRun.objects.create(started_at=now, finished_at=now)
    assert [t.entity_id for t in supervision_monthly() or []] == [cast.unit_a.pk]
    assert supervision_monthly() is None  # once per month
    call_command("supervision", "evaluate", "--month", "2026-11")
    assert SupervisionTarget.objects.count() == 1
