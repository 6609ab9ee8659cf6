"""The unit admins' message when a window clerk adds a 情况说明 to a case (issue 13).

Created only where no template with its code exists (an administrator's row is kept); the reverse
deletes it only while it still holds the text shipped here.
"""

from django.db import migrations

CODE = "case_statement_added"
CHANNEL = "inapp"
TITLE = "窗口工作人员提交了情况说明"
BODY = "工单 {number}（{item}）的被评价窗口工作人员提交了情况说明，请在核实时参阅，详见工单处理记录。"


def forwards(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    MessageTemplate.objects.get_or_create(code=CODE, defaults={"channel": CHANNEL, "title": TITLE, "body": BODY})


def backwards(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    MessageTemplate.objects.filter(code=CODE, title=TITLE, body=BODY).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_feedback_sms_links_to_my_ratings")]

    operations = [migrations.RunPython(forwards, backwards)]
