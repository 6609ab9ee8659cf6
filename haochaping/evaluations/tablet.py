"""The window tablet (窗口评价器): rating requests in, ratings out.

A clerk (console button) or a business system (API) asks the tablet of a window to show the
rating screen for one service; the tablet polls, shows it, and submits the citizen's rating
with its own credential and an idempotency key (its offline queue may resend; the rating
comes in through ``intake.services.tablet_rate``). Nothing here
accepts a staff session as the rater: the tablet rates as the citizen (channel 4), only for
services of its own window.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import Conflict, NotFound, ValidationFailed
from haochaping.evaluations.models import Evaluation, RatingRequest
from haochaping.organizations.models import Device, DeviceKind
from haochaping.service_records.models import ServiceRecord

S = RatingRequest.Status


def tablet_for_window(window_id: int | None) -> Device:
    device = (
        Device.objects.filter(window_id=window_id, kind=DeviceKind.TABLET, is_active=True)
        .exclude(credential_hash="")
        .order_by("-last_seen_at", "-id")
        .first()
        if window_id
        else None
    )
    if device is None:
        raise NotFound("该窗口没有已配对的评价器", code="no_tablet")
    return device


@transaction.atomic
def rating_request_create(*, actor: Actor, record: ServiceRecord, device: Device | None = None) -> RatingRequest:
    """Ask the record's window tablet (or ``device``) to show the rating for ``record``."""
    if Evaluation.objects.filter(record_id=record.pk).exists():
        raise Conflict("该次服务已评价，每次服务只能评价一次", code="already_rated")
    device = device or tablet_for_window(record.window_id)
    if device.window_id != record.window_id:
        raise ValidationFailed("评价器不属于该办件的窗口", code="wrong_window", fields={"window": ["窗口不符"]})
    if device.paused_at is not None:
        raise Conflict("该窗口评价器已暂停服务，请先在办件服务页面恢复服务", code="tablet_paused")
    RatingRequest.objects.filter(device=device, status__in=[S.PENDING, S.SHOWN]).update(status=S.REPLACED)
    request = RatingRequest.objects.create(
        device=device, record=record, requested_by=actor.label[:150],
        expires_at=timezone.now() + dt.timedelta(seconds=settings.TABLET_REQUEST_SECONDS),
    )  # fmt: skip
    audit_record(actor=actor, action="evaluations:rating_request:created", target=request,
                 data={"record": record.pk, "device": device.pk})  # fmt: skip
    return request


def rating_request_next(*, device: Device) -> RatingRequest | None:
    """The newest live request for this tablet (marked shown the first time it is fetched);
    none while the tablet is paused (暂停服务)."""
    if device.paused_at is not None:
        return None
    now = timezone.now()
    request = (
        RatingRequest.objects.select_related("record", "record__item", "record__unit", "record__staff")
        .filter(device=device, status__in=[S.PENDING, S.SHOWN], expires_at__gt=now)
        .order_by("-created_at", "-id")
        .first()
    )
    if request is not None and request.status == S.PENDING:
        with transaction.atomic():
            RatingRequest.objects.filter(pk=request.pk, status=S.PENDING).update(status=S.SHOWN, shown_at=now)
        request.status, request.shown_at = S.SHOWN, now
    return request


def rating_requests_done(*, device: Device, record: ServiceRecord) -> None:
    """The tablet's live requests for ``record`` are done: it is rated (called in the rating's
    transaction by ``intake.services.tablet_rate``)."""
    RatingRequest.objects.filter(device=device, record=record, status__in=[S.PENDING, S.SHOWN]).update(
        status=S.DONE, done_at=timezone.now()
    )
