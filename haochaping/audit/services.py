"""Writing and verifying the audit chain."""

from __future__ import annotations

import datetime as dt
import json
import random
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
        "lane": event.lane,
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
    # Hot path (every write of the app): two plain statements around one insert. The
    # UPDATE ... RETURNING takes the lane's head-row lock (PostgreSQL) and hands back the next
    # seq and the previous hash atomically; SQLite already holds its writer lock here.
    lane = random.randrange(settings.AUDIT_LANES)  # noqa: S311  (spreads writers; not security)
    head_table = AuditChainHead._meta.db_table
    bump = f"UPDATE {head_table} SET seq = seq + 1 WHERE id = %s RETURNING seq, hash"  # noqa: S608
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(bump, [lane])
        row = cursor.fetchone()
        if row is None:  # first event of this lane: its head row is created on first use
            AuditChainHead.objects.get_or_create(pk=lane, defaults={"seq": 0, "hash": GENESIS})
            cursor.execute(bump, [lane])
            row = cursor.fetchone()
        seq, prev_hash = row
        now = timezone.now()
        event = AuditEvent(
            lane=lane,
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
        cursor.execute(f"UPDATE {head_table} SET hash = %s WHERE id = %s", [event.hash, lane])  # noqa: S608
    return event


@dataclass(frozen=True)
class Break:
    lane: int
    seq: int
    reason: str


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    breaks: list[Break]

    @property
    def ok(self) -> bool:
        return not self.breaks


def audit_verify() -> VerifyResult:
    """Walk every lane in order; report each lane's first broken link (edited, removed or inserted row)."""
    breaks: list[Break] = []
    checked = 0
    broken_lanes: set[int] = set()
    state: dict[int, tuple[int, str]] = {}  # lane -> (last seq, last hash)
    for event in AuditEvent.objects.order_by("lane", "seq").iterator(chunk_size=2000):
        lane = event.lane
        if lane in broken_lanes:
            continue
        last_seq, prev_hash = state.get(lane, (0, GENESIS))
        problem = ""
        if event.seq != last_seq + 1:
            problem = f"第 {lane} 链第 {last_seq + 1} 条事件缺失（序号跳至 {event.seq}）"
            seq = last_seq + 1
        elif event.prev_hash != prev_hash:
            problem, seq = f"第 {lane} 链第 {event.seq} 条事件的前序哈希与上一条不符", event.seq
        elif _event_hash(prev_hash, _hashed_fields(event)) != event.hash:
            problem, seq = f"第 {lane} 链第 {event.seq} 条事件内容被篡改（哈希不符）", event.seq
        if problem:
            breaks.append(Break(lane, seq, problem))
            broken_lanes.add(lane)
            continue
        state[lane] = (event.seq, event.hash)
        checked += 1
    for head in AuditChainHead.objects.order_by("id"):
        if head.id in broken_lanes:
            continue
        last_seq, last_hash = state.get(head.id, (0, GENESIS))
        if head.seq != last_seq or head.hash != last_hash:
            breaks.append(
                Break(
                    head.id,
                    last_seq + 1,
                    f"第 {head.id} 链尾部缺失：链头记录到第 {head.seq} 条，实际只有 {last_seq} 条",
                )
            )
    return VerifyResult(checked, breaks)
