"""The applicant's masked name and phone, stored beside the encrypted identity."""

import importlib

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from haochaping.core.crypto import blind_index
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import record_payload


def _raw(pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT applicant_name, applicant_phone, applicant_name_masked, applicant_phone_masked "
            "FROM service_records_servicerecord WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


def _record(cast, project_no: str, **identity) -> ServiceRecord:
    values = {"applicant_name": "张三丰", "applicant_id_number": "410404199001011234", "applicant_phone": "13812345678"}
    values.update(identity)
    return ServiceRecord(
        project_no=project_no, stage="2", item=cast.item_a, unit=cast.unit_a, mode="offline", applicant_kind="1",
        applicant_id_type="111", id_index=blind_index("id", values["applicant_id_number"]), fingerprint="f", **values,
    )  # fmt: skip


def test_a_pushed_record_stores_the_masked_forms_beside_the_ciphertext(cast, api_all):
    r = api_all.post("/api/v1/service-records", record_payload(cast))
    name, phone, name_masked, phone_masked = _raw(r.json()["id"])
    assert name.startswith("sm4g1$") and phone.startswith("sm4g1$")
    assert (name_masked, phone_masked) == ("张**", "138****5678")


def test_the_masks_follow_the_source_on_bulk_create_and_on_save(cast):
    firm, person = ServiceRecord.objects.bulk_create(
        [
            _record(cast, "B-1", applicant_name="平顶山市石龙区某某商贸有限公司", applicant_phone=""),
            _record(cast, "B-2"),
        ]
    )
    assert _raw(firm.pk)[2:] == ("平顶" + "*" * 12 + "司", "")
    assert _raw(person.pk)[2:] == ("张**", "138****5678")
    person.applicant_phone = "0375-1234567"
    person.save()
    assert _raw(person.pk)[3] == "037****4567"


def test_a_name_longer_than_the_column_keeps_its_first_and_last_characters(cast):
    record = _record(cast, "L-1", applicant_name="石" * 149 + "司")
    record.save()
    masked = _raw(record.pk)[2]
    assert len(masked) == 100 and masked.startswith("石石*") and masked.endswith("*司")


def test_the_rating_response_and_the_list_show_the_applicant_masked_without_decrypting(
    cast, api_all, record_decryptions
):
    api_all.post("/api/v1/service-records", record_payload(cast))
    api_all.post("/api/v1/service-records", record_payload(cast, project_no="SCJG2026110002"))
    api_all.post("/api/v1/evaluations", {"project_no": "SCJG2026110002", "level": 1, "text": "差", "channel": 4})
    r = api_all.post("/api/v1/evaluations", {"project_no": "SCJG2026110001", "level": 5, "channel": 4})
    assert r.status_code == 201
    assert (r.json()["evaluator_name"], r.json()["evaluator_phone"]) == ("张**", "138****5678")
    listing = api_all.get("/api/v1/evaluations").json()
    assert [(e["evaluator_name"], e["evaluator_phone"]) for e in listing["items"]] == [("张**", "138****5678")] * 2
    one = api_all.get(f"/api/v1/evaluations/{r.json()['id']}").json()
    assert (one["evaluator_name"], one["evaluator_phone"]) == ("张**", "138****5678")
    assert record_decryptions == []


BEFORE = ("service_records", "0001_initial")
AFTER = ("service_records", "0002_applicant_masked_copies")


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_masks_of_existing_records(cast, monkeypatch):
    migration = importlib.import_module(f"haochaping.service_records.migrations.{AFTER[1]}")
    monkeypatch.setattr(migration, "CHUNK", 1)  # the two rows below take two chunks
    person, firm = _record(cast, "M-1"), _record(cast, "M-2", applicant_name="某某商贸有限公司", applicant_phone="")
    ServiceRecord.objects.bulk_create([person, firm])
    call_command("migrate", BEFORE[0], BEFORE[1], verbosity=0)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM service_records_servicerecord ORDER BY id")
            ids = [row[0] for row in cursor.fetchall()]
        old = MigrationExecutor(connection).loader.project_state([BEFORE]).apps.get_model(*BEFORE[:1], "ServiceRecord")
        assert not hasattr(old(), "applicant_name_masked")
        call_command("migrate", AFTER[0], AFTER[1], verbosity=0)
        assert [_raw(pk)[2:] for pk in ids] == [("张**", "138****5678"), ("某某*****司", "")]
    finally:
        call_command("migrate", verbosity=0)
