"""A single-row INSERT whose SQL is built once per model and database.

Django's ``Model.save()`` re-compiles the INSERT statement on every call; for the append-only
tables on the rating-intake hot path (one rating + its audit events per request) that
compilation was the largest single cost (see bench/intake.py). The values still go through
each field's own ``pre_save`` and ``get_db_prep_save`` (so encryption, JSON, time zones and
``auto_now_add`` behave exactly as in ``save()``); no model signals are sent (the project uses
none).
"""

from __future__ import annotations

from django.db import connections
from django.db.models import Field, Model
from django.db.models.fields import AutoFieldMixin

_STATEMENTS: dict[tuple[type[Model], str], tuple[str, list[Field], bool]] = {}


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


def insert_params(instance: Model, using: str = "default") -> list:
    """The INSERT parameters of ``instance``: each field's ``pre_save`` + ``get_db_prep_save``.

    Separate from :func:`insert_prepared` so that hot paths can do this work (encryption,
    JSON, time zones) *before* they take a write lock, and only execute under it.
    """
    _, fields, _ = _statement(type(instance), using)
    connection = connections[using]
    return [f.get_db_prep_save(f.pre_save(instance, add=True), connection=connection) for f in fields]


def insert_columns(model: type[Model], using: str = "default") -> list[str]:
    """Attribute names in the order of :func:`insert_params` (to patch a prepared list)."""
    return [f.attname for f in _statement(model, using)[1]]


def insert_prepared(instance: Model, params: list, using: str = "default") -> None:
    """INSERT ``instance`` with parameters from :func:`insert_params`; set its primary key."""
    model = type(instance)
    sql, _, returning = _statement(model, using)
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            pk = cursor.fetchone()[0]
        else:  # pragma: no cover  (SQLite < 3.35 only)
            pk = connection.ops.last_insert_id(cursor, model._meta.db_table, model._meta.pk.column)
    setattr(instance, model._meta.pk.attname, pk)
    instance._state.adding = False
    instance._state.db = using


def insert_row(instance: Model, using: str = "default") -> None:
    """INSERT ``instance`` as a new row and set its primary key."""
    insert_prepared(instance, insert_params(instance, using), using)
