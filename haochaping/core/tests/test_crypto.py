"""SM3 / SM4 primitives, masking and deploy checks."""

import pytest
from django.core import checks

from haochaping.core import crypto
from haochaping.core.masking import mask_id_number, mask_name, mask_phone


def test_sm3_matches_the_standard_test_vector():
    # GB/T 32905-2016 Appendix A.1: SM3("abc").
    assert crypto.sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_sm4_round_trip_uses_a_fresh_nonce_each_time():
    a, b = crypto.sm4_encrypt("13812345678"), crypto.sm4_encrypt("13812345678")
    assert a != b and a.startswith("sm4g1$")
    assert crypto.sm4_decrypt(a) == crypto.sm4_decrypt(b) == "13812345678"


def test_sm4_detects_tampering():
    token = crypto.sm4_encrypt("张三")
    prefix, key_id, nonce, body = token.split("$")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(crypto.DecryptionError):
        crypto.sm4_decrypt("$".join([prefix, key_id, nonce, flipped]))


def test_old_keys_stay_readable_after_rotation(settings):
    crypto._keyring.cache_clear()
    token = crypto.sm4_encrypt("旧数据")
    old = settings.SM4_KEY
    settings.SM4_KEY, settings.SM4_OLD_KEYS = "ffeeddccbbaa99887766554433221100", [old]
    crypto._keyring.cache_clear()
    try:
        assert crypto.sm4_decrypt(token) == "旧数据"
        assert crypto.sm4_encrypt("新数据").split("$")[1] != token.split("$")[1]
    finally:
        settings.SM4_KEY, settings.SM4_OLD_KEYS = old, []
        crypto._keyring.cache_clear()


def test_blind_index_is_keyed_and_normalised(settings):
    assert crypto.blind_index("phone", "138 1234 5678") == crypto.blind_index("phone", "13812345678")
    assert crypto.blind_index("phone", "13812345678") != crypto.blind_index("id", "13812345678")
    before = crypto.blind_index("phone", "13812345678")
    settings.INDEX_KEY = "another-key"
    assert crypto.blind_index("phone", "13812345678") != before


@pytest.mark.parametrize(
    ("spelling", "same_as"),
    [
        ("+86 138-1234-5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("(138)1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("0375-1234567", "03751234567"),
        ("（0375）1234567", "03751234567"),
    ],
)
def test_every_spelling_of_a_phone_number_has_one_index(spelling, same_as):
    assert crypto.normalise_phone(spelling) == same_as
    assert crypto.blind_index("phone", spelling) == crypto.blind_index("phone", same_as)


def test_only_a_mobile_numbers_country_code_is_dropped():
    assert crypto.normalise_phone("8637512345678") == "8637512345678"  # not a mobile after "86"
    assert crypto.normalise_phone("86138123456") == "86138123456"  # too short to carry a code
    assert crypto.blind_index("phone", "8613812345678") != crypto.blind_index("id", "13812345678")
    # ID numbers keep their own rule: only whitespace and case.
    assert crypto.blind_index("id", "4104-04") != crypto.blind_index("id", "410404")
    assert crypto.blind_index("id", "410404x") == crypto.blind_index("id", "410404X")


def test_signed_tokens_refuse_forgery_and_other_purposes():
    token = crypto.sign_token("portal.rate", {"r": 1})
    assert crypto.unsign_token("portal.rate", token) == {"r": 1}
    assert crypto.unsign_token("other", token) is None
    _body, mac = token.split(".")
    forged = crypto._b64e(b'{"r":2}') + "." + mac
    assert crypto.unsign_token("portal.rate", forged) is None
    assert crypto.unsign_token("portal.rate", "garbage") is None


@pytest.mark.parametrize(
    ("func", "value", "masked"),
    [
        (mask_name, "张三", "张*"),
        (mask_name, "欧阳娜娜", "欧***"),
        (mask_name, "平顶山市某某科技有限公司", "平顶*********司"),
        (mask_phone, "13812345678", "138****5678"),
        (mask_id_number, "410404199001011234", "4104**********1234"),
        (mask_name, "", ""),
    ],
)
def test_masking(func, value, masked):
    assert func(value) == masked


def test_deploy_check_refuses_demo_keys():
    errors = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
    ids = {e.id for e in errors}
    assert {"haochaping.E001", "haochaping.E002"} <= ids


def test_ciphertext_is_bound_to_its_column():
    token = crypto.sm4_encrypt("13812345678", context="service_records_servicerecord.applicant_phone")
    assert crypto.sm4_decrypt(token, context="service_records_servicerecord.applicant_phone") == "13812345678"
    with pytest.raises(crypto.DecryptionError):
        crypto.sm4_decrypt(token, context="service_records_servicerecord.applicant_name")


def test_a_ciphertext_copied_into_another_column_does_not_decrypt(cast, api_all):
    from django.db import connection

    from haochaping.service_records.models import ServiceRecord
    from haochaping.testing import record_payload

    api_all.post("/api/v1/service-records", record_payload(cast))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE service_records_servicerecord SET applicant_name = applicant_phone")
    with pytest.raises(crypto.DecryptionError):
        ServiceRecord.objects.get().applicant_name  # noqa: B018
