"""Writes on the outbox: queue (in the caller's transaction), deliver (the job), settle, read.

Delivery guarantees (docs/subsystems/notifications.md):

* A message exists if and only if the caller's transaction commits (outbox pattern); an SMS
  is handed to the transport only by the ``notifications.deliver`` job, after the commit.
* The job runs at least once; the SMS is sent at most once. The row is locked and checked
  before each call: ``sent`` returns at once. Before the call the row is marked ``sending``
  (committed), the call happens outside any transaction, and the outcome is recorded after.
* A row found ``sending`` after ``SMS_SENDING_LEASE_SECONDS`` lost its worker during the call:
  the provider may have accepted it. It is never resent blindly: a transport with ``query``
  is asked whether it accepted the notification id (``OutId``); without ``query`` the row
  becomes ``uncertain`` and waits for an operator (``notification_retry``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.core.crypto import blind_index
from haochaping.core.crypto import normalise_phone as core_normalise_phone
from haochaping.core.errors import NotFound, ValidationFailed
from haochaping.jobs.models import UNFINISHED, Job
from haochaping.jobs.registry import JobError
from haochaping.jobs.services import job_enqueue
from haochaping.notifications.defaults import DEFAULT_TEMPLATES
from haochaping.notifications.models import Channel, MessageTemplate, Notification, NotificationStatus
from haochaping.notifications.rendering import names_before_marks, placeholders, plain_context, without_end_mark
from haochaping.notifications.selectors import inbox_for, template_variables, unread_count  # noqa: F401  (part of this API)
from haochaping.notifications.transports import QueryableTransport, SmsTransport, TransportError, get_transport

logger = logging.getLogger("haochaping.notifications")

DELIVER_TASK = "notifications.deliver"
ERROR_MAX_CHARS = 1000
# A provider's send records may lag behind its answer: an uncertain message is looked up no
# earlier than this after its send started, so that "not found" can be trusted.
QUERY_GRACE = dt.timedelta(seconds=30)


def _job_actor() -> Actor:
    return Actor.job(DELIVER_TASK)


def sending_lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.SMS_SENDING_LEASE_SECONDS)


def job_key(notification_id: int) -> str:
    return f"notify:{notification_id}"


# --- queue -------------------------------------------------------------------------------


def notification_queue(
    *,
    template: str,
    to_phone: str | None = None,
    to_user=None,
    context: dict[str, Any],
    dedupe_key: str | None = None,
    actor: Actor | None = None,
    thread: str | None = None,
) -> Notification | None:
    """Write one message to the outbox inside the caller's transaction; None if the template is off.

    Exactly one recipient: ``to_phone`` for an SMS template, ``to_user`` for an in-app one.
    The text is rendered now. A repeated ``dedupe_key`` returns the existing message. An SMS
    gets a delivery job (it leaves after the commit, by the worker); an in-app message is in
    the user's inbox as soon as the transaction commits. ``context`` holds plain values and
    never identity (the evaluator's name, phone, ID number). ``thread`` (what the inbox groups
    by) defaults to ``thread_of(context)``: the case's or the demand's messages form one group.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notification_queue must run inside the caller's transaction (transaction.atomic)")
    if (to_phone is None) == (to_user is None):
        raise ValueError("pass exactly one of to_phone and to_user")
    if dedupe_key is not None:
        existing = Notification.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    tpl = _active_template(template, to_phone=to_phone, to_user=to_user)
    if tpl is None:
        return None
    notification = _draft(tpl, context=context, to_phone=to_phone, to_user=to_user, dedupe_key=dedupe_key)
    if notification.channel == Channel.INAPP:
        notification.thread = (thread_of(context) if thread is None else thread)[:64]
    try:
        with transaction.atomic():  # a savepoint: a concurrent duplicate key leaves the caller's transaction usable
            notification.save(force_insert=True)
    except IntegrityError:
        if dedupe_key is None:
            raise
        return Notification.objects.get(dedupe_key=dedupe_key)
    _dispatch(notification, actor=actor or Actor.job("notifications.queue"))
    return notification


