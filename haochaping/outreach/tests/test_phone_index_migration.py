"""Migration outreach.0004: phone indexes taken again over the normalised number."""

import importlib

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from haochaping.core.crypto import blind_index, hmac_sm3_hex
from haochaping.notifications.models import Notification
from haochaping.notifications.services import notification_queue
from haochaping.outreach.models import CallTask, Demand, DoNotCall
from haochaping.outreach.tests.factories import finished_record, generate, submit_demand, task_for
from haochaping.service_records.models import ServiceRecord

BEFORE = ("outreach", "0003_message_templates")
AFTER = ("outreach", "0004_normalise_phone_indexes")


def old_index(phone: str) -> str:
    """The index as intake took it before: the pushed text with whitespace removed."""
    return hmac_sm3_hex(settings.INDEX_KEY.encode(), f"phone:{''.join(phone.split()).upper()}".encode())


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_every_phone_index_to_the_normalised_number(cast, monkeypatch):
    migration = importlib.import_module(f"haochaping.outreach.migrations.{AFTER[1]}")
    monkeypatch.setattr(migration, "CHUNK", 1)  # every row its own chunk
    plus86, plain = "+86-138-1234-5678", "13812345678"
    landline = "0375-1234567"
    pushed = finished_record(cast, "SCJG-MIG-1", days_ago=2, applicant_phone=plus86)
    canonical = finished_record(cast, "SCJG-MIG-2", days_ago=2, applicant_phone=plain)
    landline_record = finished_record(cast, "SCJG-MIG-3", days_ago=2, applicant_phone=landline)
    demand = submit_demand(cast, "大厅空调温度太低，希望调整")
    with transaction.atomic():
        sms = notification_queue(template="sms_code", to_phone="+86 139 0000 1111", context={"code": "1", "minutes": 5})
    generate()
    # The rows as the old intake indexed them.
    ServiceRecord.objects.filter(pk=pushed.pk).update(phone_index=old_index(plus86))
    ServiceRecord.objects.filter(pk=landline_record.pk).update(phone_index=old_index(landline))
    Notification.objects.filter(pk=sms.pk).update(phone_index=old_index("+8613900001111"))
    CallTask.objects.filter(record=pushed).update(phone_index=old_index(plus86))
    CallTask.objects.filter(record=landline_record).update(phone_index=old_index(landline))
    # The same number on the do-not-call list twice, in two spellings; a landline once.
    DoNotCall.objects.create(phone_index=old_index(plus86), created_at=pushed.created_at)
    DoNotCall.objects.create(phone_index=blind_index("phone", plain), created_at=pushed.created_at)
    DoNotCall.objects.create(phone_index=old_index(landline), created_at=pushed.created_at)
    assert old_index(plus86) != blind_index("phone", plain) and old_index(landline) != blind_index("phone", landline)

    call_command("migrate", *BEFORE, verbosity=0)
    try:
        call_command("migrate", *AFTER, verbosity=0)
        mobile, fixed = blind_index("phone", plain), blind_index("phone", "03751234567")
        indexes = dict(ServiceRecord.objects.values_list("project_no", "phone_index"))
        assert (indexes["SCJG-MIG-1"], indexes["SCJG-MIG-2"], indexes["SCJG-MIG-3"]) == (mobile, mobile, fixed)
        assert (task_for(record=pushed).phone_index, task_for(record=canonical).phone_index) == (mobile, mobile)
        assert task_for(record=landline_record).phone_index == fixed
        assert sorted(DoNotCall.objects.values_list("phone_index", flat=True)) == sorted([mobile, fixed])
        assert Notification.objects.get(pk=sms.pk).phone_index == blind_index("phone", "13900001111")
        assert Demand.objects.get(pk=demand.pk).phone_index == blind_index("phone", "13700001111")  # untouched
        # The phones themselves are unchanged: only their indexes moved.
        assert ServiceRecord.objects.get(pk=pushed.pk).applicant_phone == plus86
    finally:
        call_command("migrate", verbosity=0)
