"""Message text and variables stored SM4-encrypted (SMS carry one-time codes and rating links).

The columns become text (PostgreSQL casts the two jsonb columns with ``::text``), then every
existing row is encrypted in place; the reverse decrypts them back to plain text / JSON.
"""

import json

from django.db import migrations

import haochaping.core.fields
from haochaping.core.crypto import PREFIX

COLUMNS = ("body", "context", "template_params")
JSON_COLUMNS = ("context", "template_params")
CHUNK = 1000


def _rewrite(apps, schema_editor, convert) -> None:
    """Pass every stored row's three columns through ``convert(field, raw value)``, in chunks."""
    Notification = apps.get_model("notifications", "Notification")
    fields = [Notification._meta.get_field(name) for name in COLUMNS]
    table = Notification._meta.db_table
    select = f"SELECT id, {', '.join(COLUMNS)} FROM {table} WHERE id > %s ORDER BY id LIMIT {CHUNK}"  # noqa: S608
    update = f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in COLUMNS)} WHERE id = %s"  # noqa: S608
    last = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(select, [last])
            rows = cursor.fetchall()
            if not rows:
                return
            cursor.executemany(update, [[*map(convert, fields, values), pk] for pk, *values in rows])
            last = rows[-1][0]


def _encrypted(value) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX + "$")


def encrypt(field, value):
    """Plain text / JSON (text after the cast, or already parsed) → the field's ciphertext."""
    if value is None or value == "" or _encrypted(value):
        return value
    if field.name in JSON_COLUMNS and isinstance(value, str):
        value = json.loads(value)
    return field.get_prep_value(value)


def decrypt(field, value):
    """The field's ciphertext → plain text / JSON text (cast back to jsonb on PostgreSQL)."""
    if not _encrypted(value):
        return value
    plain = field.from_db_value(value, None, None)
    return json.dumps(plain, ensure_ascii=False) if field.name in JSON_COLUMNS else plain


def encrypt_rows(apps, schema_editor):
    _rewrite(apps, schema_editor, encrypt)


def decrypt_rows(apps, schema_editor):
    _rewrite(apps, schema_editor, decrypt)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_load_default_templates"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="body",
            field=haochaping.core.fields.SM4EncryptedField(verbose_name="内容"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="context",
            field=haochaping.core.fields.SM4EncryptedJSONField(blank=True, default=dict, verbose_name="变量"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="template_params",
            field=haochaping.core.fields.SM4EncryptedJSONField(blank=True, default=dict, verbose_name="模板变量"),
        ),
        migrations.RunPython(encrypt_rows, decrypt_rows),
    ]
