"""The shipped 场所设施 keyword table learns the hall's equipment (叫号, 显示屏, 设备, 维修), so
"叫号屏坏了没人修" is suggested as a facilities demand (issue 13).

Only a table still equal to the one shipped by 0002 is changed: an administrator's edit stays.
A fresh database already got the new table from 0002 (it reads data/categories.json).
"""

from django.db import migrations

SHIPPED = [["停车", 2], "停车位", "座位", "空调", "厕所", "卫生间", "环境", "指引", "标识", "设施", "自助机",
           "电梯", "饮水", "大厅", "打印", "复印机", "无障碍", "轮椅"]  # fmt: skip
ADDED = ["叫号", "显示屏", "设备", "维修"]


def _replace(apps, old, new):
    DemandCategory = apps.get_model("outreach", "DemandCategory")
    for category in DemandCategory.objects.filter(code="facilities"):
        if category.keywords == old:  # compared in Python: the same on SQLite and PostgreSQL
            category.keywords = new
            category.save(update_fields=["keywords"])


def forward(apps, schema_editor):
    _replace(apps, SHIPPED, SHIPPED + ADDED)


def backward(apps, schema_editor):
    _replace(apps, SHIPPED + ADDED, SHIPPED)


class Migration(migrations.Migration):
    dependencies = [("outreach", "0005_demandaction_on_timeline_entry")]

    operations = [migrations.RunPython(forward, backward)]
