"""Rectification test data: a bad rating's case through the real intake, workflow steps as a user."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from haochaping.audit.services import Actor
from haochaping.evaluations.services import RatingInput
from haochaping.organizations.selectors import caller_for_user
from haochaping.rectification.models import RectificationCase
from haochaping.rectification.services import StepInput, case_transition
from haochaping.testing import push_record, submit_rating

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"


def evidence(name="证据.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def bad_case(cast, project_no="SCJG-CASE-1", level=1) -> RectificationCase:
    record = push_record(cast, project_no)
    evaluation = submit_rating(actor=Actor.citizen(), record=record,
                                   data=RatingInput(level=level, channel=4, text="窗口工作人员态度生硬"))  # fmt: skip
    return evaluation.case


def step(cast, who, case, action, **kw):
    caller = caller_for_user(cast.users[who])
    kw.setdefault("text", "已处理")
    return case_transition(caller=caller, case_id=case.pk, action=action, data=StepInput(**kw))


def extension_date(case, days=10):
    return timezone.localtime(case.due_at).date() + dt.timedelta(days=days)


# How to reach every state from 待核实, as (who, action, extra input).
