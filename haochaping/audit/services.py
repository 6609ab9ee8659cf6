"""Writing and verifying the audit chain."""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from haochaping.audit.models import ActorType, AuditChainHead, AuditEvent
from haochaping.core.crypto import canonical_json, hmac_sm3_hex
from haochaping.core.db.hot import hot_cursor, with_piggybacked
from haochaping.core.db.insert import insert_columns, insert_params, insert_prepared, insert_sql, inserted

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

    @classmethod
    def job(cls, label: str) -> Actor:
        return cls(ActorType.JOB, "", label)

    @classmethod
    def for_caller(cls, caller) -> Actor:
        """The actor of an ``organizations.selectors.Caller`` (console user or business system)."""
        return cls.for_user(caller.user) if caller.user is not None else cls.for_system(caller.system)


def _event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return _hash_message(prev_hash, canonical_json(fields))


def _hash_message(prev_hash: str, canonical: bytes) -> str:
    """The chain formula: HMAC-SM3(audit key, prev_hash | canonical event JSON)."""
    return hmac_sm3_hex(settings.AUDIT_KEY.encode(), prev_hash.encode() + b"|" + canonical)


def head_mac(lane: int, seq: int, hash_: str) -> str:
    return hmac_sm3_hex(settings.AUDIT_KEY.encode(), f"head|{lane}|{seq}|{hash_}".encode())


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
    return audit_prepare(
        actor=actor, action=action, target=target, target_type=target_type, target_id=target_id, data=data
    ).append()


def audit_prepare(
    *,
    actor: Actor,
    action: str,
    target: Any = None,
    target_type: str = "",
    target_id: str = "",
    data: dict[str, Any] | None = None,
    model: Any = None,
) -> AuditDraft:
    """Everything of an event that does not depend on the chain, computed before any lock.

    ``append()`` then only bumps the lane head, hashes and inserts. For a target that does not
    exist yet (the rating being stored), pass its ``model`` and give the id to ``append``.
    """
    if action.count(":") != 2:
        raise ValueError(f"audit action must be source:subject:action, got {action!r}")
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
    elif model is not None:
        target_type = target_type or model._meta.label_lower
    return AuditDraft(actor, action, target_type, str(target_id), data or {})


def _transaction_lane(proposed: int | None = None) -> int:
    """The lane of the current transaction's events: the first event picks one at random.

    Random spreads concurrent writers over the lanes (PostgreSQL locks each lane's head row
    until commit); one lane per transaction means a transaction never holds two head rows, so
    two transactions writing several events each (a bad rating: the rating and its case) can
    never deadlock on them. Outside a transaction every event picks at random.
    """
    conn = connections[DEFAULT_DB_ALIAS]
    outer = conn.atomic_blocks[0] if conn.in_atomic_block and conn.atomic_blocks else None
    held = conn.__dict__.get("_audit_lane")
    if outer is not None and held is not None and held[0] is outer and held[1] < settings.AUDIT_LANES:
        return held[1]
    lane = proposed if proposed is not None else random.randrange(settings.AUDIT_LANES)  # noqa: S311
    conn.__dict__["_audit_lane"] = (outer, lane)
    return lane


@cache
def _late_columns(using: str) -> tuple[int, ...]:
    """Positions in the INSERT parameters of the values set under the lock."""
    columns = insert_columns(AuditEvent, using)
    return tuple(columns.index(name) for name in ("seq", "prev_hash", "hash", "target_id", "lane"))


def _json(value: Any) -> str:
    return canonical_json(value).decode()


