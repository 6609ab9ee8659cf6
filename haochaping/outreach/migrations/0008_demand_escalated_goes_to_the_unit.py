"""The demand escalation message goes to the handling unit only and says what to do (issue 13
item 8); the supervisors get the daily ``supervision_digest`` instead (notifications 0008).

A frozen copy of the texts: the row is updated only while it still holds the text 0007 shipped
(an administrator's edit stays); backwards restores the old text the same way.
"""

from django.db import migrations
from django.utils import timezone

CODE = "demand_escalated"
OLD = (
    "诉求逾期督办",
    "诉求 {number}（{unit}）已逾期未答复，已督办至{to}：承办单位请立即答复群众，督查人员请跟进督办。",
)
NEW = (
    "诉求逾期，已列入督办",
    "诉求 {number}（{category}）已逾期未答复，已列入{to}督办：请立即答复群众；不属于本单位职责的，请退回并说明理由。",
)


def _swap(apps, before: tuple[str, str], after: tuple[str, str]) -> None:
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    MessageTemplate.objects.filter(code=CODE, title=before[0], body=before[1]).update(
        title=after[0], body=after[1], updated_at=timezone.now()
    )


def forward(apps, schema_editor):
    _swap(apps, OLD, NEW)


def backward(apps, schema_editor):
    _swap(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0007_message_templates_say_what_to_do_next"),
        ("notifications", "0002_load_default_templates"),
    ]

    operations = [migrations.RunPython(forward, backward)]
