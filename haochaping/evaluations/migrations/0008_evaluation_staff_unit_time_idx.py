from django.db import migrations, models

from haochaping.core.db.statistics import dependency_statistics


class Migration(migrations.Migration):
    """A clerk's ratings by (staff, unit, time), as their services (service_records/0006)."""

    dependencies = [
        ("evaluations", "0007_rating_unit_staff"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="evaluation",
            index=models.Index(fields=["staff", "unit", "evaluated_at"], name="evaluation_staff_unit_time_idx"),
        ),
        migrations.RemoveIndex(model_name="evaluation", name="evaluation_staff_time_idx"),
        # A clerk's staff member decides their unit: the planner expected a few of their ratings.
        dependency_statistics("evaluation_staff_unit_stats", "evaluations_evaluation", ("staff_id", "unit_id")),
    ]