def thread_of(context: dict[str, Any]) -> str:
    """What a message is about, from its context: ``case:<case_id>``, ``demand:<demand_id>``, or
    "" (a message that stands alone). Migration 0007 holds a frozen copy."""
    for key, kind in (("case_id", "case"), ("demand_id", "demand")):
        value = (context or {}).get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{kind}:{value}"
    return ""


def _active_template(template: str, *, to_phone: str | None, to_user) -> MessageTemplate | None:
    """The template to render, None if it is switched off; the recipient must fit its channel."""
    tpl = template_get(template)
    if not tpl.is_active:
        logger.info("message template %s is disabled: nothing queued", template)
        return None
    channel = Channel(tpl.channel)
    if channel == Channel.SMS and to_phone is None:
        raise ValueError(f"template {template!r} is an SMS template: pass to_phone")
    if channel == Channel.INAPP and to_user is None:
        raise ValueError(f"template {template!r} is an in-app template: pass to_user")
    return tpl


def _draft(
    tpl: MessageTemplate, *, context: dict[str, Any], to_phone: str | None, to_user, dedupe_key: str | None
) -> Notification:
    """The unsaved message: rendered now, addressed to the phone (SMS, waiting for delivery) or
    the user (in-app, delivered by the commit itself)."""
    channel = Channel(tpl.channel)
    values = plain_context(context)
    title, body = tpl.render(values)
    params = {name: "" if values.get(name) is None else str(values[name]) for name in placeholders(tpl.body)}
    # A provider-side template (Aliyun) follows the variable with the same mark as ours and
    # cannot drop it: the value goes without its own final mark instead.
    for name in names_before_marks(tpl.body) & params.keys():
        params[name] = without_end_mark(params[name])
    now = timezone.now()
    notification = Notification(
        template_code=tpl.code,
        channel=channel,
        title=title[:200],
        body=body,
        context=values,
        template_params=params,
        dedupe_key=dedupe_key,
        created_at=now,
    )
    if channel == Channel.SMS:
        phone = normalise_phone(to_phone or "")
        if not phone:
            raise ValidationFailed("手机号码为空，无法发送短信", fields={"to_phone": ["手机号码为空"]})
        notification.phone = phone
        notification.phone_index = blind_index("phone", phone)
    else:
        notification.recipient = to_user
        notification.status = NotificationStatus.SENT  # delivered by the commit itself
        notification.provider = "inapp"
        notification.sent_at = now
    return notification


def _dispatch(notification: Notification, *, actor: Actor) -> None:
    """After the INSERT: an SMS gets its delivery job; the audit events (queued, and sent for an
    in-app message)."""
    audit_data = {
        "template": notification.template_code,
        "channel": notification.channel,
        "to": notification.recipient_label,
        "dedupe_key": notification.dedupe_key or "",
    }
    if notification.channel == Channel.SMS:
        job_enqueue(
            DELIVER_TASK,
            args={"notification_id": notification.pk},
            unique_key=job_key(notification.pk),
            max_attempts=settings.SMS_MAX_ATTEMPTS,
        )
        audit_record(actor=actor, action="notifications:message:queued", target=notification, data=audit_data)
    else:
        audit_record(actor=actor, action="notifications:message:queued", target=notification, data=audit_data)
        audit_record(
            actor=actor,
            action="notifications:message:sent",
            target=notification,
            data={**audit_data, "provider": "inapp"},
        )


def template_get(code: str) -> MessageTemplate:
    """The template row, or the shipped default (unsaved) if its row is missing; LookupError if unknown."""
    tpl = MessageTemplate.objects.filter(code=code).first()
    if tpl is not None:
        return tpl
    for default_code, channel, title, body in DEFAULT_TEMPLATES:
        if default_code == code:
            logger.warning("message template %s has no row: using the shipped default", code)
            return MessageTemplate(code=code, channel=channel, title=title, body=body, is_active=True)
    raise LookupError(f"unknown message template {code!r}")


def normalise_phone(phone: str) -> str:
    """The number an SMS goes to: spelled as it is indexed (``core.crypto.normalise_phone``: a
    mainland mobile as its 11 digits, "+86 138 1234-5678" -> "13812345678"), then digits and a
    leading + only."""
    phone = core_normalise_phone(phone.strip())
    return ("+" if phone.startswith("+") else "") + "".join(ch for ch in phone if ch.isdigit())


