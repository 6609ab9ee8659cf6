"""Default message templates (editable afterwards; this migration never overwrites an edit)."""

from django.db import migrations

SIGN = "【石龙区政务服务】"

# (code, channel, title, body). SMS bodies carry the sign name in brackets, as the citizen sees
# them, and stay near one 70-character message when their placeholders are filled.
DEFAULTS = [
    (
        "case_feedback",
        "sms",
        "差评整改结果反馈",
        SIGN + "您对“{item}”的评价（工单{number}）已办理：{text}。详见“我的评价”，有疑问请拨打12345。",
    ),
    ("case_review_requested", "inapp", "待审核：{action}", "工单 {number}（{unit}）{action}，请审核。"),
    ("case_returned", "inapp", "工单待处理：{action}", "工单 {number} {action}，请及时处理。"),
    ("case_deadline_warning", "inapp", "整改即将到期", "工单 {number} 将于 {due} 到期，请按期整改并反馈。"),
    ("case_escalated", "inapp", "工单已逾期督办", "工单 {number}（{unit}）已逾期，已督办至 {to}。"),
    ("sms_code", "sms", "短信验证码", SIGN + "验证码 {code}，{minutes} 分钟内有效，请勿泄露。"),
    (
        "rating_invitation",
        "sms",
        "服务评价邀请",
        SIGN + "您办理的“{item}”已办结，诚邀您评价本次服务：{url} 感谢支持！",
    ),
]


def load(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for code, channel, title, body in DEFAULTS:
        MessageTemplate.objects.get_or_create(code=code, defaults={"channel": channel, "title": title, "body": body})


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_message_template_and_notification")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
