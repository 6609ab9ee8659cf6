"""SMS codes (verification.py): storage, one active code, rate limits, brute-force lockout, audit.

Also home of the small helpers the other citizen-page tests import (``code_for``, ``qr_for``,
``verify``).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.core.crypto import blind_index
from haochaping.notifications.models import Notification
from haochaping.portal.models import SmsCode
from haochaping.portal.tests.factories import MASKED, OTHER_PHONE, PHONE, code_for, qr_for, verify
from haochaping.portal.verification import (
    CodeMalformed,
    CodeRefused,
    Purpose,
    mobile_number,
    phone_indexes,
    sms_code_issue,
    sms_code_verify,
)

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def no_plaintext_phone_anywhere(*phones: str) -> None:
    """Neither the audit log nor the code table holds the number (the outbox does, encrypted)."""
    for event in AuditEvent.objects.all():
        blob = json.dumps(event.data, ensure_ascii=False) + event.target_id + event.actor_label
        for phone in phones:
            assert phone not in blob, event.action
    for row in SmsCode.objects.values():
        for phone in phones:
            assert phone not in json.dumps(row, default=str)


def issue(phone: str = PHONE, ip: str = "10.0.0.1", purpose: Purpose = Purpose.QR) -> SmsCode:
    return sms_code_issue(mobile=phone, purpose=purpose, ip=ip)


def check(code: str, phone: str = PHONE) -> None:
    sms_code_verify(phone_index=phone_indexes(phone)[0], code=code, masked=MASKED, ip="10.0.0.1")


def refused(fn, *args, **kwargs) -> CodeRefused:
    with pytest.raises(CodeRefused) as info:
        fn(*args, **kwargs)
    return info.value


# --- codes ---------------------------------------------------------------------------------------


def test_a_code_is_six_digits_sent_by_sms_and_stored_only_as_keyed_hashes(db):
    row = issue()
    code = code_for()
    assert len(code) == 6 and code.isdigit()
    sms = Notification.objects.get(template_code="sms_code")
    assert sms.context == {"code": code, "minutes": 5} and code in sms.body and "5 分钟" in sms.body
    assert row.phone_index == blind_index("phone", PHONE) and row.code_hash != code and len(row.code_hash) == 64
    assert row.expires_at - row.created_at == dt.timedelta(minutes=5)
    event = AuditEvent.objects.get(action="portal:sms_code:issued")
    assert event.actor_type == "citizen" and event.data["phone"] == MASKED and event.data["purpose"] == "qr"
    no_plaintext_phone_anywhere(PHONE)
    check(code)
    assert AuditEvent.objects.filter(action="portal:sms_code:verified").count() == 1
    # Used once: the same code cannot be used again.
    assert refused(check, code).code == "no_code"


def test_a_new_code_replaces_the_previous_one(db):
    with time_machine.travel(T0, tick=False) as clock:
        issue()
        first = code_for()
        clock.shift(61)
        issue()
        second = code_for()
        # Checked within the codes' five minutes: after them both would be refused as expired.
        assert SmsCode.objects.filter(is_active=True).count() == 1
        if first != second:
            assert refused(check, first).code == "wrong_code"
        check(second)


def test_codes_expire_after_five_minutes(db):
    with time_machine.travel(T0, tick=False) as clock:
        issue()
        clock.shift(5 * 60 + 1)
        error = refused(check, code_for())
    assert error.code == "expired" and "已过期" in error.message


def test_what_cannot_be_a_code_is_not_counted_as_an_attempt(db):
    issue()
    for text in ("", "12345", "abcdef", "1234567"):
        with pytest.raises(CodeMalformed):
            check(text)
    assert SmsCode.objects.get().attempts == 0
    check(" ".join(code_for()))  # spaces typed between the digits are fine


# --- rate limits ---------------------------------------------------------------------------------


def test_one_code_per_phone_per_minute(db):
    with time_machine.travel(T0, tick=False) as clock:
        issue()
        error = refused(issue)
        assert error.message == "请 60 秒后再获取验证码" and error.status == 429
        clock.shift(45)
        assert refused(issue).message == "请 15 秒后再获取验证码"
        clock.shift(16)
        issue()
    assert SmsCode.objects.count() == 2 and Notification.objects.count() == 2


def test_five_codes_per_phone_per_hour(db):
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(5):
            issue()
            clock.shift(61)
        error = refused(issue)
        assert error.code == "phone_hourly_limit" and "每小时最多 5 次" in error.message
        assert "55 分钟后再试" in error.message  # the first code (T0) leaves the hour at T0 + 60 min
        clock.move_to(T0 + dt.timedelta(hours=1, seconds=1))
        issue()
    assert Notification.objects.count() == 6


def test_twenty_codes_per_client_address_per_hour(db):
    phones = [f"1390000{i:04d}" for i in range(21)]
    with time_machine.travel(T0, tick=False) as clock:
        for phone in phones[:20]:
            issue(phone, ip="10.9.9.9")
        error = refused(issue, phones[20], ip="10.9.9.9")
        assert error.code == "ip_hourly_limit" and "请 60 分钟后再试" in error.message
        issue(phones[20], ip="10.9.9.10")  # another address is not affected
        clock.shift(3601)
        issue(OTHER_PHONE, ip="10.9.9.9")


def test_limits_come_from_settings(db, settings):
    settings.SMS_CODE_PHONE_INTERVAL_SECONDS = 10
    settings.SMS_CODE_PHONE_PER_HOUR = 2
    settings.SMS_CODE_MINUTES = 2
    with time_machine.travel(T0, tick=False) as clock:
        row = issue()
        assert row.expires_at - row.created_at == dt.timedelta(minutes=2)
        assert refused(issue).message == "请 10 秒后再获取验证码"
        clock.shift(11)
        issue()
        clock.shift(11)
        assert refused(issue).code == "phone_hourly_limit"


# --- brute force -----------------------------------------------------------------------------------


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_five_wrong_codes_invalidate_the_code_and_lock_the_phone_for_fifteen_minutes(db):
    with time_machine.travel(T0, tick=False) as clock:
        issue()
        code = code_for()
        for left in (4, 3, 2, 1):
            error = refused(check, wrong(code))
            assert error.code == "wrong_code" and f"还可以再试 {left} 次" in error.message
        error = refused(check, wrong(code))
        assert error.code == "phone_locked" and "连续输错 5 次" in error.message and "15 分钟" in error.message
        # The right code no longer helps, and no new code is sent while locked.
        assert refused(check, code).code == "phone_locked"
        clock.shift(5 * 60)
        error = refused(issue)
        assert error.code == "phone_locked" and "请 10 分钟后再试" in error.message
        assert refused(issue, ip="10.1.1.1").code == "phone_locked"  # from another address too
        issue(OTHER_PHONE)  # other phones are not affected
        clock.shift(10 * 60 + 1)
        issue()
        check(code_for())
    assert AuditEvent.objects.filter(action="portal:sms_code:verify_failed").count() == 5
    locked = AuditEvent.objects.get(action="portal:sms_code:locked")
    assert locked.data["phone"] == MASKED and locked.data["attempts"] == 5
    no_plaintext_phone_anywhere(PHONE, OTHER_PHONE)


def test_the_number_of_attempts_and_the_lock_come_from_settings(db, settings):
    settings.SMS_CODE_MAX_ATTEMPTS = 3
    settings.SMS_CODE_LOCK_MINUTES = 60
    with time_machine.travel(T0, tick=False) as clock:
        issue()
        code = code_for()
        refused(check, wrong(code))
        refused(check, wrong(code))
        assert "60 分钟" in refused(check, wrong(code)).message
        clock.shift(59 * 60)
        assert refused(issue).code == "phone_locked"


# --- phone numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mobile"),
    [
        ("13812345678", PHONE),
        ("138 1234 5678", PHONE),
        ("138-1234-5678", PHONE),
        ("+86 138 1234 5678", PHONE),
        ("008613812345678", PHONE),
        ("8613812345678", PHONE),
        ("1381234567", None),
        ("23812345678", None),
        ("12812345678", None),
        ("0375-1234567", None),
        ("abc", None),
    ],
)
def test_mainland_mobile_numbers_are_recognised_in_common_spellings(text, mobile):
    assert mobile_number(text) == mobile


def test_a_record_pushed_with_another_spelling_of_the_number_is_found(cast, client):
    from haochaping.portal.tests.factories import PHONE, push, qr_for, verify

    record = push(cast, applicant_phone="+86-138-1234-5678")
    assert record.phone_index == blind_index("phone", PHONE)  # indexed under the normalised number
    qr = qr_for(window=cast.window_a)
    page = verify(client, reverse("portal:qr", args=[qr.slug]), "138 1234 5678")
    assert page.status_code == 200 and record.item.name in page.content.decode()


def test_the_session_keeps_the_blind_index_and_the_masked_number_never_the_number(cast, client):
    qr = qr_for(window=cast.window_a)
    verify(client, reverse("portal:qr", args=[qr.slug]))
    stored = json.dumps(dict(client.session.items()), ensure_ascii=False)
    assert PHONE not in stored and MASKED in stored and blind_index("phone", PHONE) in stored


def test_rows_older_than_a_day_are_purged_when_codes_are_issued(db):
    issue()
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, minutes=1)):
        issue(OTHER_PHONE)
    assert list(SmsCode.objects.values_list("phone_index", flat=True)) == [blind_index("phone", OTHER_PHONE)]


def test_a_disabled_sms_template_is_said_plainly_and_leaves_no_code(db):
    from haochaping.notifications.models import MessageTemplate

    MessageTemplate.objects.filter(code="sms_code").update(is_active=False)
    error = refused(issue)
    assert error.status == 503 and "暂停发送" in error.message
    assert not SmsCode.objects.exists() and not Notification.objects.exists()
