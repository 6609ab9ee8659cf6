"""Migration operations that leave the large tables writable on PostgreSQL.

A plain ``CREATE INDEX`` holds a lock that makes every INSERT into the table wait until the
index is built: on the services and ratings of a city (millions of rows) rating intake would
stop for the length of the build. ``AddIndexOnline`` / ``RemoveIndexOnline`` build and drop
their index ``CONCURRENTLY`` on PostgreSQL (reads and writes go on; the build takes longer) and
are Django's ``AddIndex`` / ``RemoveIndex`` elsewhere (SQLite has one writer whatever the
statement). A migration using them sets ``atomic = False``: PostgreSQL refuses a concurrent
build inside a transaction.

A concurrent build that fails (a cancelled upgrade) leaves an invalid index behind; running the
migration again drops it first instead of failing on the name.
"""

from __future__ import annotations

from django.db import NotSupportedError
from django.db.migrations.operations import AddIndex, RemoveIndex


def _online(schema_editor) -> bool:
    """True where the index is built concurrently (PostgreSQL), after checking the migration is
    not atomic there."""
    if schema_editor.connection.vendor != "postgresql":
        return False
    if schema_editor.connection.in_atomic_block:
        raise NotSupportedError("building an index concurrently needs atomic = False on the migration")
    return True


def _drop_invalid(schema_editor, name: str) -> None:
    """Drop index ``name`` if a failed concurrent build left it invalid."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s AND NOT i.indisvalid",
            [name],
        )
        invalid = cursor.fetchone() is not None
    if invalid:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(name)}")


def _concurrently(operation, app_label: str, schema_editor, state, name: str, *, build: bool) -> None:
    """Build (``build``) or drop the index ``name`` of the operation's model ``CONCURRENTLY``;
    ``state``: the project state in which the model has that index."""
    model = state.apps.get_model(app_label, operation.model_name)
    if not operation.allow_migrate_model(schema_editor.connection.alias, model):
        return
    index = state.models[app_label, operation.model_name_lower].get_index_by_name(name)
    if build:
        _drop_invalid(schema_editor, name)
        schema_editor.add_index(model, index, concurrently=True)
    else:
        schema_editor.remove_index(model, index, concurrently=True)


class AddIndexOnline(AddIndex):
    """``AddIndex``, built ``CONCURRENTLY`` on PostgreSQL (the migration sets ``atomic = False``)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not _online(schema_editor):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        _concurrently(self, app_label, schema_editor, to_state, self.index.name, build=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if not _online(schema_editor):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        _concurrently(self, app_label, schema_editor, from_state, self.index.name, build=False)


class RemoveIndexOnline(RemoveIndex):
    """``RemoveIndex``, dropped ``CONCURRENTLY`` on PostgreSQL (the migration sets ``atomic = False``)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not _online(schema_editor):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        _concurrently(self, app_label, schema_editor, from_state, self.name, build=False)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if not _online(schema_editor):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        _concurrently(self, app_label, schema_editor, to_state, self.name, build=True)
