"""Each rating keeps its record's unit and staff member, with a (unit | staff, time) index.

The existing ratings are filled from their records in one UPDATE, before the columns' foreign
keys exist (PostgreSQL would otherwise queue a check per row until the commit; the constraint
added afterwards checks them all in one query). Ratings are append-only and
their table refuses UPDATE by trigger (``audit.immutability``): the triggers are lifted for
this one statement, which copies two columns the record already holds (no rating's content
changes), and put back at once (``post_migrate`` puts them back again after every migrate).
"""

import django.db.models.deletion
from django.db import migrations, models


def copy_from_records(apps, schema_editor):
    from haochaping.audit.immutability import drop_statements, ensure_triggers

    connection = schema_editor.connection
    evaluation = apps.get_model("evaluations", "Evaluation")._meta.db_table
    record = apps.get_model("service_records", "ServiceRecord")._meta.db_table
    with connection.cursor() as cursor:
        for statement in drop_statements(connection.vendor):
            if evaluation in statement:
                cursor.execute(statement)
        # A join (PostgreSQL: a hash join; SQLite 3.33+: UPDATE FROM), not a subquery per rating.
        cursor.execute(
            f"UPDATE {evaluation} SET unit_id = r.unit_id, staff_id = r.staff_id "  # noqa: S608 (the models' tables)
            f"FROM {record} r WHERE r.id = {evaluation}.record_id"
        )
        if connection.vendor == "postgresql":  # the new columns' statistics, for the planner at once
            cursor.execute(f"ANALYZE {evaluation}")
    ensure_triggers(connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0006_suggestion_text_index"),
        ("organizations", "0008_membership_deactivated_at"),
        ("service_records", "0005_record_finished_idx"),
    ]

    operations = [
        migrations.AddField(
            model_name="evaluation",
            name="unit",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organizations.unit",
                verbose_name="办理单位",
            ),
        ),
        migrations.AddField(
            model_name="evaluation",
            name="staff",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organizations.staff",
                verbose_name="工作人员",
            ),
        ),
        migrations.RunPython(copy_from_records, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="evaluation",
            name="staff",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organizations.staff",
                verbose_name="工作人员",
            ),
        ),
        migrations.AlterField(
            model_name="evaluation",
            name="unit",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organizations.unit",
                verbose_name="办理单位",
            ),
        ),
        migrations.AddIndex(
            model_name="evaluation",
            index=models.Index(fields=["unit", "evaluated_at"], name="evaluation_unit_time_idx"),
        ),
        migrations.AddIndex(
            model_name="evaluation",
            index=models.Index(fields=["staff", "evaluated_at"], name="evaluation_staff_time_idx"),
        ),
    ]