# --- deliver (the job) -----------------------------------------------------------------------


def notification_deliver(*, notification_id: int) -> None:
    """Send one queued SMS at most once; raise (so the job retries) when it should be tried again.

    Short transactions around transport calls made outside any transaction: claim (lock,
    check, mark ``sending``), call, record the outcome. A maybe-sent row is first looked up
    with the provider (``query``), also outside any transaction.
    """
    transport = get_transport()
    step = _claim(notification_id, transport)
    if step is None:
        return
    action, notification = step
    if action == "query":
        settled = _settle_by_query(notification, cast(QueryableTransport, transport))
        if settled is None:
            return
        notification = settled
    try:
        provider_id = transport.send(
            phone=notification.phone,
            body=notification.body,
            template_code=notification.template_code,
            out_id=str(notification.pk),
            params=notification.template_params,
        )
    except TransportError as exc:
        _record_failure(notification, transport, exc)
        return
    except Exception as exc:
        # A bug or an unexpected library error: the request may have left, so: maybe sent.
        error = TransportError(f"短信通道异常（{type(exc).__name__}）", code="unexpected", uncertain=True)
        _record_failure(notification, transport, error)
        return
    _record_sent(notification, transport, provider_id)


def _claim(notification_id: int, transport: SmsTransport) -> tuple[str, Notification] | None:
    """Lock the row and decide: nothing to do (None), ``("send", row)`` now marked ``sending``, or
    ``("query", row)`` for a maybe-sent row the provider must be asked about first."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None:
            logger.warning("notification %s: no such message, nothing to deliver", notification_id)
            return None
        if notification.channel != Channel.SMS or notification.status in (
            NotificationStatus.SENT,
            NotificationStatus.DEAD,
        ):
            return None  # already sent (a job that runs twice never resends) or given up
        now = timezone.now()
        if notification.status == NotificationStatus.SENDING:
            if notification.sending_started_at and now - notification.sending_started_at < sending_lease():
                raise JobError(f"短信 {notification.pk} 正在由另一任务发送，稍后再核对")
            # Its worker died during the call: the provider may have accepted the message.
            _mark_uncertain(notification, "发送过程中断（执行者停止），结果不明")
        if notification.status == NotificationStatus.UNCERTAIN:
            if not isinstance(transport, QueryableTransport):
                return None  # never resent automatically: an operator decides (notification_retry)
            if now - (notification.sending_started_at or notification.created_at) < QUERY_GRACE:
                raise JobError(f"短信 {notification.pk} 结果不明，稍后向通道核对")
            return "query", notification
        _mark_sending(notification, transport)
    return "send", notification


def _mark_sending(row: Notification, transport: SmsTransport) -> None:
    row.status = NotificationStatus.SENDING
    row.sending_started_at = timezone.now()
    row.attempts += 1
    row.provider = transport.name
    row.save(update_fields=["status", "sending_started_at", "attempts", "provider"])


def _settle_by_query(notification: Notification, transport: QueryableTransport) -> Notification | None:
    """Ask the provider whether it accepted this notification id (``OutId``): if so it is sent;
    if it has no trace of it, it was never accepted and sending it now is no duplicate.

    Returns the row (marked ``sending``) to send now, or None when there is nothing to send.
    """
    since = notification.sending_started_at or notification.created_at
    try:
        provider_id = transport.query(phone=notification.phone, out_id=str(notification.pk), since=since)
    except TransportError as exc:
        raise JobError(f"短信 {notification.pk} 结果不明，向通道核对失败：{exc}") from exc
    with transaction.atomic():
        row = Notification.objects.select_for_update().get(pk=notification.pk)
        if row.status != NotificationStatus.UNCERTAIN or row.attempts != notification.attempts:
            return None  # someone else settled or resent it meanwhile
        if provider_id is not None:
            _mark_sent(row, transport, provider_id, data={"settled_by": "query"})
            return None
        logger.warning("notification %s: the provider has no record of it; sending it now", row.pk)
        _mark_sending(row, transport)
    return row


def _record_sent(notification: Notification, transport: SmsTransport, provider_id: str) -> None:
    with transaction.atomic():
        row = Notification.objects.select_for_update().get(pk=notification.pk)
        _mark_sent(row, transport, provider_id)


def _mark_sent(row: Notification, transport: SmsTransport, provider_id: str, *, data: dict | None = None) -> None:
    row.status = NotificationStatus.SENT
    row.provider = transport.name
    row.provider_message_id = (provider_id or "")[:100]
    row.sent_at = timezone.now()
    row.last_error = ""
    row.save(update_fields=["status", "provider", "provider_message_id", "sent_at", "last_error"])
    audit_record(
        actor=_job_actor(),
        action="notifications:message:sent",
        target=row,
        data={
            "template": row.template_code,
            "channel": row.channel,
            "to": row.recipient_label,
            "provider": transport.name,
            "provider_message_id": row.provider_message_id,
            "attempts": row.attempts,
            **(data or {}),
        },
    )


def _record_failure(notification: Notification, transport: SmsTransport, exc: TransportError) -> None:
    """Record a refused or maybe-sent call; raise ``JobError`` when the job should run again."""
    message = str(exc)[:ERROR_MAX_CHARS]
    with transaction.atomic():
        row = Notification.objects.select_for_update().get(pk=notification.pk)
        if row.status != NotificationStatus.SENDING:
            return  # settled meanwhile (by an operator): nothing of ours to record
        if exc.uncertain:
            _mark_uncertain(row, message)
        elif exc.permanent or row.attempts >= settings.SMS_MAX_ATTEMPTS:
            _mark_dead(row, message, code=exc.code)
            return
        else:
            row.status = NotificationStatus.FAILED
            row.last_error = message
            row.save(update_fields=["status", "last_error"])
    if exc.uncertain:
        if not isinstance(transport, QueryableTransport):
            logger.error("notification %s: outcome unknown (%s); left for an operator, not resent", row.pk, message)
            return
        raise JobError(f"短信 {row.pk} 结果不明，稍后向通道核对：{message}")
    raise JobError(f"短信 {row.pk} 发送失败，稍后重试：{message}")


def _mark_uncertain(row: Notification, message: str) -> None:
    row.status = NotificationStatus.UNCERTAIN
    row.last_error = message[:ERROR_MAX_CHARS]
    row.save(update_fields=["status", "last_error"])
    audit_record(
        actor=_job_actor(),
        action="notifications:message:uncertain",
        target=row,
        data={"template": row.template_code, "to": row.recipient_label, "attempts": row.attempts, "error": message},
    )


def _mark_dead(row: Notification, message: str, *, code: str = "") -> None:
    row.status = NotificationStatus.DEAD
    row.last_error = message[:ERROR_MAX_CHARS]
    row.save(update_fields=["status", "last_error"])
    audit_record(
        actor=_job_actor(),
        action="notifications:message:dead",
        target=row,
        data={
            "template": row.template_code,
            "to": row.recipient_label,
            "attempts": row.attempts,
            "code": code,
            "error": message,
        },
    )


# --- upkeep and operators ------------------------------------------------------------------


def notification_sweep() -> dict[str, int]:
    """Settle SMS rows whose delivery job is gone (dead or purged) without settling them.

    * ``sending`` past the lease with no unfinished job: the job died on its final attempt
      while the call was in flight → ``uncertain`` (not resent).
    * ``queued``/``failed`` with no unfinished job: the job gave up → ``dead``.
    """
    counts = {"uncertain": 0, "dead": 0}
    cutoff = timezone.now() - sending_lease()
    live_job = Job.objects.filter(
        unique_key=Concat(Value("notify:"), Cast(OuterRef("pk"), CharField())), status__in=UNFINISHED
    )
    orphans = (
        Notification.objects.filter(channel=Channel.SMS)
        .filter(
            Q(status__in=[NotificationStatus.QUEUED, NotificationStatus.FAILED])
            | Q(status=NotificationStatus.SENDING, sending_started_at__lt=cutoff)
        )
        .filter(~Exists(live_job))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in list(orphans[:500]):
        with transaction.atomic():  # re-checked under the row lock: a job may have settled it meanwhile
            row = Notification.objects.select_for_update().filter(pk=pk).first()
            if row is None or Job.objects.filter(unique_key=job_key(pk), status__in=UNFINISHED).exists():
                continue
            if row.status == NotificationStatus.SENDING and row.sending_started_at and row.sending_started_at < cutoff:
                _mark_uncertain(row, "发送过程中断且发送任务已结束，结果不明")
                counts["uncertain"] += 1
            elif row.status in (NotificationStatus.QUEUED, NotificationStatus.FAILED):
                _mark_dead(row, row.last_error or "发送任务已放弃", code="job_gone")
                counts["dead"] += 1
    if any(counts.values()):
        logger.warning("notification sweep: %s", counts)
    return counts


@transaction.atomic
def notification_retry(*, actor: Actor, notification_id: int) -> Notification:
    """An operator sends a dead or uncertain SMS again (accepting that an uncertain one may arrive twice)."""
    row = Notification.objects.select_for_update().get(pk=notification_id, channel=Channel.SMS)
    if row.status not in (NotificationStatus.DEAD, NotificationStatus.UNCERTAIN):
        raise ValidationFailed("只有已放弃或结果不明的短信可以重新发送")
    previous = row.status
    row.status = NotificationStatus.QUEUED
    row.attempts = 0
    row.sending_started_at = None
    row.save(update_fields=["status", "attempts", "sending_started_at"])
    job_enqueue(
        DELIVER_TASK,
        args={"notification_id": row.pk},
        unique_key=job_key(row.pk),
        max_attempts=settings.SMS_MAX_ATTEMPTS,
    )
    audit_record(
        actor=actor,
        action="notifications:message:requeued",
        target=row,
        data={"template": row.template_code, "to": row.recipient_label, "previous": previous},
    )
    return row


def notification_mark_read(*, user, ids: Iterable[int] = (), threads: Iterable[str] = ()) -> int:
    """Mark the user's own unread in-app messages read: those with ``ids`` and every message of
    ``threads`` (an inbox group); others' ids and threads are ignored. Returns how many."""
    ids, threads = list(ids), [t for t in threads if t]
    if not ids and not threads:
        return 0
    return (
        Notification.objects.filter(recipient=user, channel=Channel.INAPP, read_at__isnull=True)
        .filter(Q(id__in=ids) | Q(thread__in=threads))
        .update(read_at=timezone.now())
    )


