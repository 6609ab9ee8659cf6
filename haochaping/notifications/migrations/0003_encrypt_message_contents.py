"""Message text and variables stored SM4-encrypted (SMS carry one-time codes and rating links).

The columns become text (PostgreSQL casts the two jsonb columns with ``::text``), then every
existing row is encrypted in place; the reverse decrypts them back to plain text / JSON.
"""

import json

from django.db import migrations

import haochaping.core.fields
from haochaping.core.crypto import PREFIX, canonical_json, sm4_decrypt, sm4_encrypt

TABLE = "notifications_notification"
COLUMNS = ("body", "context", "template_params")
JSON_COLUMNS = ("context", "template_params")


def _rows(connection):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {', '.join(COLUMNS)} FROM {TABLE} ORDER BY id")  # noqa: S608
        return cursor.fetchall()


def _update(connection, pk, values) -> None:
    assignments = ", ".join(f"{column} = %s" for column in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET {assignments} WHERE id = %s", [*values, pk])  # noqa: S608


def encrypt_rows(apps, schema_editor):
    connection = schema_editor.connection
    for pk, *values in _rows(connection):
        new = []
        for column, value in zip(COLUMNS, values, strict=True):
            if value is None or value == "" or str(value).startswith(PREFIX + "$"):
                new.append(value)
                continue
            if column in JSON_COLUMNS:
                value = canonical_json(json.loads(value) if isinstance(value, str) else value).decode()
            new.append(sm4_encrypt(value, context=f"{TABLE}.{column}"))
        _update(connection, pk, new)


def decrypt_rows(apps, schema_editor):
    connection = schema_editor.connection
    for pk, *values in _rows(connection):
        new = []
        for column, value in zip(COLUMNS, values, strict=True):
            if isinstance(value, str) and value.startswith(PREFIX + "$"):
                value = sm4_decrypt(value, context=f"{TABLE}.{column}")
            new.append(value)
        _update(connection, pk, new)


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
