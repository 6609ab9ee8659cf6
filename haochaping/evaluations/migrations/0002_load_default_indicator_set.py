"""Ships the default indicator (reason) set as data and makes it the active one."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "indicators_default.json"


def load(apps, schema_editor):
    IndicatorSet = apps.get_model("evaluations", "IndicatorSet")
    Indicator = apps.get_model("evaluations", "Indicator")
    spec = json.loads(DATA.read_text(encoding="utf-8"))
    if IndicatorSet.objects.filter(code=spec["code"], version=spec["version"]).exists():
        return
    indicator_set = IndicatorSet.objects.create(
        code=spec["code"],
        version=spec["version"],
        name=spec["name"],
        source=spec["source"],
        is_active=not IndicatorSet.objects.filter(is_active=True).exists(),
    )
    Indicator.objects.bulk_create(
        Indicator(
            indicator_set=indicator_set,
            code=i["code"],
            group=i["group"],
            dimension=i["dimension"],
            mode=i["mode"],
            text=i["text"],
            levels=i["levels"],
        )
        for i in spec["indicators"]
    )


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
