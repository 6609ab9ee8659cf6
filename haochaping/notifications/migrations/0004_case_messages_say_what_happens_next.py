"""The case messages to the unit say what was decided, the deadline now and what to do next.

An approved extension used to reach the unit as "工单待处理：同意延期 … 请及时处理" (the one
``case_returned`` text for every decision). Each decision now has its own template; ``case_returned``
is the unsatisfied callback's, and the deadline warning asks for the 整改结果 (the deadline stops
there, not at the feedback).

Frozen copies of the texts at the time of writing. A changed template is updated only where the
row still holds the text shipped before (an administrator's edit is kept); a new one is created
only where no row with its code exists. The reverse undoes exactly that.
"""

from django.db import migrations
from django.utils import timezone

# code -> ((old title, old body), (new title, new body))
CHANGED = {
    "case_returned": (
        ("工单待处理：{action}", "工单 {number} {action}，请及时处理。"),
        (
            "回访不满意，工单退回整改",
            "工单 {number} 回访时评价人表示不满意，已退回重新整改，整改期限 {due}。"
            "请整改后提交整改结果并再次反馈评价人，原因见工单处理记录。",
        ),
    ),
    "case_deadline_warning": (
        ("整改即将到期", "工单 {number} 将于 {due} 到期，请按期整改并反馈。"),
        (
            "整改即将到期",
            "工单 {number} 将于 {due} 到期，请在到期前完成整改并提交整改结果；确有困难可申请延期。",
        ),
    ),
}

# (code, channel, title, body)
ADDED = [
    (
        "case_extension_approved",
        "inapp",
        "延期申请已同意",
        "您的延期申请已同意，工单 {number} 新整改期限 {due}。请在期限前完成整改并提交整改结果。",
    ),
    (
        "case_extension_rejected",
        "inapp",
        "延期申请未获同意",
        "您的延期申请未获同意，工单 {number} 整改期限仍为 {due}。"
        "请按期完成整改并提交整改结果，驳回理由见工单处理记录。",
    ),
    (
        "case_invalid_rejected",
        "inapp",
        "无效评价申请未获同意",
        "您对工单 {number} 的无效评价申请未获同意，工单已转入整改，整改期限 {due}。"
        "请按期整改并提交整改结果，驳回理由见工单处理记录。",
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
    dependencies = [("notifications", "0003_encrypt_message_contents")]

    operations = [migrations.RunPython(forwards, backwards)]
