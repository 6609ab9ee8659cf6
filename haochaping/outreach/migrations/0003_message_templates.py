"""The outreach message templates: the SMS reply to a demand and the staff inbox messages.

Frozen copy of ``outreach/notify.py: TEMPLATES`` at the time of writing; rows that exist are
never overwritten (administrators edit them in the console).
"""

from django.db import migrations

SIGN = "【石龙区政务服务】"

TEMPLATES = [
    ("demand_reply", "sms", "诉求答复", SIGN + "您反映的问题（受理编号{number}）已答复：{summary} 详情及评价：{url}"),
    ("demand_received", "inapp", "新诉求待分派", "收到诉求 {number}（{category}），请分派承办单位。"),
    ("demand_assigned", "inapp", "新诉求待办理", "诉求 {number}（{category}）已分派给{unit}，请于 {due} 前答复。"),
    ("demand_returned", "inapp", "诉求被退回", "诉求 {number} 被{unit}退回：{text}。请重新分派。"),
    ("demand_deadline_warning", "inapp", "诉求即将到期", "诉求 {number} 将于 {due} 到期，请及时答复群众。"),
    ("demand_escalated", "inapp", "诉求逾期督办", "诉求 {number}（{unit}）已逾期未答复，已督办至{to}。"),
]


def load(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for code, channel, title, body in TEMPLATES:
        MessageTemplate.objects.get_or_create(code=code, defaults={"channel": channel, "title": title, "body": body})


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0002_default_categories"),
        ("notifications", "0002_load_default_templates"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
