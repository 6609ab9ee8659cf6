"""The outreach inbox messages say what their reader does next (issue 13): where to assign or
answer, that a wrongly assigned demand is returned with a reason, who acts on an escalation.

Frozen copies of the texts: a row is updated only while its body still equals the text 0003
shipped (an administrator's edit stays); backwards restores the old text the same way.
"""

from django.db import migrations

CHANGES = {
    "demand_received": (
        "收到诉求 {number}（{category}），请分派承办单位。",
        "收到诉求 {number}（{category}），请在“诉求与意见建议”中确认分类并分派承办单位。",
    ),
    "demand_assigned": (
        "诉求 {number}（{category}）已分派给{unit}，请于 {due} 前答复。",
        "诉求 {number}（{category}）已分派给{unit}，请于 {due} 前在“诉求与意见建议”中答复群众；"
        "不属于本单位职责的，请退回并说明理由。",
    ),
    "demand_returned": (
        "诉求 {number} 被{unit}退回：{text}。请重新分派。",
        "诉求 {number} 被{unit}退回，理由：{text}。请核实后重新分派承办单位。",
    ),
    "demand_escalated": (
        "诉求 {number}（{unit}）已逾期未答复，已督办至{to}。",
        "诉求 {number}（{unit}）已逾期未答复，已督办至{to}：承办单位请立即答复群众，督查人员请跟进督办。",
    ),
}


def _swap(apps, forward: bool) -> None:
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for code, (old, new) in CHANGES.items():
        before, after = (old, new) if forward else (new, old)
        MessageTemplate.objects.filter(code=code, body=before).update(body=after)


def forward(apps, schema_editor):
    _swap(apps, True)


def backward(apps, schema_editor):
    _swap(apps, False)


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0006_facilities_keywords_hall_equipment"),
        ("notifications", "0002_load_default_templates"),
    ]

    operations = [migrations.RunPython(forward, backward)]
