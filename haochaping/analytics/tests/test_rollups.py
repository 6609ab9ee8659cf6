"""The rollups equal a recomputation from the raw rows after any mix of changes."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.test import override_settings
from django.utils import timezone

from haochaping.analytics.models import CaseDay, RatingDay, RollupRun, ServiceDay
from haochaping.analytics.rollups import rollup_rebuild, rollup_refresh, rollup_snapshot
from haochaping.rectification.models import CaseState
from haochaping.rectification.workflow import Action
from haochaping.testing_world import push, push_b, rate, step, upload

pytestmark = pytest.mark.django_db


def _rebuilt() -> dict:
    """What a full rebuild from the raw rows gives, leaving the database as it was."""
    rollup_rebuild()
    return rollup_snapshot()


def test_first_refresh_builds_everything_and_counts_each_fact_once(cast, world):
    result = rollup_refresh()
    assert result.full
    assert sum(ServiceDay.objects.values_list("services", flat=True)) == 5
    assert sum(ServiceDay.objects.values_list("rated", flat=True)) == 3
    assert sum(RatingDay.objects.values_list("ratings", flat=True)) == 3
    assert sum(CaseDay.objects.values_list("cases", flat=True)) == 2
    again = rollup_refresh()
    assert not again.full
    assert sum(RatingDay.objects.values_list("ratings", flat=True)) == 3


def test_refresh_sees_a_rating_and_an_invalidation(cast, world):
    rollup_refresh()
    record = push(cast, "SCJG2026110099")
    rate(record, 2, text="材料反复要")
    step(cast, "admin_b", world.case_b, Action.REQUEST_INVALID, text="恶意差评", files=[upload()])
    step(cast, "supervisor", world.case_b, Action.APPROVE_INVALID, text="同意")
    rollup_refresh()
    assert rollup_snapshot() == _rebuilt()
    invalid = RatingDay.objects.filter(invalid=True)
    assert [(r.unit_id, r.level, r.ratings) for r in invalid] == [(cast.unit_b.pk, 2, 1)]


def test_a_row_committed_late_is_not_missed(cast, world):
    """A run's marks are only trusted after the lag: a rating with an id below a later run's mark
    (its transaction was open while that run started) is still seen by the next refresh."""
    rollup_refresh()
    record = push(cast, "SCJG2026110098")
    with override_settings(ANALYTICS_ROLLUP_LAG_SECONDS=300):
        rate(record, 5)
        # A run whose marks already include the rating but recomputed nothing (it started before
        # the rating's transaction committed).
        RollupRun.objects.create(started_at=timezone.now(), finished_at=timezone.now(),
                                 marks={"evaluation": 10**9, "record": 10**9, "case_action": 10**9,
                                        "demand": 10**9, "demand_action": 10**9, "call_task": 10**9,
                                        "call_record": 10**9})  # fmt: skip
        rollup_refresh()
    assert rollup_snapshot() == _rebuilt()


def test_random_changes_equal_a_rebuild(cast, world):
    """Random services, ratings (some dated in the past), case steps and invalidations, with
    refreshes in between: after the last refresh the rollups are exactly a rebuild."""
    rng = random.Random(20261206)
    rollup_refresh()
    open_cases = [world.case_a, world.case_b]
    for n in range(60):
        pusher = push if rng.random() < 0.5 else push_b
        record = pusher(cast, f"RND{n:05d}")
        if rng.random() < 0.8:
            level = rng.choice([1, 2, 3, 4, 5, 5, 5])
            evaluation = rate(record, level, days_ago=rng.choice([0, 0, 1, 3, 40]), channel=rng.choice([1, 2, 3, 4]),
                              text="态度不好" if level <= 2 or rng.random() < 0.3 else "")  # fmt: skip
            case = getattr(evaluation, "case", None) if evaluation.level <= 2 else None
            if case is not None:
                open_cases.append(case)
        if open_cases and rng.random() < 0.4:
            case = rng.choice(open_cases)
            case.refresh_from_db()
            admin = "admin_a" if case.unit_id == cast.unit_a.pk else "admin_b"
            if case.state == CaseState.PENDING_VERIFY:
                if rng.random() < 0.3:
                    step(cast, admin, case, Action.REQUEST_INVALID, text="恶意差评", files=[upload()])
                    step(cast, "supervisor", case, Action.APPROVE_INVALID, text="同意")
                else:
                    step(cast, admin, case, Action.VERIFY, text="属实")
            elif case.state == CaseState.RECTIFYING:
                step(cast, admin, case, Action.RECTIFY, text="已整改")
        if rng.random() < 0.2:
            rollup_refresh()
    rollup_refresh()
    refreshed = rollup_snapshot()
    assert refreshed == _rebuilt()
    assert sum(r[-1] for r in refreshed["rating"]) > 40


def test_rebuild_of_some_days_leaves_the_others(cast, world):
    rollup_refresh()
    before = rollup_snapshot()
    today = timezone.localdate()
    RatingDay.objects.filter(day=today).delete()
    rollup_rebuild(days=[today, today - dt.timedelta(days=1)])
    assert rollup_snapshot() == before


def test_the_rollups_command(cast, world):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = StringIO()
    call_command("rollups", "rebuild", stdout=out)
    assert "全部重建完成" in out.getvalue()
    call_command("rollups", "refresh", stdout=out)
    assert "增量刷新完成" in out.getvalue()
    today = timezone.localdate()
    call_command("rollups", "rebuild", "--from", f"{today:%Y-%m-%d}", "--to", f"{today:%Y-%m-%d}", stdout=out)
    with pytest.raises(CommandError, match="截止日期不能早于起始日期"):
        call_command("rollups", "rebuild", "--from", "2026-12-02", "--to", "2026-12-01")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("rollups", "rebuild", "--from", "2026/12/01", "--to", "2026-12-02")
