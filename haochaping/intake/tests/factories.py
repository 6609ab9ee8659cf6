"""Intake test data: ratings taken in through the one rating-intake service, as in production."""

from __future__ import annotations

from haochaping.audit.services import Actor
from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.selectors import RatingTarget
from haochaping.evaluations.services import RatingInput
from haochaping.intake.services import RatingContext, ReceivedRating, rating_receive
from haochaping.organizations.models import BusinessSystem
from haochaping.service_records.models import ServiceRecord


def receive(
    record: ServiceRecord, data: RatingInput, *, actor: Actor | None = None, system: BusinessSystem | None = None
) -> ReceivedRating:
    """``rating_receive`` for a record at hand (a citizen's rating unless told otherwise)."""
    context = RatingContext(actor=actor or Actor.citizen(), system=system)
    return rating_receive(target=RatingTarget(record), data=data, context=context)


def submit_rating(
    *, actor: Actor, record: ServiceRecord, data: RatingInput, system: BusinessSystem | None = None
) -> Evaluation:
    """The stored rating of ``record`` (its case, if bad, cached as ``evaluation.case``)."""
    return receive(record, data, actor=actor, system=system).evaluation
