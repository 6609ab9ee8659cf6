"""A single-row INSERT whose SQL is built once per model and database.

Django's ``Model.save()`` re-compiles the INSERT statement on every call; for the append-only
tables on the rating-intake hot path (one rating + its audit events per request) that
compilation was the largest single cost (see bench/intake.py). The values still go through
each field's own ``pre_save`` and ``get_db_prep_save`` (so encryption, JSON, time zones and
``auto_now_add`` behave exactly as in ``save()``), except where that chain is the identity: a
plain integer, boolean, text or foreign-key field whose value already has the type the field
would convert it to is passed as it is. No model signals are sent (the project uses none).
"""

from __future__ import annotations

import datetime as dt

from django.db import connections, models
from django.db.models import Field, Model
from django.db.models.fields import AutoFieldMixin

_STATEMENTS: dict[tuple[type[Model], str], tuple[str, list[Field], bool]] = {}
_PLANS: dict[tuple[type[Model], str], list[tuple[Field, str, int, object]]] = {}

# Field classes (exact) whose pre_save + get_db_prep_save return a value of this type unchanged.
_IDENTITY_TYPES: dict[type[Field], type] = {
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.BooleanField: bool,
    models.CharField: str,
    models.TextField: str,
}


def _identity_type(field: Field) -> type | None:
    """The value type passed through unchanged for ``field``, or None (always run its chain)."""
    if isinstance(field, models.ForeignKey) and type(field) in (models.ForeignKey, models.OneToOneField):
        target = field.target_field
        return int if type(target) in (models.AutoField, models.BigAutoField) else None
    return _IDENTITY_TYPES.get(type(field))


def _statement(model: type[Model], using: str) -> tuple[str, list[Field], bool]:
    connection = connections[using]
    key = (model, connection.vendor)
    if key not in _STATEMENTS:
        meta = model._meta
        fields = [f for f in meta.local_concrete_fields if not (f is meta.pk and isinstance(f, AutoFieldMixin))]
        qn = connection.ops.quote_name
        returning = connection.features.can_return_columns_from_insert
        sql = (
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        if returning:
            sql += f" RETURNING {qn(meta.pk.column)}"
        _STATEMENTS[key] = (sql, fields, returning)
    return _STATEMENTS[key]


# How a field's value becomes a parameter: as it is; through the backend's datetime or JSON
# adapter (where the field's own chain ends for an aware datetime, a dict or a list); or the
# whole chain.
IDENTITY, DATETIME, JSON, CHAIN = range(4)


def _kind(field: Field) -> tuple[int, object]:
    identity = _identity_type(field)
    if identity is not None:
        return IDENTITY, identity
    if type(field) is models.DateTimeField:
        return DATETIME, dt.datetime
    if type(field) is models.JSONField:
        return JSON, (dict, list)
    return CHAIN, None


def _plan(model: type[Model], using: str) -> list[tuple[Field, str, int, object]]:
    key = (model, connections[using].vendor)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = [(f, f.attname, *_kind(f)) for f in _statement(model, using)[1]]
    return plan


def insert_params(instance: Model, using: str = "default") -> list:
    """The INSERT parameters of ``instance``: each field's ``pre_save`` + ``get_db_prep_save``.

    Separate from :func:`insert_prepared` so that hot paths can do this work (encryption,
    JSON, time zones) *before* they take a write lock, and only execute under it.
    """
    connection = connections[using]
    ops = connection.ops
    values = instance.__dict__
    params = []
    for field, attname, kind, types in _plan(type(instance), using):
        if kind == IDENTITY:
            value = values.get(attname, field)
            if value is None or type(value) is types:
                params.append(value)
                continue
        elif kind == DATETIME:
            value = field.pre_save(instance, add=True)  # auto_now(_add) sets the time here
            if type(value) is dt.datetime and value.tzinfo is not None:
                params.append(ops.adapt_datetimefield_value(value))
            else:
                params.append(field.get_db_prep_save(value, connection=connection))
            continue
        elif kind == JSON:
            value = values.get(attname, field)
            if type(value) in types:
                params.append(ops.adapt_json_value(value, field.encoder))
                continue
        params.append(field.get_db_prep_save(field.pre_save(instance, add=True), connection=connection))
    return params


def insert_columns(model: type[Model], using: str = "default") -> list[str]:
    """Attribute names in the order of :func:`insert_params` (to patch a prepared list)."""
    return [f.attname for f in _statement(model, using)[1]]


def insert_sql(model: type[Model], using: str = "default") -> str:
    """The INSERT statement of ``model`` (``RETURNING`` its primary key where supported)."""
    return _statement(model, using)[0]


def inserted(instance: Model, pk, using: str = "default") -> None:
    """Mark ``instance`` as stored with primary key ``pk`` (after running ``insert_sql``)."""
    setattr(instance, instance._meta.pk.attname, pk)
    instance._state.adding = False
    instance._state.db = using


def insert_prepared(instance: Model, params: list, using: str = "default", *, cursor=None) -> None:
    """INSERT ``instance`` with parameters from :func:`insert_params`; set its primary key.

    ``cursor``: an open cursor of the same connection to run it on (saves opening one).
    """
    model = type(instance)
    sql, _, returning = _statement(model, using)
    connection = connections[using]
    if cursor is None:
        with connection.cursor() as own:
            return insert_prepared(instance, params, using, cursor=own)
    cursor.execute(sql, params)
    if returning:
        pk = cursor.fetchone()[0]
    else:  # pragma: no cover  (SQLite < 3.35 only)
        pk = connection.ops.last_insert_id(cursor, model._meta.db_table, model._meta.pk.column)
    inserted(instance, pk, using)
    return None


def insert_row(instance: Model, using: str = "default") -> None:
    """INSERT ``instance`` as a new row and set its primary key."""
    insert_prepared(instance, insert_params(instance, using), using)
