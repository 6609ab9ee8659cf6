"""督办 that means something (issue 13 item 8).

``case_escalated`` now goes to the overdue case's unit only and tells it what to do; the
supervisors get one ``supervision_digest`` a day instead of one message per escalated case.

Frozen copies of the texts: ``case_escalated`` is updated only where the row still holds the
text shipped before (an administrator's edit is kept); ``supervision_digest`` is created only
where no row with its code exists. The reverse undoes exactly that.
"""

from django.db import migrations
from django.utils import timezone

# code -> ((old title, old body), (new title, new body))
CHANGED = {
    "case_escalated": (
        ("工单已逾期督办", "工单 {number}（{unit}）已逾期，已督办至 {to}。"),
        (
            "工单逾期，已列入督办",
            "工单 {number} 已逾期，已列入 {to} 督办：请立即办理，尽快核实、整改并提交整改结果；"
            "确有困难的，请申请延期并说明理由。",
        ),
    ),
}

# (code, channel, title, body)
ADDED = [
    (
        "supervision_digest",
        "inapp",
        "今日逾期督办汇总：工单 {cases} 件、诉求 {demands} 件",
        "截至 {time}，您督办范围内逾期未办结的工单 {cases} 件、诉求 {demands} 件：\n{items}\n"
        "请督促承办单位立即办理，完整清单见本消息下方的链接。",
    ),
]


def _replace(MessageTemplate, code: str, old: tuple[str, str], new: tuple[str, str]) -> None:
    MessageTemplate.objects.filter(code=code, title=old[0], body=old[1]).update(
        title=new[0], body=new[1], updated_at=timezone.now()
    )


def forwards(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for code, (old, new) in CHANGED.items():
        _replace(MessageTemplate, code, old, new)
    for code, channel, title, body in ADDED:
        MessageTemplate.objects.get_or_create(code=code, defaults={"channel": channel, "title": title, "body": body})


def backwards(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for code, (old, new) in CHANGED.items():
        _replace(MessageTemplate, code, new, old)
    for code, _channel, title, body in ADDED:
        MessageTemplate.objects.filter(code=code, title=title, body=body).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0007_notification_thread")]

    operations = [migrations.RunPython(forwards, backwards)]
