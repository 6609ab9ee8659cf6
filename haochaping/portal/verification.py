"""SMS codes that prove a citizen holds a phone number, and the citizen's state in the session.

Codes (制度第六条: real name, identity kept confidential):

* 6 random digits, valid ``SMS_CODE_MINUTES`` (5); one active code per phone (a new one
  replaces the old). Stored as a keyed HMAC-SM3 with the phone's blind index: neither the
  phone nor the code is ever stored in plain text here (the outbox keeps the sent text until
  it is delivered, like every SMS).
* Rate limits, checked before anything is sent: per phone one code per
  ``SMS_CODE_PHONE_INTERVAL_SECONDS`` (60) and ``SMS_CODE_PHONE_PER_HOUR`` (5) an hour; per
  client address (``core.http.client_ip``) ``SMS_CODE_IP_PER_HOUR`` (20) an hour.
* Brute force: ``SMS_CODE_MAX_ATTEMPTS`` (5) wrong entries invalidate the code and lock the
  phone for ``SMS_CODE_LOCK_MINUTES`` (15): no new code, no verification until then.
* Every code issued, every failed verification and every lock is audited with the phone
  masked (138****5678), never in plain text.

Session: a verified phone is kept as its blind indexes (never the number) plus the masked
number, for ``CITIZEN_SESSION_MINUTES`` (30). The plain number exists only in memory during the
request that sends the code.

Every limit is a setting (``settings.NAME``) or else the environment variable
``HAOCHAPING_NAME``, with the defaults above.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.core.crypto import blind_index, constant_time_equal, hmac_sm3_hex, normalise_phone
from haochaping.core.env import env_int
from haochaping.core.errors import ApplicationError
from haochaping.core.masking import mask_phone
from haochaping.notifications.services import notification_queue
from haochaping.portal.models import SmsCode

logger = logging.getLogger("haochaping.portal")

DEFAULTS = {
    "SMS_CODE_MINUTES": 5,
    "SMS_CODE_PHONE_INTERVAL_SECONDS": 60,
    "SMS_CODE_PHONE_PER_HOUR": 5,
    "SMS_CODE_IP_PER_HOUR": 20,
    "SMS_CODE_MAX_ATTEMPTS": 5,
    "SMS_CODE_LOCK_MINUTES": 15,
    "CITIZEN_SESSION_MINUTES": 30,
    "CITIZEN_QR_DAYS": 30,
    "KIOSK_IDLE_SECONDS": 120,
    "KIOSK_LOOKUP_FAILURES": 5,
    "KIOSK_LOOKUP_LOCK_MINUTES": 15,
    "KIOSK_LOOKUP_CLIENT_FAILURES": 20,
}
CODE_DIGITS = 6
KEEP_ROWS = dt.timedelta(days=1)
MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")

SESSION_VERIFIED = "citizen_phone"
SESSION_PENDING = "citizen_pending"


def limit(name: str) -> int:
    """A limit from settings, else from ``HAOCHAPING_<NAME>``, else its default."""
    value = getattr(settings, name, None)
    if value is None:
        value = env_int(f"HAOCHAPING_{name}", DEFAULTS[name])
    return int(value)


class Purpose(StrEnum):
    QR = "qr"
    MY = "my"
    KIOSK = "kiosk"


class CodeRefused(ApplicationError):
    """A code was not sent or not accepted; ``message`` tells the citizen what to do."""

    status = 429
    code = "sms_code_refused"


class SmsDisabled(CodeRefused):
    status = 503
    code = "sms_disabled"


class CodeMalformed(CodeRefused):
    """What was entered cannot be a code: not counted as an attempt."""

    status = 422
    code = "code_format"


# --- phone numbers ---------------------------------------------------------------------------------


def mobile_number(text: str) -> str | None:
    """The 11-digit mainland mobile number in ``text`` ("138 1234-5678", "+86 13812345678"), or None."""
    digits = normalise_phone(text or "")
    return digits if MOBILE_RE.match(digits) else None


def phone_indexes(mobile: str) -> list[str]:
    """The blind indexes under which this mobile number is stored: one, since every phone index
    is taken over the normalised number (``core.crypto.normalise_phone``), whatever spelling
    a business system pushed. A list, so that a session keeps what it proved as it was."""
    return [blind_index("phone", mobile)]


# --- codes -----------------------------------------------------------------------------------------


def _code_hash(phone_index: str, code: str) -> str:
    return hmac_sm3_hex(settings.SECRET_KEY.encode(), f"portal.sms-code:{phone_index}:{code}".encode())


def _ip_index(ip: str) -> str:
    return hmac_sm3_hex(settings.SECRET_KEY.encode(), f"portal.client-ip:{ip}".encode()) if ip else ""


def _minutes(delta: dt.timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds() / 60))


def _locked_until(phone_index: str, now: dt.datetime) -> dt.datetime | None:
    row = (
        SmsCode.objects.filter(phone_index=phone_index, locked_until__gt=now)
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    return row


def _locked_message(until: dt.datetime, now: dt.datetime) -> str:
    return f"验证码输错次数过多，该手机号已暂时锁定，请 {_minutes(until - now)} 分钟后再试"


def _check_limits(phone_index: str, ip_index: str, now: dt.datetime) -> None:
    """Raise CodeRefused with a Chinese message when a limit forbids another code now."""
    until = _locked_until(phone_index, now)
    if until is not None:
        raise CodeRefused(_locked_message(until, now), code="phone_locked")
    hour_ago = now - dt.timedelta(hours=1)
    recent = list(
        SmsCode.objects.filter(phone_index=phone_index, created_at__gt=hour_ago)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    interval = dt.timedelta(seconds=limit("SMS_CODE_PHONE_INTERVAL_SECONDS"))
    if recent and now - recent[-1] < interval:
        wait = math.ceil((recent[-1] + interval - now).total_seconds())
        raise CodeRefused(f"请 {max(wait, 1)} 秒后再获取验证码", code="too_soon")
    if len(recent) >= limit("SMS_CODE_PHONE_PER_HOUR"):
        wait = recent[-limit("SMS_CODE_PHONE_PER_HOUR")] + dt.timedelta(hours=1) - now
        per_hour = limit("SMS_CODE_PHONE_PER_HOUR")
        raise CodeRefused(
            f"该手机号获取验证码次数过多（每小时最多 {per_hour} 次），请 {_minutes(wait)} 分钟后再试",
            code="phone_hourly_limit",
        )
    if ip_index:
        from_ip = list(
            SmsCode.objects.filter(ip_index=ip_index, created_at__gt=hour_ago)
            .order_by("created_at")
            .values_list("created_at", flat=True)
        )
        if len(from_ip) >= limit("SMS_CODE_IP_PER_HOUR"):
            wait = from_ip[-limit("SMS_CODE_IP_PER_HOUR")] + dt.timedelta(hours=1) - now
            raise CodeRefused(
                f"当前网络获取验证码过于频繁，请 {_minutes(wait)} 分钟后再试，或到服务窗口咨询",
                code="ip_hourly_limit",
            )


def sms_code_issue(*, mobile: str, purpose: Purpose, ip: str) -> SmsCode:
    """Send a new code to ``mobile`` (11 digits) by SMS, within the limits; CodeRefused otherwise.

    The code and the SMS are written in one transaction (the worker sends it after commit).
    """
    phone_index = phone_indexes(mobile)[0]
    ip_index = _ip_index(ip)
    now = timezone.now()
    try:
        with transaction.atomic():
            # Serialise concurrent requests for the same phone on its active code (PostgreSQL);
            # SQLite already serialises writers. Two that both pass the checks meet the partial
            # unique index below.
            list(SmsCode.objects.select_for_update().filter(phone_index=phone_index, is_active=True))
            _check_limits(phone_index, ip_index, now)
            SmsCode.objects.filter(created_at__lt=now - KEEP_ROWS).exclude(locked_until__gt=now).delete()
            SmsCode.objects.filter(phone_index=phone_index, is_active=True).update(is_active=False)
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            minutes = limit("SMS_CODE_MINUTES")
            row = SmsCode.objects.create(
                phone_index=phone_index,
                code_hash=_code_hash(phone_index, code),
                purpose=purpose.value,
                ip_index=ip_index,
                created_at=now,
                expires_at=now + dt.timedelta(minutes=minutes),
            )
            sms = notification_queue(
                template="sms_code",
                to_phone=mobile,
                context={"code": code, "minutes": minutes},
                dedupe_key=f"sms-code:{row.pk}",
                actor=Actor.citizen(),
            )
            if sms is None:  # an administrator switched the template off: nothing would arrive
                raise SmsDisabled("短信验证码暂停发送，请到服务窗口评价，或拨打咨询电话")
            audit_record(
                actor=Actor.citizen(),
                action="portal:sms_code:issued",
                target=row,
                data={"phone": mask_phone(mobile), "purpose": purpose.value, "ip": ip},
            )
    except IntegrityError as exc:  # a concurrent request for the same phone won
        raise CodeRefused(f"请 {limit('SMS_CODE_PHONE_INTERVAL_SECONDS')} 秒后再获取验证码", code="too_soon") from exc
    return row


def resend_wait_seconds(phone_index: str) -> int:
    """Seconds until this phone may get another code (0: now); the per-phone interval only."""
    now = timezone.now()
    last = (
        SmsCode.objects.filter(phone_index=phone_index, created_at__gt=now - dt.timedelta(hours=1))
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is None:
        return 0
    left = (last + dt.timedelta(seconds=limit("SMS_CODE_PHONE_INTERVAL_SECONDS")) - now).total_seconds()
    return max(0, math.ceil(left))


class Outcome(StrEnum):
    VERIFIED = "verified"
    NO_CODE = "no_code"
    EXPIRED = "expired"
    WRONG = "wrong"
    LOCKED = "locked"  # locked now, by this wrong entry
    WAS_LOCKED = "was_locked"


def _verify(phone_index: str, code: str, masked: str, ip: str, now: dt.datetime) -> tuple[Outcome, int]:
    """One verification attempt, committed whatever its outcome (attempts must count)."""
    with transaction.atomic():
        until = _locked_until(phone_index, now)
        if until is not None:
            return Outcome.WAS_LOCKED, 0
        row = SmsCode.objects.select_for_update().filter(phone_index=phone_index, is_active=True).first()
        if row is None:
            return Outcome.NO_CODE, 0
        if row.expires_at <= now:
            SmsCode.objects.filter(pk=row.pk).update(is_active=False)
            return Outcome.EXPIRED, 0
        if constant_time_equal(_code_hash(phone_index, code), row.code_hash):
            SmsCode.objects.filter(pk=row.pk).update(is_active=False, used_at=now)
            data = {"phone": masked, "purpose": row.purpose, "ip": ip}
            audit_record(actor=Actor.citizen(), action="portal:sms_code:verified", target=row, data=data)
            return Outcome.VERIFIED, 0
        attempts = row.attempts + 1
        max_attempts = limit("SMS_CODE_MAX_ATTEMPTS")
        data = {"phone": masked, "purpose": row.purpose, "attempts": attempts, "ip": ip}
        if attempts >= max_attempts:
            locked_until = now + dt.timedelta(minutes=limit("SMS_CODE_LOCK_MINUTES"))
            SmsCode.objects.filter(pk=row.pk).update(attempts=attempts, is_active=False, locked_until=locked_until)
            audit_record(actor=Actor.citizen(), action="portal:sms_code:verify_failed", target=row, data=data)
            locked = {**data, "locked_until": locked_until.isoformat()}
            audit_record(actor=Actor.citizen(), action="portal:sms_code:locked", target=row, data=locked)
            return Outcome.LOCKED, 0
        SmsCode.objects.filter(pk=row.pk).update(attempts=attempts)
        audit_record(actor=Actor.citizen(), action="portal:sms_code:verify_failed", target=row, data=data)
        return Outcome.WRONG, max_attempts - attempts


def sms_code_verify(*, phone_index: str, code: str, masked: str, ip: str) -> None:
    """Accept the code for the phone (its canonical blind index) or raise CodeRefused."""
    code = re.sub(r"\s", "", code or "")
    if not re.fullmatch(rf"[0-9]{{{CODE_DIGITS}}}", code):
        raise CodeMalformed(f"请输入短信中的 {CODE_DIGITS} 位数字验证码")
    now = timezone.now()
    outcome, left = _verify(phone_index, code, masked, ip, now)
    match outcome:
        case Outcome.VERIFIED:
            return
        case Outcome.NO_CODE:
            raise CodeRefused("验证码已失效，请重新获取", code="no_code")
        case Outcome.EXPIRED:
            raise CodeRefused(f"验证码已过期（{limit('SMS_CODE_MINUTES')} 分钟内有效），请重新获取", code="expired")
        case Outcome.WRONG:
            raise CodeRefused(f"验证码错误，请核对短信后重新输入（还可以再试 {left} 次）", code="wrong_code")
        case Outcome.LOCKED:
            raise CodeRefused(
                f"验证码连续输错 {limit('SMS_CODE_MAX_ATTEMPTS')} 次，已失效。为保护您的信息，"
                f"该手机号 {limit('SMS_CODE_LOCK_MINUTES')} 分钟内不能再获取或验证验证码",
                code="phone_locked",
            )
        case Outcome.WAS_LOCKED:
            raise CodeRefused(_locked_message(_locked_until(phone_index, now) or now, now), code="phone_locked")


# --- the citizen's state in the session ------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedPhone:
    """A phone the citizen proved by SMS code in this session: only indexes and the masked number."""

    indexes: tuple[str, ...]
    masked: str
    verified_at: int

    @property
    def index(self) -> str:
        return self.indexes[0]


def session_set_pending(request, *, mobile: str, purpose: Purpose, indexes: list[str] | None = None, **extra) -> None:
    """Remember, until the code is entered, whose code was sent (never the number itself)."""
    request.session[SESSION_PENDING] = {
        "purpose": purpose.value,
        "indexes": indexes or phone_indexes(mobile),
        "masked": mask_phone(mobile),
        "sent_at": int(time.time()),
        **extra,
    }


def session_pending(request, purpose: Purpose) -> dict | None:
    pending = request.session.get(SESSION_PENDING)
    if not isinstance(pending, dict) or pending.get("purpose") != purpose.value:
        return None
    if time.time() - pending.get("sent_at", 0) > limit("CITIZEN_SESSION_MINUTES") * 60:
        return None
    return pending


def session_mark_verified(request, pending: dict, *, key: str = SESSION_VERIFIED) -> dict:
    """After a correct code: a new session key (no fixation) holding the verified phone under
    ``key``, with whatever else the pending state carried (the kiosk's project number)."""
    request.session.pop(SESSION_PENDING, None)
    request.session.cycle_key()
    verified = {**pending, "at": int(time.time())}
    verified.pop("sent_at", None)
    request.session[key] = verified
    return verified


def session_verified(request, *, key: str = SESSION_VERIFIED) -> dict | None:
    """The raw verified state under ``key`` while it is fresh (CITIZEN_SESSION_MINUTES)."""
    data = request.session.get(key)
    if not isinstance(data, dict) or not data.get("indexes"):
        return None
    if time.time() - data.get("at", 0) > limit("CITIZEN_SESSION_MINUTES") * 60:
        request.session.pop(key, None)
        return None
    return data


def session_verified_phone(request) -> VerifiedPhone | None:
    """The phone verified in this session (QR pages, my ratings), while it is fresh."""
    data = session_verified(request)
    if data is None:
        return None
    return VerifiedPhone(tuple(data["indexes"]), data["masked"], data["at"])


def session_forget_citizen(request, *keys: str) -> None:
    """Log the citizen out: their phone and anything pending leave the session (a console
    login in the same browser, if any, stays)."""
    for key in (SESSION_VERIFIED, SESSION_PENDING, *keys):
        request.session.pop(key, None)
    request.session.cycle_key()
