"""Rating intake: the one way a rating comes in, whatever the channel.

The business-system API (``POST /api/v1/evaluations``), the signed link and the static QR code
(``/r/<token>``, ``/q/<slug>``), 我的评价, the kiosk, the window tablet, a rating given on the
phone to the callback operator, the demo seed and the test factories all call
``rating_receive``. Handlers authenticate, parse, call it and render; this module owns:

* the transaction, through the caller's write guard (``RatingContext.guard``): a plain
  ``transaction.atomic()`` by default, ``organizations.api_auth.SignedRequestWrite`` for a
  signed API request (its nonce is recorded in the rating's transaction);
* the one-rating-per-service rule and ``client_key`` resends: a second rating is refused
  (409 ``already_rated``), a resend with the stored rating's ``client_key`` gets the stored
  rating (``created`` False), also when it loses a race to its own first attempt;
* the bad rating's rectification case, opened in the rating's own transaction.

The rating itself (validation, row, audit event) is ``evaluations.services``'; the case is
``rectification.services``'. Both stay unaware of each other and of the channels.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from django.db import transaction

from haochaping.audit.services import Actor
from haochaping.core.errors import Conflict, NotFound, ValidationFailed
from haochaping.evaluations.choices import BAD_LEVELS, Channel
from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.selectors import RatingTarget
from haochaping.evaluations.services import RatingInput, evaluation_prepare, evaluation_resent, evaluation_store
from haochaping.evaluations.tablet import rating_requests_done
from haochaping.organizations.models import BusinessSystem, Device
from haochaping.rectification.models import RectificationCase
from haochaping.rectification.services import case_open_for_evaluation
from haochaping.service_records.models import ServiceRecord


class WriteGuard(Protocol):
    """What surrounds the intake's writes, supplied by the channel."""

    def transaction(self) -> AbstractContextManager[object]:
        """The write transaction (entered only when there is something to write)."""

    def before_answer(self) -> None:
        """Called when the intake answers without writing (a resend): may refuse the request."""


class AtomicWrite:
    """The default guard: a plain ``transaction.atomic()``, nothing to check before answering.

    Inside a caller's transaction (a phone call's record, a demo seed batch) it is a savepoint,
    so a second rating refused by the unique key leaves the caller's transaction usable.
    """

    __slots__ = ()

    def transaction(self) -> AbstractContextManager[object]:
        return transaction.atomic()

    def before_answer(self) -> None:
        return None


ATOMIC_WRITE = AtomicWrite()


@dataclass(frozen=True, slots=True)
class RatingContext:
    """Who hands the rating in, and how its writes are guarded.

    ``actor``: the audit actor (the citizen, a business system, the callback operator).
    ``system``: the business system that submitted it (stored on the rating), if any.
    ``guard``: the write guard (``WriteGuard``). ``also``: further writes of the channel made
    in the rating's transaction once the rating is stored (the tablet's rating requests).
    """

    actor: Actor
    system: BusinessSystem | None = None
    guard: WriteGuard = ATOMIC_WRITE
    also: Callable[[Evaluation], None] | None = None


@dataclass(frozen=True, slots=True)
class ReceivedRating:
    """The stored rating, its case (None for a good rating) and whether this call stored it
    (False: a resend answered with the rating stored before)."""

    evaluation: Evaluation
    case: RectificationCase | None
    created: bool


def rating_receive(*, target: RatingTarget, data: RatingInput, context: RatingContext) -> ReceivedRating:
    """Take in the one rating of a service, from any channel.

    Validation and row preparation come first, outside the transaction, so the write
    transaction (on SQLite the database's one writer lock) holds only the INSERTs: the rating,
    its audit event, and for a bad rating (level ≤ 2) its rectification case.

    Raises ``ValidationFailed`` (422) for a rating that does not fit the service or the active
    indicator set, and ``Conflict`` ``already_rated`` (409) when the service has its rating and
    this is not a resend of it.
    """
    guard = context.guard
    try:
        prepared = evaluation_prepare(actor=context.actor, target=target, data=data, system=context.system)
        if isinstance(prepared, Evaluation):  # a resend, found while preparing
            guard.before_answer()
            return _received_before(prepared)
        with guard.transaction():
            evaluation = evaluation_store(prepared)
            if evaluation.level in BAD_LEVELS:
                # Caches evaluation.case (the reverse one-to-one) too.
                case = case_open_for_evaluation(actor=context.actor, evaluation=evaluation, unit_code=target.unit_code)
            else:
                case = None
                # Known to have no case: spare readers of evaluation.case a query.
                evaluation._state.fields_cache["case"] = None
            if context.also is not None:
                context.also(evaluation)
    except Conflict as exc:
        if exc.code != "already_rated":
            raise
        # Refused by the one-rating-per-service rule (rated before, or a race lost to a
        # concurrent rating): a resend with the stored client_key gets the stored rating.
        guard.before_answer()
        existing = evaluation_resent(target.record, data.client_key)
        if existing is None:
            raise
        return _received_before(existing)
    return ReceivedRating(evaluation, case, created=True)


def _received_before(evaluation: Evaluation) -> ReceivedRating:
    # evaluation_resent loads the case along (select_related): no query here.
    return ReceivedRating(evaluation, getattr(evaluation, "case", None), created=False)


def tablet_rate(*, device: Device, record_id: int, data: RatingInput) -> ReceivedRating:
    """A rating made on a window tablet (online or replayed from its offline queue), for a
    service of the tablet's own window; its pending rating requests are done with it."""
    record = ServiceRecord.objects.select_related("unit", "item").filter(pk=record_id).first()
    if record is None or record.window_id != device.window_id:
        raise NotFound("办件不存在或不属于本窗口", code="record_not_found")
    if not data.client_key:
        raise ValidationFailed("缺少幂等键", fields={"client_key": ["必填"]})
    data.channel = Channel.TABLET
    context = RatingContext(actor=Actor.citizen(), also=lambda _: rating_requests_done(device=device, record=record))
    return rating_receive(target=RatingTarget(record), data=data, context=context)
