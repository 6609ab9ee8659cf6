"""Migration 0003 encrypts the messages already in the outbox, and its reverse decrypts them."""

import importlib

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("notifications", "0002_load_default_templates")
AFTER = ("notifications", "0003_encrypt_message_contents")
LINK = "https://pj.example.gov.cn/r/c2lnbmVkLWxpbms"


def _raw(pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT body, context, template_params FROM notifications_notification WHERE id = %s", [pk])
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_existing_messages_are_encrypted_and_the_reverse_decrypts_them(monkeypatch):
    migration = importlib.import_module("haochaping.notifications.migrations.0003_encrypt_message_contents")
    monkeypatch.setattr(migration, "CHUNK", 1)  # the two rows below take two chunks
    call_command("migrate", "notifications", BEFORE[1], verbosity=0)
    try:
        old_apps = MigrationExecutor(connection).loader.project_state([BEFORE]).apps
        OldNotification = old_apps.get_model("notifications", "Notification")
        plain = OldNotification.objects.create(
            template_code="rating_invitation",
            channel="sms",
            phone="13812345678",
            phone_index="i1",
            body=f"诚邀您评价：{LINK}",
            context={"url": LINK, "item": "食品经营许可"},
            template_params={"url": LINK},
        )
        empty = OldNotification.objects.create(
            template_code="sms_code", channel="sms", phone="13812345678", phone_index="i2", body=""
        )

        call_command("migrate", "notifications", AFTER[1], verbosity=0)
        # The model as 0003 left it (later migrations add columns, such as 0007's thread).
        Notification = (
            MigrationExecutor(connection).loader.project_state([AFTER]).apps.get_model("notifications", "Notification")
        )
        raw = _raw(plain.pk)
        assert all(value.startswith("sm4g1$") for value in raw) and LINK not in " ".join(raw)
        message = Notification.objects.get(pk=plain.pk)
        assert message.body == f"诚邀您评价：{LINK}"
        assert message.context == {"url": LINK, "item": "食品经营许可"} and message.template_params == {"url": LINK}
        assert Notification.objects.get(pk=empty.pk).context == {}

        call_command("migrate", "notifications", BEFORE[1], verbosity=0)
        body, context, params = _raw(plain.pk)
        assert body == f"诚邀您评价：{LINK}" and LINK in str(context) and LINK in str(params)
        back = old_apps.get_model("notifications", "Notification").objects.get(pk=plain.pk)
        assert back.context == {"url": LINK, "item": "食品经营许可"} and back.template_params == {"url": LINK}
    finally:
        call_command("migrate", "notifications", verbosity=0)
