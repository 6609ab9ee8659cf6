from django.db import migrations, models

from haochaping.core.db.operations import AddIndexOnline, RemoveIndexOnline
from haochaping.core.db.statistics import dependency_statistics


class Migration(migrations.Migration):
    """A clerk's ratings by (staff, unit, time), as their services (service_records/0006)."""

    atomic = False  # PostgreSQL builds the indexes concurrently: intake goes on meanwhile

    dependencies = [
        ("evaluations", "0007_rating_unit_staff"),
    ]

    operations = [
        AddIndexOnline(
            model_name="evaluation",
            index=models.Index(fields=["staff", "unit", "evaluated_at"], name="evaluation_staff_unit_time_idx"),
        ),
        RemoveIndexOnline(model_name="evaluation", name="evaluation_staff_time_idx"),
        # A clerk's staff member decides their unit: the planner expected a few of their ratings.
        dependency_statistics("evaluation_staff_unit_stats", "evaluations_evaluation", ("staff_id", "unit_id")),
    ]
