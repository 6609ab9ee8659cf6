from django.db import migrations, models

from haochaping.core.db.operations import AddIndexOnline, RemoveIndexOnline
from haochaping.core.db.statistics import dependency_statistics


class Migration(migrations.Migration):
    """A clerk's services by (staff, unit, time): the staff member and their unit are both
    equalities of a clerk's list, which the former (staff, time) index left to a bitmap of the
    whole unit (PostgreSQL) or a sort (docs/architecture.md, "Indexes")."""

    atomic = False  # PostgreSQL builds the indexes concurrently: intake goes on meanwhile

    dependencies = [
        ("service_records", "0005_record_finished_idx"),
    ]

    operations = [
        AddIndexOnline(
            model_name="servicerecord",
            index=models.Index(fields=["staff", "unit", "created_at"], name="record_staff_unit_created_idx"),
        ),
        RemoveIndexOnline(model_name="servicerecord", name="record_staff_created_idx"),
        # A clerk's staff member decides their unit: the planner expected a few of their services.
        dependency_statistics("record_staff_unit_stats", "service_records_servicerecord", ("staff_id", "unit_id")),
    ]
