"""What an in-app message is about, in the clear (issue 13): ``Notification.thread``.

The inbox groups a case's (and a demand's) messages into one row; the context that names the
case is encrypted, so the grouping key gets its own column: "case:<id>", "demand:<id>" or "" for
a message that stands alone. Existing in-app rows are filled from their context (a frozen copy
of ``notifications.services.thread_of``); the reverse drops the column.
"""

from django.conf import settings
from django.db import migrations, models

CHUNK = 1000


def _thread_of(context) -> str:
    for key, kind in (("case_id", "case"), ("demand_id", "demand")):
        value = (context or {}).get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{kind}:{value}"
    return ""


def fill_threads(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    last = 0
    while True:
        rows = list(
            Notification.objects.filter(channel="inapp", pk__gt=last).order_by("pk").only("pk", "context")[:CHUNK]
        )
        if not rows:
            return
        changed = []
        for row in rows:
            row.thread = _thread_of(row.context)
            if row.thread:
                changed.append(row)
        Notification.objects.bulk_update(changed, ["thread"])
        last = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0006_case_statement_message"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="thread",
            field=models.CharField(blank=True, default="", editable=False, max_length=64, verbose_name="主题"),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["recipient", "thread"], name="notif_thread_idx"),
        ),
        migrations.RunPython(fill_threads, migrations.RunPython.noop),
    ]
