"""Rectification test data: a bad rating's case through the real intake, workflow steps as a user."""

import datetime as dt

from django.utils import timezone

from haochaping.audit.services import Actor
from haochaping.evaluations.services import RatingInput
from haochaping.rectification.models import RectificationCase
from haochaping.testing import push_record, submit_rating
from haochaping.testing_world import PDF, push, push_b, rate, upload


def evidence(name="证据.pdf", content=PDF):
    return upload(name, content)


def bad_case(cast, project_no="SCJG-CASE-1", level=1) -> RectificationCase:
    record = push_record(cast, project_no)
    evaluation = submit_rating(actor=Actor.citizen(), record=record,
                                   data=RatingInput(level=level, channel=4, text="窗口工作人员态度生硬"))  # fmt: skip
    return evaluation.case


def extension_date(case, days=10):
    return timezone.localtime(case.due_at).date() + dt.timedelta(days=days)


# How to reach every state from 待核实, as (who, action, extra input).


def queue_cases(cast) -> tuple[RectificationCase, RectificationCase, RectificationCase]:
    """Unit A: a 非常不满意 case opened on 12 October and overdue, a 不满意 one opened today;
    unit B: one 非常不满意 case (the work queue's filters and export)."""
    old = rate(push(cast, "SCJG2026140001"), 1, text="窗口人员态度生硬").case
    new = rate(push(cast, "SCJG2026140002"), 2, text="等待时间太长").case
    other = rate(push_b(cast, "RSJ2026140001"), 1, text="材料反复退回").case
    october = timezone.make_aware(dt.datetime(2026, 10, 12, 10, 0))
    RectificationCase.objects.filter(pk=old.pk).update(opened_at=october, due_at=october + dt.timedelta(days=21))
    return old, new, other


def queue_case_numbers(response) -> list[str]:
    """The case numbers of a work-queue page, in order."""
    assert response.status_code == 200, response.content[:500]
    return [case.number for case in response.context["page_obj"]]
