"""The default demand category tree and its keyword tables (data/categories.json).

Idempotent: a category whose code exists is left as it is (an administrator may have edited
it); missing ones are added.
"""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "categories.json"


def load(apps, schema_editor):
    DemandCategory = apps.get_model("outreach", "DemandCategory")
    spec = json.loads(DATA.read_text(encoding="utf-8"))

    def add(items, parent):
        for item in items:
            category, _ = DemandCategory.objects.get_or_create(
                code=item["code"],
                defaults={
                    "name": item["name"],
                    "parent": parent,
                    "kind": item["kind"],
                    "days": item["days"],
                    "keywords": item["keywords"],
                    "sort_order": item["sort_order"],
                },
            )
            add(item.get("children", []), category)

    add(spec["categories"], None)


class Migration(migrations.Migration):
    dependencies = [("outreach", "0001_call_lists_and_demands")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