class AuditDraft:
    """An audit event prepared outside the write lock (see ``audit_prepare``).

    The hashed message is ``canonical_json(_hashed_fields(event))``; its sorted members are
    split around the two values only known under the lock (``seq``) or after the target's
    INSERT (``target_id``), so ``append`` joins strings instead of serialising the event.
    """

    __slots__ = ("_post_target", "_pre_seq", "_target_id", "event", "params")

    def __init__(self, actor: Actor, action: str, target_type: str, target_id: str, data: dict[str, Any]) -> None:
        lane = _transaction_lane()
        now = timezone.now()
        event = AuditEvent(
            lane=lane,
            seq=0,
            # Truncated to milliseconds: every database round-trips that exactly.
            occurred_at=now.replace(microsecond=now.microsecond // 1000 * 1000),
            actor_type=actor.type,
            actor_id=actor.id,
            actor_label=actor.label[:150],
            action=action,
            target_type=target_type,
            target_id=target_id,
            data=json.loads(canonical_json(data)),
            prev_hash="",
            hash="",
        )
        self.event = event
        self.params = insert_params(event)
        self._prefix()
        self._post_target = ',"target_type":' + _json(target_type) + "}"
        self._target_id = target_id

    def _prefix(self) -> None:
        fields = _hashed_fields(self.event)
        # Sorted keys: action, actor_id, actor_label, actor_type, data, lane, occurred_at | seq |
        # target_id | target_type. Joined with the values known later this gives exactly
        # canonical_json(fields).
        keys = sorted(fields)
        i_seq = keys.index("seq")
        if keys[i_seq:] != ["seq", "target_id", "target_type"]:  # pragma: no cover  (layout invariant)
            raise AssertionError(f"unexpected audit field layout: {keys}")
        head = canonical_json({k: fields[k] for k in keys[:i_seq]}).decode()
        self._pre_seq = head[:-1] + ',"seq":'

    def append(self, target_id: Any = None) -> AuditEvent:
        """Bump the lane head, hash and insert; inside the caller's transaction."""
        return self.append_after(None, None, target_id=target_id)

    def append_after(self, instance: Any, params: list | None, *, target_id: Any = None) -> AuditEvent:
        """INSERT ``instance`` (``params`` from ``insert_params``), then append this event for it.

        On PostgreSQL the target's INSERT and the lane bump travel as one statement, and the
        event's INSERT and the head update as another: two round trips instead of four on the
        rating-intake path. Elsewhere (SQLite: in-process calls) they are four statements.
        """
        if (instance is None) != (params is None):
            raise TypeError("append_after takes an instance with its insert params, or neither")
        event = self.event
        # The UPDATE ... RETURNING takes the lane's head-row lock (PostgreSQL) and hands back
        # the next seq and the previous hash atomically; SQLite already holds its writer lock.
        head = AuditChainHead._meta.db_table
        bump = f"UPDATE {head} SET seq = seq + 1 WHERE id = %s RETURNING seq, hash"  # noqa: S608
        pg = connection.vendor == "postgresql"
        with transaction.atomic(savepoint=False), hot_cursor() as cursor:
            lane = _transaction_lane(event.lane)
            if lane != event.lane:  # prepared before the transaction, which has its lane by now
                event.lane = lane
                self.params[_late_columns(connection.alias)[4]] = lane
                self._prefix()
            row = None
            if instance is not None and params is not None and pg:
                pk = instance._meta.pk.column
                ctes, cte_params = with_piggybacked([f"t AS ({insert_sql(type(instance))})", f"h AS ({bump})"],
                                                    [*params, lane])  # fmt: skip
                cursor.execute(
                    f"WITH {', '.join(ctes)} SELECT t.{pk}, h.seq, h.hash FROM t LEFT JOIN h ON true",  # noqa: S608
                    cte_params,
                )
                target_pk, seq, prev_hash = cursor.fetchone()
                inserted(instance, target_pk)
                row = None if seq is None else (seq, prev_hash)
            elif instance is not None and params is not None:
                insert_prepared(instance, params, cursor=cursor)
            if instance is not None:
                target_id = instance.pk
            if target_id is not None:
                event.target_id = self._target_id = str(target_id)
            if row is None:
                cursor.execute(bump, [lane])
                row = cursor.fetchone()
            if row is None:  # first event of this lane: its head row is created on first use
                # ON CONFLICT DO NOTHING: two first writers of a lane race without an error
                # (the second waits for the first's commit on PostgreSQL, then bumps its row).
                AuditChainHead.objects.bulk_create(
                    [AuditChainHead(pk=lane, seq=0, hash=GENESIS, mac="")], ignore_conflicts=True
                )
                cursor.execute(bump, [lane])
                row = cursor.fetchone()
            seq, prev_hash = row
            message = f'{self._pre_seq}{seq},"target_id":{_json(self._target_id)}{self._post_target}'
            hash_ = _hash_message(prev_hash, message.encode())
            event.seq, event.prev_hash, event.hash = seq, prev_hash, hash_
            params = self.params
            i_seq, i_prev, i_hash, i_target, _ = _late_columns(connection.alias)
            params[i_seq], params[i_prev], params[i_hash], params[i_target] = seq, prev_hash, hash_, self._target_id
            update_head = f"UPDATE {head} SET hash = %s, mac = %s WHERE id = %s"  # noqa: S608
            head_params = [hash_, head_mac(lane, seq, hash_), lane]
            if pg:
                cursor.execute(
                    f"WITH e AS ({insert_sql(AuditEvent)}) {update_head} RETURNING (SELECT id FROM e)",  # noqa: S608
                    [*params, *head_params],
                )
                inserted(event, cursor.fetchone()[0])
            else:
                insert_prepared(event, params, cursor=cursor)
                cursor.execute(update_head, head_params)
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
    checkpoint_at: str | None = None

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
    heads = {head.id: head for head in AuditChainHead.objects.order_by("id")}
    for lane, head in heads.items():
        if lane in broken_lanes:
            continue
        last_seq, last_hash = state.get(lane, (0, GENESIS))
        if head.mac != head_mac(lane, head.seq, head.hash):
            breaks.append(Break(lane, head.seq, f"第 {lane} 链链头记录被改动（校验码不符）"))
            broken_lanes.add(lane)
        elif head.seq != last_seq or head.hash != last_hash:
            message = f"第 {lane} 链尾部缺失：链头记录到第 {head.seq} 条，实际只有 {last_seq} 条"
            breaks.append(Break(lane, last_seq + 1, message))
            broken_lanes.add(lane)
    for lane in sorted(set(state) - set(heads)):
        breaks.append(Break(lane, 1, f"第 {lane} 链的链头记录缺失"))
    checkpoint = checkpoint_read()
    if checkpoint is not None:
        breaks += _against_checkpoint(checkpoint, heads, broken_lanes)
    return VerifyResult(checked, breaks, checkpoint_at=checkpoint["at"] if checkpoint else None)


# --- checkpoints: the chain heads, written periodically to a file outside the database --------


def _checkpoint_mac(body: dict[str, Any]) -> str:
    return hmac_sm3_hex(settings.AUDIT_KEY.encode(), b"checkpoint|" + canonical_json(body))


def audit_checkpoint() -> dict[str, Any]:
    """Append the current lane heads to AUDIT_CHECKPOINT_FILE (one MACed JSON line).

    Point the file at storage the database administrators cannot rewrite (another host, WORM
    storage, a log collector): emptying or rolling back the audit tables is then detected.
    """
    lanes = {str(h.id): [h.seq, h.hash] for h in AuditChainHead.objects.order_by("id")}
    body = {"at": timezone.now().isoformat(), "lanes": lanes}
    line = {**body, "mac": _checkpoint_mac(body)}
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    return line


def checkpoint_read() -> dict[str, Any] | None:
    """The last checkpoint whose MAC verifies, or None if there is none yet."""
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    if not path.exists():
        return None
    last = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        mac = line.pop("mac", "") if isinstance(line, dict) else ""
        if mac and mac == _checkpoint_mac(line):
            last = line
    return last


def _against_checkpoint(checkpoint, heads, broken_lanes) -> list[Break]:
    breaks = []
    for lane_text, (seq, hash_) in checkpoint["lanes"].items():
        lane = int(lane_text)
        if lane in broken_lanes or seq == 0:
            continue
        head = heads.get(lane)
        event = AuditEvent.objects.filter(lane=lane, seq=seq).only("hash").first()
        if head is None or head.seq < seq or event is None or event.hash != hash_:
            reason = f"第 {lane} 链与 {checkpoint['at']} 的检查点不符：第 {seq} 条及之前的记录被删除或回滚"
            breaks.append(Break(lane, seq, reason))
    return breaks
