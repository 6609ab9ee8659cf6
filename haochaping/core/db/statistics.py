"""Extended statistics for PostgreSQL's planner, as a migration operation.

PostgreSQL multiplies the selectivities of filters on one table as if they were independent.
Where one column decides another (a clerk's staff member decides their unit), a list filtered
on both was expected to keep a sliver of the rows it keeps, and the planner read and sorted them
all instead of walking an index in order. ``CREATE STATISTICS … (dependencies)`` records the
dependency; ANALYZE (run at once here, and by autovacuum after) fills it. SQLite has no such
statistics: the operation does nothing there.
"""

from __future__ import annotations

from django.db import migrations


def dependency_statistics(name: str, table: str, columns: tuple[str, ...]) -> migrations.RunPython:
    """An operation creating (reverse: dropping) functional-dependency statistics ``name`` on
    ``table``'s ``columns``, then analysing the table, on PostgreSQL only."""

    def create(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            quote = schema_editor.quote_name
            cols = ", ".join(quote(c) for c in columns)
            schema_editor.execute(
                f"CREATE STATISTICS IF NOT EXISTS {quote(name)} (dependencies) ON {cols} FROM {quote(table)}"
            )
            schema_editor.execute(f"ANALYZE {quote(table)}")

    def drop(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP STATISTICS IF EXISTS {schema_editor.quote_name(name)}")

    return migrations.RunPython(create, drop, elidable=False)
