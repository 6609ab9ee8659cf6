"""The feedback SMS carries a short link to 我的评价 and a summary of the feedback (issue 13).

Only an unedited row changes: a body an administrator has edited is left as it is.
"""

from django.db import migrations

SIGN = "【石龙区政务服务】"
OLD = SIGN + "您对“{item}”的评价（工单{number}）已办理：{text}。详见“我的评价”，有疑问请拨打12345。"
NEW = SIGN + "您对“{item}”的评价已有整改反馈：{text}。查看详情：{url}"


def forwards(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    MessageTemplate.objects.filter(code="case_feedback", body=OLD).update(body=NEW)


def backwards(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    MessageTemplate.objects.filter(code="case_feedback", body=NEW).update(body=OLD)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0004_case_messages_say_what_happens_next")]

    operations = [migrations.RunPython(forwards, backwards)]
