"""Phone blind indexes taken again over the normalised number (``core.crypto.normalise_phone``).

Before, a phone was indexed as pushed with only whitespace removed, so "+86-138-1234-5678" and
"13812345678" had two indexes: the portal looked up six spellings, and the do-not-call list
held for one. The rows that carry the phone itself (service records, demands, SMS
notifications) are read in chunks of ``CHUNK`` by primary key, the phone decrypted and its
index taken again; where it changed, the old → new pair is applied to the rows that only carry
the index (call tasks, the do-not-call list) at once, chunk by chunk, so memory stays bounded.
A do-not-call entry whose new index is already listed is the same number twice: the
duplicate is dropped. SMS codes hold indexes of 11-digit numbers only, which do not change.
The reverse changes nothing (the old spellings are not kept).
"""

from django.db import migrations

from haochaping.core.crypto import blind_index

CHUNK = 1000

# (app, model, phone field) of the rows that hold the phone next to its index.
SOURCES = [
    ("service_records", "ServiceRecord", "applicant_phone"),
    ("outreach", "Demand", "contact_phone"),
    ("notifications", "Notification", "phone"),
]


def _reindex(rows, phone_field: str) -> tuple[list, dict[str, str]]:
    changed, pairs = [], {}
    for row in rows:
        phone = getattr(row, phone_field)
        new = blind_index("phone", phone) if phone else ""
        if new != row.phone_index:
            pairs[row.phone_index] = new
            row.phone_index = new
            changed.append(row)
    return changed, pairs


def _apply(apps, alias: str, pairs: dict[str, str]) -> None:
    CallTask = apps.get_model("outreach", "CallTask")
    DoNotCall = apps.get_model("outreach", "DoNotCall")
    for old, new in pairs.items():
        if not old:
            continue
        CallTask.objects.using(alias).filter(phone_index=old).update(phone_index=new)
        if DoNotCall.objects.using(alias).filter(phone_index=new).exists():
            DoNotCall.objects.using(alias).filter(phone_index=old).delete()
        else:
            DoNotCall.objects.using(alias).filter(phone_index=old).update(phone_index=new)


def normalise(apps, schema_editor) -> None:
    alias = schema_editor.connection.alias
    for app, name, phone_field in SOURCES:
        Model = apps.get_model(app, name)
        rows = Model.objects.using(alias).exclude(phone_index="").order_by("pk").only("pk", phone_field, "phone_index")
        last = 0
        while chunk := list(rows.filter(pk__gt=last)[:CHUNK]):
            changed, pairs = _reindex(chunk, phone_field)
            if changed:
                Model.objects.using(alias).bulk_update(changed, ["phone_index"])
                _apply(apps, alias, pairs)
            last = chunk[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0003_message_templates"),
        ("service_records", "0002_applicant_masked_copies"),
        ("notifications", "0003_encrypt_message_contents"),
    ]

    operations = [
        migrations.RunPython(normalise, migrations.RunPython.noop, elidable=True),
    ]
