"""The applicant's masked name and phone kept beside the encrypted ones (``MaskedCopyField``).

Existing rows are filled by decrypting each row's name and phone once, in chunks of
``CHUNK`` rows by primary key; the reverse drops the columns (nothing to restore).
"""

from django.db import migrations

import haochaping.core.fields

CHUNK = 1000


def fill_masks(apps, schema_editor) -> None:
    ServiceRecord = apps.get_model("service_records", "ServiceRecord")
    masked = [ServiceRecord._meta.get_field(name) for name in ("applicant_name_masked", "applicant_phone_masked")]
    rows = ServiceRecord.objects.using(schema_editor.connection.alias).order_by("pk")
    rows = rows.only("pk", "applicant_name", "applicant_phone")
    last = 0
    while True:
        chunk = list(rows.filter(pk__gt=last)[:CHUNK])
        if not chunk:
            return
        for record in chunk:
            for field in masked:
                setattr(record, field.attname, field.masked(record))
        ServiceRecord.objects.using(schema_editor.connection.alias).bulk_update(chunk, [f.name for f in masked])
        last = chunk[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("service_records", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="servicerecord",
            name="applicant_name_masked",
            field=haochaping.core.fields.MaskedCopyField(
                blank=True,
                default="",
                mask="name",
                max_length=100,
                source="applicant_name",
                verbose_name="申请人（脱敏）",
            ),
        ),
        migrations.AddField(
            model_name="servicerecord",
            name="applicant_phone_masked",
            field=haochaping.core.fields.MaskedCopyField(
                blank=True,
                default="",
                mask="phone",
                max_length=20,
                source="applicant_phone",
                verbose_name="联系电话（脱敏）",
            ),
        ),
        migrations.RunPython(fill_masks, migrations.RunPython.noop, elidable=True),
    ]
