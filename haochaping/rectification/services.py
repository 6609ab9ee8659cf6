"""Writes for rectification cases. Here: opening a case for a bad rating."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from haochaping.audit.services import Actor, audit_record
from haochaping.core.timeutil import local_date, natural_days_deadline
from haochaping.evaluations.models import Evaluation
from haochaping.rectification.models import CaseState, RectificationCase


def case_deadline(evaluation: Evaluation):
    """制度第九条: rectified within 15 natural days of the rating (configurable)."""
    return natural_days_deadline(evaluation.evaluated_at, settings.RECTIFICATION_DAYS)


@transaction.atomic(savepoint=False)  # always inside the rating's transaction
def case_open_for_evaluation(*, actor: Actor, evaluation: Evaluation) -> RectificationCase:
    """Open the 待核实 case for a bad rating, in the rating's own transaction."""
    case = RectificationCase.objects.create(
        number=f"CP{local_date(evaluation.evaluated_at):%Y%m%d}{evaluation.pk:08d}",
        evaluation=evaluation,
        unit=evaluation.record.unit,
        state=CaseState.PENDING_VERIFY,
        opened_at=evaluation.received_at,
        due_at=case_deadline(evaluation),
    )
    audit_record(
        actor=actor,
        action="rectification:case:opened",
        target=case,
        data={
            "number": case.number,
            "evaluation": evaluation.pk,
            "unit": case.unit.code,
            "due_at": case.due_at.isoformat(),
            "level": evaluation.level,
        },
    )
    return case
