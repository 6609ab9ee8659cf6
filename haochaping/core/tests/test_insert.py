"""core.db.insert: the prepared INSERT parameters equal what each field's own chain gives."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.core.db import insert
from haochaping.evaluations.models import Evaluation
from haochaping.testing import push_record


def _chain(instance):
    _, fields, _ = insert._statement(type(instance), "default")
    return [f.get_db_prep_save(f.pre_save(instance, add=True), connection=connection) for f in fields]


def _comparable(value):
    # PostgreSQL's JSON adapter wraps the value; compare what it wraps.
    return getattr(value, "obj", value)


@pytest.mark.parametrize(
    "data",
    [{"record": 7, "reasons": ["A", "B"], "text": "中文"}, {}, {"nested": {"x": [1, 2, None]}}],
)
@time_machine.travel(dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC), tick=False)
def test_audit_event_parameters_match_the_field_chain(db, data):
    event = AuditEvent(lane=3, seq=9, occurred_at=timezone.now(), actor_type="system", actor_id="app",
                       actor_label="业务系统", action="a:b:c", target_type="t", target_id="42", data=data,
                       prev_hash="0" * 64, hash="f" * 64)  # fmt: skip
    assert [_comparable(v) for v in insert.insert_params(event)] == [_comparable(v) for v in _chain(event)]


@time_machine.travel(dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC), tick=False)
def test_rating_parameters_match_the_field_chain(cast):
    record = push_record(cast)
    kinds = {f.attname: kind for f, _, kind, _ in insert._plan(Evaluation, "default")}
    rating = Evaluation(record=record, level=2, attitude=2, indicator_set_id=1, reasons=["XC-TD-B01"],
                        text="等太久", channel=4, evaluator_name="", evaluator_phone="13800000000",
                        evaluated_at=timezone.localtime(), client_key="k1")  # fmt: skip
    fast, slow = insert.insert_params(rating), _chain(rating)
    for (name, kind), a, b in zip(kinds.items(), fast, slow, strict=True):
        if kind == insert.CHAIN:  # encrypted identity: a fresh nonce each time
            assert name in ("evaluator_name", "evaluator_phone")
            continue
        assert _comparable(a) == _comparable(b), name


def test_values_of_another_type_take_the_field_chain(db):
    event = AuditEvent(lane="3", seq=9.0, occurred_at=dt.datetime(2026, 1, 1, 8, 0), actor_type="system",
                       action="a:b:c", data=None, prev_hash="", hash="")  # fmt: skip
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        params = insert.insert_params(event)
    columns = insert.insert_columns(AuditEvent)
    assert params[columns.index("lane")] == 3 and params[columns.index("seq")] == 9
