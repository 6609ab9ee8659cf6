"""Append-only, hash-chained audit events."""

from __future__ import annotations

from django.db import models, router

from haochaping.core.db.insert import insert_row


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk updates and deletes are refused for append-only tables (the DB refuses too)."""

    def update(self, **kwargs):
        raise PermissionError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise PermissionError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    """Rows are inserted once; no code path of the app may change or delete them.

    The database enforces the same with triggers (``audit.immutability``), so a stray raw
    UPDATE is refused too.
    """

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, using: str | None = None, **kwargs):
        if not self._state.adding:
            raise PermissionError(f"{type(self).__name__} rows are append-only")
        insert_row(self, using or router.db_for_write(type(self), instance=self))

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{type(self).__name__} rows are append-only")


class ActorType(models.TextChoices):
    USER = "user", "后台用户"
    SYSTEM = "system", "业务系统"
    CITIZEN = "citizen", "办事群众"
    CLI = "cli", "命令行"
    JOB = "job", "后台任务"


class AuditEvent(AppendOnlyModel):
    """One state change: who did what to which target, when, with which data.

    Events form ``AUDIT_LANES`` independent hash chains (lanes), so that concurrent writers on
    PostgreSQL do not all queue on one chain head. Within a lane, ``hash`` = HMAC-SM3(audit key,
    ``prev_hash`` | canonical event): removing, inserting or editing any row breaks its lane
    from that row on, and each lane's head row catches a truncated tail
    (``haochaping audit verify``). ``data`` never holds plaintext identity.
    """

    lane = models.PositiveSmallIntegerField(default=0)
    seq = models.BigIntegerField()
    occurred_at = models.DateTimeField(db_index=True)
    actor_type = models.CharField(max_length=10, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    # Not indexed (every write of the app inserts here): searches by action are bounded by
    # time (occurred_at) or target (audit_target_idx), both indexed.
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        ordering = ["occurred_at", "id"]
        constraints = [models.UniqueConstraint(fields=["lane", "seq"], name="audit_lane_seq_unique")]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.lane}#{self.seq} {self.action}"


class AuditChainHead(models.Model):
    """One row per lane: the lane's last seq and hash; row-locked while appending.

    ``mac`` = HMAC-SM3(audit key, lane|seq|hash): without the key nobody can rewind a head to
    hide deleted tail events. The periodic checkpoint file (``audit.checkpoint``) catches a
    head restored from an old backup.
    """

    id = models.PositiveSmallIntegerField(primary_key=True)  # the lane number
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
    mac = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"audit lane {self.id} head #{self.seq}"
