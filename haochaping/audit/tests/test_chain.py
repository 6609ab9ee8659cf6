"""The audit chain: every write is recorded; any edit, removal or insertion is detected."""

import itertools

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from haochaping.audit.models import AuditChainHead, AuditEvent
from haochaping.audit.services import Actor, audit_record, audit_verify


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


@pytest.fixture
def chain(db):
    for i in range(5):
        audit_record(
            actor=Actor.cli("test"),
            action="tests:thing:done",
            target_type="thing",
            target_id=str(i),
            data={"i": i, "text": "中文"},
        )


def test_events_are_chained_in_order(chain):
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == "0" * 64
    for prev, cur in itertools.pairwise(events):
        assert cur.prev_hash == prev.hash
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (5, events[-1].hash)
    assert audit_verify().ok and audit_verify().checked == 5


def test_action_names_must_be_source_subject_action(db):
    with pytest.raises(ValueError, match="source:subject:action"):
        audit_record(actor=Actor.cli(), action="created")


def test_edited_data_is_detected_at_that_row(chain):
    _raw("UPDATE audit_auditevent SET data = %s WHERE seq = 3", ['{"i": 99, "text": "中文"}'])
    result = audit_verify()
    assert not result.ok and result.broken_seq == 3 and result.checked == 2
    assert "篡改" in result.reason


def test_edited_actor_is_detected(chain):
    _raw("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = 4")
    assert audit_verify().broken_seq == 4


def test_removed_row_is_detected(chain):
    _raw("DELETE FROM audit_auditevent WHERE seq = 2")
    result = audit_verify()
    assert not result.ok and result.broken_seq == 2 and "缺失" in result.reason


def test_truncated_tail_is_detected(chain):
    _raw("DELETE FROM audit_auditevent WHERE seq = 5")
    result = audit_verify()
    assert not result.ok and result.broken_seq == 5


def test_recomputed_hash_without_the_key_still_breaks_the_next_link(chain):
    _raw("UPDATE audit_auditevent SET hash = %s WHERE seq = 2", ["f" * 64])
    assert audit_verify().broken_seq == 2


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


def test_verify_command_reports_ok_and_broken(chain, capsys):
    call_command("audit", "verify")
    assert "审计链完整：共校验 5 条事件" in capsys.readouterr().out
    _raw("UPDATE audit_auditevent SET target_id = '7' WHERE seq = 1")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("audit", "verify")
    assert "第 1 条" in capsys.readouterr().out
