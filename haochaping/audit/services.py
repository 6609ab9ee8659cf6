"""Writing and verifying the audit chain."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from haochaping.audit.models import ActorType, AuditChainHead, AuditEvent
from haochaping.core.crypto import canonical_json, hmac_sm3_hex

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who acts: a console user, a business system, a citizen (never identified), the CLI, a job."""

    type: str
    id: str = ""
    label: str = ""

    @classmethod
    def for_user(cls, user) -> Actor:
        return cls(ActorType.USER, str(user.pk), user.get_username())

    @classmethod
    def for_system(cls, system) -> Actor:
        return cls(ActorType.SYSTEM, system.app_id, system.name)

    @classmethod
    def citizen(cls) -> Actor:
        return cls(ActorType.CITIZEN, "", "办事群众")

    @classmethod
    def cli(cls, label: str = "haochaping") -> Actor:
        return cls(ActorType.CLI, "", label)


def _event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    message = prev_hash.encode() + b"|" + canonical_json(fields)
    return hmac_sm3_hex(settings.AUDIT_KEY.encode(), message)


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at.astimezone(dt.UTC).isoformat(),
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "data": event.data,
    }


def audit_record(
    *,
    actor: Actor,
    action: str,
    target: Any = None,
    target_type: str = "",
    target_id: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    Call it last in a service, so the chain-head lock is held for the shortest time.
    ``action`` is ``source:subject:action`` (``evaluations:evaluation:created``).
    """
    if action.count(":") != 2:
        raise ValueError(f"audit action must be source:subject:action, got {action!r}")
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
    # Hot path (every write of the app): two plain statements around one ORM insert. The
    # UPDATE ... RETURNING takes the chain-head row lock (PostgreSQL) and hands back the next
    # seq and the previous hash atomically; SQLite already holds its writer lock here.
    head_table = AuditChainHead._meta.db_table
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {head_table} SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")  # noqa: S608
        row = cursor.fetchone()
        if row is None:  # first event ever (the head row is created on first use)
            AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS})
            cursor.execute(f"UPDATE {head_table} SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")  # noqa: S608
            row = cursor.fetchone()
        seq, prev_hash = row
        now = timezone.now()
        event = AuditEvent(
            seq=seq,
            # Truncated to milliseconds: every database round-trips that exactly.
            occurred_at=now.replace(microsecond=now.microsecond // 1000 * 1000),
            actor_type=actor.type,
            actor_id=actor.id,
            actor_label=actor.label[:150],
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            data=json.loads(canonical_json(data or {})),
            prev_hash=prev_hash,
        )
        event.hash = _event_hash(prev_hash, _hashed_fields(event))
        event.save()
        cursor.execute(f"UPDATE {head_table} SET hash = %s WHERE id = 1", [event.hash])  # noqa: S608
    return event


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def audit_verify() -> VerifyResult:
    """Walk the chain in order; report the first broken link (edited, removed or inserted row)."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"第 {expected_seq} 条事件缺失（序号跳至 {event.seq}）")
        if event.prev_hash != prev_hash:
            return VerifyResult(False, checked, event.seq, f"第 {event.seq} 条事件的前序哈希与上一条不符")
        if _event_hash(prev_hash, _hashed_fields(event)) != event.hash:
            return VerifyResult(False, checked, event.seq, f"第 {event.seq} 条事件内容被篡改（哈希不符）")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != checked or head.hash != prev_hash):
        return VerifyResult(False, checked, checked + 1, f"链尾缺失：链头记录到第 {head.seq} 条，实际只有 {checked} 条")
    return VerifyResult(True, checked)