# --- templates -------------------------------------------------------------------------------

TEMPLATE_MAX_CHARS = {"sms": 300, "inapp": 500}


@transaction.atomic
def template_update(*, actor: Actor, code: str, title: str, body: str, is_active: bool) -> MessageTemplate:
    """Edit a message template's text (future messages only); unknown variables are refused."""
    template = MessageTemplate.objects.select_for_update().filter(code=code).first()
    if template is None:
        raise NotFound("消息模板不存在", code="template_not_found")
    errors: dict[str, list[str]] = {}
    body = body.strip()
    allowed = template_variables(code)
    unknown = [name for name in placeholders(title + body) if name not in allowed]
    if not body:
        errors["body"] = ["内容不能为空"]
    elif len(body) > TEMPLATE_MAX_CHARS[template.channel]:
        errors["body"] = [f"内容不能超过 {TEMPLATE_MAX_CHARS[template.channel]} 字"]
    if unknown:
        listed = "、".join("{" + n + "}" for n in unknown)
        usable = "、".join("{" + n + "}" for n in allowed)
        errors["body"] = [f"不支持的变量：{listed}；可用：{usable}"]
    if errors:
        raise ValidationFailed("模板内容有误", fields=errors)
    before = {"title": template.title, "body": template.body, "is_active": template.is_active}
    template.title, template.body, template.is_active = title.strip()[:200], body, is_active
    template.save(update_fields=["title", "body", "is_active", "updated_at"])
    audit_record(actor=actor, action="notifications:template:updated", target=template,
                 data={"code": code, "before": before,
                       "after": {"title": template.title, "body": body, "is_active": is_active}})  # fmt: skip
    return template
