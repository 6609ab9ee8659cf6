"""The audit chain: every write is recorded; any edit, removal or insertion is detected."""

import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from haochaping.audit.models import AuditChainHead, AuditEvent
from haochaping.audit.services import (
    GENESIS,
    Actor,
    audit_checkpoint,
    audit_prepare,
    audit_record,
    audit_verify,
)


def _raw(sql: str, params=()) -> None:
    """What an attacker with database access would do: bypass the app, drop the guard trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_delete")
        else:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor != "sqlite":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


def _record(n: int) -> None:
    for i in range(n):
        audit_record(
            actor=Actor.cli("test"),
            action="tests:thing:done",
            target_type="thing",
            target_id=str(i),
            data={"i": i, "text": "中文"},
        )


@pytest.fixture
def chain(db, settings):
    """Five events in one lane, so the tests can name seq numbers."""
    settings.AUDIT_LANES = 1
    _record(5)


def test_events_are_chained_in_order(chain):
    events = list(AuditEvent.objects.order_by("seq"))
    assert [(e.lane, e.seq) for e in events] == [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5)]
    assert events[0].prev_hash == GENESIS
    for prev, cur in itertools.pairwise(events):
        assert cur.prev_hash == prev.hash
    head = AuditChainHead.objects.get(pk=0)
    assert (head.seq, head.hash) == (5, events[-1].hash)
    result = audit_verify()
    assert result.ok and result.checked == 5


def test_events_spread_over_lanes_and_each_lane_verifies(transactional_db, settings):
    settings.AUDIT_LANES = 4
    _record(60)
    lanes = set(AuditEvent.objects.values_list("lane", flat=True))
    assert len(lanes) > 1 and lanes <= {0, 1, 2, 3}
    for lane in lanes:
        seqs = list(AuditEvent.objects.filter(lane=lane).order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))
    assert audit_verify().ok and audit_verify().checked == 60


def test_one_transaction_writes_all_its_events_to_one_lane(transactional_db, settings):
    """A transaction holds at most one lane head: two multi-event writers cannot deadlock."""
    settings.AUDIT_LANES = 16
    for _ in range(5):
        with transaction.atomic():
            first = max(AuditEvent.objects.values_list("id", flat=True), default=0)
            # Prepared before the transaction's first event, appended after it: it moves over.
            draft = audit_prepare(actor=Actor.cli("test"), action="tests:thing:late", target_type="thing")
            _record(3)
            draft.append(target_id="late")
        lanes = set(AuditEvent.objects.filter(id__gt=first).values_list("lane", flat=True))
        assert len(lanes) == 1
    assert AuditEvent.objects.count() == 20
    assert audit_verify().ok


def test_action_names_must_be_source_subject_action(db):
    with pytest.raises(ValueError, match="source:subject:action"):
        audit_record(actor=Actor.cli(), action="created")


def test_edited_data_is_detected_at_that_row(chain):
    _raw("UPDATE audit_auditevent SET data = %s WHERE seq = 3", ['{"i": 99, "text": "中文"}'])
    result = audit_verify()
    assert not result.ok and [(b.lane, b.seq) for b in result.breaks] == [(0, 3)] and result.checked == 2
    assert "篡改" in result.breaks[0].reason


def test_edited_actor_is_detected(chain):
    _raw("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = 4")
    assert audit_verify().breaks[0].seq == 4


def test_removed_row_is_detected(chain):
    _raw("DELETE FROM audit_auditevent WHERE seq = 2")
    result = audit_verify()
    assert not result.ok and result.breaks[0].seq == 2 and "缺失" in result.breaks[0].reason


def test_truncated_tail_is_detected(chain):
    _raw("DELETE FROM audit_auditevent WHERE seq = 5")
    result = audit_verify()
    assert not result.ok and result.breaks[0].seq == 5 and "尾部" in result.breaks[0].reason


def test_recomputed_hash_without_the_key_still_breaks_the_link(chain):
    _raw("UPDATE audit_auditevent SET hash = %s WHERE seq = 2", ["f" * 64])
    assert audit_verify().breaks[0].seq == 2


def test_moving_an_event_to_another_lane_is_detected(db, settings):
    settings.AUDIT_LANES = 2
    _record(20)
    event = AuditEvent.objects.order_by("lane", "seq").first()
    _raw("UPDATE audit_auditevent SET lane = %s, seq = 999 WHERE id = %s", [1 - event.lane, event.pk])
    assert {b.lane for b in audit_verify().breaks} >= {event.lane}


def test_app_code_cannot_change_or_delete_events(chain):
    event = AuditEvent.objects.first()
    event.action = "x:y:z"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 5


def test_rewinding_a_head_without_the_key_is_detected(chain):
    _raw("DELETE FROM audit_auditevent WHERE seq = 5")
    previous = AuditEvent.objects.get(seq=4)
    with connection.cursor() as cursor:  # the attacker rewinds the head to event 4
        cursor.execute("UPDATE audit_auditchainhead SET seq = 4, hash = %s WHERE id = 0", [previous.hash])
    result = audit_verify()
    assert not result.ok and "链头记录被改动" in result.breaks[0].reason


def test_a_checkpoint_catches_emptied_tables(chain, settings, tmp_path):
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    audit_checkpoint()
    assert audit_verify().ok and audit_verify().checkpoint_at
    _raw("DELETE FROM audit_auditevent")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditchainhead_no_delete")
        else:
            cursor.execute("ALTER TABLE audit_auditchainhead DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM audit_auditchainhead")
    result = audit_verify()
    assert not result.ok and "检查点不符" in result.breaks[0].reason


def test_a_forged_checkpoint_line_is_ignored(chain, settings, tmp_path):
    path = tmp_path / "checkpoints.jsonl"
    settings.AUDIT_CHECKPOINT_FILE = str(path)
    path.write_text('{"at": "2026-01-01T00:00:00+00:00", "lanes": {"0": [99, "x"]}, "mac": "forged"}\n')
    assert audit_verify().ok and audit_verify().checkpoint_at is None


def test_head_rows_cannot_be_deleted(chain):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditchainhead")


def test_verify_command_reports_ok_and_broken(chain, capsys):
    call_command("audit", "verify")
    assert "审计链完整：共校验 5 条事件" in capsys.readouterr().out
    _raw("UPDATE audit_auditevent SET target_id = '7' WHERE seq = 1")
    with pytest.raises(CommandError):
        call_command("audit", "verify")
    assert "第 0 链自第 1 条起不可信" in capsys.readouterr().out


def test_two_first_writers_of_a_lane_both_succeed(transactional_db, settings):
    """The lane head is created on first use; two transactions racing for it must not fail."""
    import threading

    from django.db import connections

    settings.AUDIT_LANES = 1
    sqlite = connection.vendor == "sqlite"
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            if sqlite:  # BEGIN IMMEDIATE queues the second writer: meet before it
                barrier.wait(timeout=10)
            with transaction.atomic():
                if not sqlite:  # both transactions open, both about to create the head
                    barrier.wait(timeout=10)
                audit_record(actor=Actor.cli("test"), action="tests:thing:raced", target_type="t", target_id=str(i))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == [1, 2]
    assert audit_verify().ok
