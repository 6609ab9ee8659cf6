"""SMS transports: how a queued SMS leaves the platform.

Every transport has ``send(*, phone, body, template_code, out_id, params) -> provider message id``
and raises ``TransportError`` when the message was not accepted. ``out_id`` is the
notification id, passed to the provider as its idempotency/correlation key (Aliyun ``OutId``).
A transport that can also answer "did you accept message ``out_id``?" implements ``query``
(``QueryableTransport``); the delivery service uses it to settle a message whose outcome is
unknown instead of resending it.

* ``ConsoleTransport``: logs a masked line; nobody receives anything (default outside demo).
* ``FileTransport``: appends a JSON line with the full phone number and text to
  ``SMS_OUTBOX_FILE``; the demo's "phone". Plaintext identity: demo and tests only, refused by
  ``check --deploy`` outside demo mode.
* ``AliyunSmsTransport``: Aliyun Dysmsapi ``SendSms`` / ``QuerySendDetails`` (RPC style,
  signature version 1.0), standard library only.

Error messages are shown to operators (``Notification.last_error``, ``Job.last_error``, logs):
they never contain the phone number.
"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from haochaping.core.masking import mask_phone
from haochaping.jobs.registry import JobError

logger = logging.getLogger("haochaping.notifications")


class TransportError(JobError):
    """The provider did not accept the message (or we cannot tell whether it did).

    ``uncertain``: the request may have reached the provider (a timeout while waiting for the
    answer, a 5xx): the message may have been sent, so it must not be resent blindly.
    ``permanent``: retrying cannot help (an invalid number, a template the provider refuses).
    A ``JobError``, so its message (operator-facing, never a phone number) is kept by the job.
    """

    def __init__(self, message: str, *, code: str = "", uncertain: bool = False, permanent: bool = False):
        super().__init__(message)
        self.code = code
        self.uncertain = uncertain
        self.permanent = permanent


@runtime_checkable
class SmsTransport(Protocol):
    name: str

    def send(self, *, phone: str, body: str, template_code: str, out_id: str, params: Mapping[str, str]) -> str:
        """Hand one SMS to the provider; return its message id or raise ``TransportError``."""
        ...


@runtime_checkable
class QueryableTransport(SmsTransport, Protocol):
    def query(self, *, phone: str, out_id: str, since: dt.datetime) -> str | None:
        """The provider message id if it accepted ``out_id`` (sent at or after ``since``), None if it
        certainly did not; raise ``TransportError`` if it cannot tell (yet)."""
        ...


class ConsoleTransport:
    """Logs each SMS as a masked line. The text is logged in demo mode only (it may hold a code)."""

    name = "console"

    def __init__(self, *, show_body: bool = False):
        self.show_body = show_body

    def send(self, *, phone: str, body: str, template_code: str, out_id: str, params: Mapping[str, str]) -> str:
        text = body if self.show_body else f"<{len(body)} 字>"
        logger.info("SMS (console) to %s, template %s, out_id %s: %s", mask_phone(phone), template_code, out_id, text)
        return f"console-{out_id}"


class FileTransport:
    """Appends one JSON line per SMS (full phone number and text) to a file: the demo's phone.

    PLAINTEXT IDENTITY: for demo mode and tests only. ``query`` looks the ``out_id`` up in the
    file, like a provider's delivery report.
    """

    name = "file"

    def __init__(self, path: Path | str):
        self.path = Path(path)

    def send(self, *, phone: str, body: str, template_code: str, out_id: str, params: Mapping[str, str]) -> str:
        line = {
            "at": timezone.now().isoformat(),
            "out_id": out_id,
            "phone": phone,
            "template": template_code,
            "body": body,
            "params": dict(params),
        }
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)  # whole lines, even with several workers
                try:
                    fh.write(data)
                    fh.flush()
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
        except OSError as exc:
            raise TransportError(f"短信文件无法写入（{type(exc).__name__}）", code="file_error") from exc
        return f"file-{out_id}"

    def query(self, *, phone: str, out_id: str, since: dt.datetime) -> str | None:
        for entry in self.read():
            if entry.get("out_id") == out_id:
                return f"file-{out_id}"
        return None

    def read(self) -> list[dict[str, Any]]:
        """Every SMS written so far (demo pages and tests read the file through this)."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines if line.strip()]


# --- Aliyun Dysmsapi (RPC style, SignatureVersion 1.0) ---------------------------------------

ALIYUN_API_VERSION = "2017-05-25"
CHINA = ZoneInfo("Asia/Shanghai")
# Refusals that a retry cannot fix; anything else (rate limits, balance, outages) is retried.
ALIYUN_PERMANENT_CODES = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "isv.INVALID_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.BLACK_KEY_CONTROL_LIMIT",
    }
)
_LONG_DIGITS = re.compile(r"\+?\d{7,}")


def aliyun_percent_encode(value: str) -> str:
    """Aliyun POP encoding: UTF-8, then every byte except A-Z a-z 0-9 - _ . ~ as %XY (space = %20)."""
    return urllib.parse.quote(value, safe="-_.~")


def aliyun_canonical_query(params: Mapping[str, str]) -> str:
    """Parameters sorted by name, each name and value percent-encoded, joined with & (Signature excluded)."""
    return "&".join(
        f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}" for k, v in sorted(params.items()) if k != "Signature"
    )


def aliyun_signature(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    """Base64(HMAC-SHA1(secret + "&", METHOD + "&%2F&" + encode(canonical query)))."""
    string_to_sign = f"{method}&{aliyun_percent_encode('/')}&{aliyun_percent_encode(aliyun_canonical_query(params))}"
    digest = hmac.new(f"{access_key_secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _scrub(text: str) -> str:
    """A provider message for operators: no phone numbers (long digit runs), bounded length."""
    return _LONG_DIGITS.sub("***", str(text))[:300]


class AliyunSmsTransport:
    """Aliyun SMS (Dysmsapi 2017-05-25): ``SendSms`` and ``QuerySendDetails`` over signed GET requests.

    Our template codes map to the provider's approved template codes (``templates``); the
    provider adds the sign name (``SignName``) and fills its own template from
    ``TemplateParam`` (our template's placeholders), so our rendered text is not sent.
    """

    name = "aliyun"

    def __init__(
        self,
        *,
        endpoint: str,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        templates: Mapping[str, str],
        region_id: str = "cn-hangzhou",
        timeout: float = 10.0,
        now: Callable[[], dt.datetime] = timezone.now,
        nonce: Callable[[], str] = lambda: uuid.uuid4().hex,
    ):
        self.endpoint = endpoint
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.templates = dict(templates)
        self.region_id = region_id
        self.timeout = timeout
        self._now = now
        self._nonce = nonce

    def send(self, *, phone: str, body: str, template_code: str, out_id: str, params: Mapping[str, str]) -> str:
        provider_template = self.templates.get(template_code)
        if not provider_template:
            raise TransportError(
                f"阿里云短信模板未配置：{template_code}（SMS_ALIYUN_TEMPLATES）", code="no_template", permanent=True
            )
        answer = self._call(
            {
                "Action": "SendSms",
                "PhoneNumbers": phone,
                "SignName": self.sign_name,
                "TemplateCode": provider_template,
                "TemplateParam": json.dumps(dict(params), ensure_ascii=False, separators=(",", ":")),
                "OutId": out_id,
            }
        )
        return str(answer.get("BizId") or "")

    def query(self, *, phone: str, out_id: str, since: dt.datetime) -> str | None:
        """Look ``out_id`` up in the provider's send records (``QuerySendDetails``, one day at a time)."""
        first = since.astimezone(CHINA).date()
        last = self._now().astimezone(CHINA).date()
        day = first
        while day <= last:
            page = 1
            while True:
                answer = self._call(
                    {
                        "Action": "QuerySendDetails",
                        "PhoneNumber": phone,
                        "SendDate": day.strftime("%Y%m%d"),
                        "PageSize": "50",
                        "CurrentPage": str(page),
                    }
                )
                details = answer.get("SmsSendDetailDTOs") or {}
                rows = details.get("SmsSendDetailDTO", []) if isinstance(details, dict) else details
                for row in rows:
                    if str(row.get("OutId", "")) == out_id:
                        return str(row.get("BizId") or f"outid-{out_id}")
                if page * 50 >= int(answer.get("TotalCount") or 0) or page >= 20:
                    break
                page += 1
            day += dt.timedelta(days=1)
        return None

    def signed_params(self, params: Mapping[str, str]) -> dict[str, str]:
        """The request's parameters: common ones, ``params`` and the ``Signature``."""
        full = {
            "AccessKeyId": self.access_key_id,
            "Format": "JSON",
            "RegionId": self.region_id,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": self._nonce(),
            "SignatureVersion": "1.0",
            "Timestamp": self._now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": ALIYUN_API_VERSION,
            **params,
        }
        full["Signature"] = aliyun_signature("GET", full, self.access_key_secret)
        return full

    def _call(self, params: Mapping[str, str]) -> dict[str, Any]:
        action = params["Action"]
        signed = self.signed_params(params)
        query = f"Signature={aliyun_percent_encode(signed['Signature'])}&{aliyun_canonical_query(signed)}"
        url = f"{self.endpoint}{'&' if '?' in self.endpoint else '?'}{query}"
        # The endpoint is our own setting (https in production, see checks.py), never user input.
        request = urllib.request.Request(url, method="GET", headers={"Accept": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            if exc.code >= 500:
                raise TransportError(
                    f"阿里云 {action} 返回 HTTP {exc.code}", code=f"http_{exc.code}", uncertain=True
                ) from exc
            answer = _json_or_empty(raw)
            raise _refusal(action, answer, fallback=f"http_{exc.code}") from exc
        except TimeoutError as exc:
            raise TransportError(
                f"阿里云 {action} 超时（{self.timeout:g} 秒）", code="timeout", uncertain=True
            ) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise TransportError(f"阿里云 {action} 超时", code="timeout", uncertain=True) from exc
            # Name resolution or connection refused: the request never reached the provider.
            raise TransportError(f"阿里云 {action} 无法连接（{type(exc.reason).__name__}）", code="connect") from exc
        except OSError as exc:  # reset while reading the answer: it may have been accepted
            raise TransportError(
                f"阿里云 {action} 连接中断（{type(exc).__name__}）", code="io", uncertain=True
            ) from exc
        answer = _json_or_empty(raw)
        if answer.get("Code") != "OK":
            if not answer:
                raise TransportError(f"阿里云 {action} 返回无法解析的应答", code="bad_answer", uncertain=True)
            raise _refusal(action, answer)
        return answer


def _json_or_empty(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _refusal(action: str, answer: dict[str, Any], *, fallback: str = "unknown") -> TransportError:
    code = str(answer.get("Code") or fallback)
    message = _scrub(answer.get("Message") or "")
    return TransportError(
        f"阿里云 {action} 拒绝：{code} {message}".strip(), code=code, permanent=code in ALIYUN_PERMANENT_CODES
    )


# --- selection ---------------------------------------------------------------------------


def _console() -> SmsTransport:
    return ConsoleTransport(show_body=settings.DEMO_MODE or settings.DEBUG)


def _file() -> SmsTransport:
    return FileTransport(settings.SMS_OUTBOX_FILE)


def _aliyun() -> SmsTransport:
    return AliyunSmsTransport(
        endpoint=settings.SMS_ALIYUN_ENDPOINT,
        access_key_id=settings.SMS_ALIYUN_ACCESS_KEY_ID,
        access_key_secret=settings.SMS_ALIYUN_ACCESS_KEY_SECRET,
        sign_name=settings.SMS_ALIYUN_SIGN_NAME,
        templates=settings.SMS_ALIYUN_TEMPLATES,
        region_id=settings.SMS_ALIYUN_REGION_ID,
        timeout=settings.SMS_HTTP_TIMEOUT_SECONDS,
    )


# ``SMS_TRANSPORT`` names one of these (tests add fakes with ``monkeypatch.setitem``).
TRANSPORTS: dict[str, Callable[[], SmsTransport]] = {"console": _console, "file": _file, "aliyun": _aliyun}


def get_transport() -> SmsTransport:
    """The transport selected by ``SMS_TRANSPORT``, built from settings on each call (cheap)."""
    try:
        factory = TRANSPORTS[settings.SMS_TRANSPORT]
    except KeyError:
        raise ImproperlyConfigured(
            f"HAOCHAPING_SMS_TRANSPORT 应为 {'、'.join(sorted(TRANSPORTS))} 之一，当前为 {settings.SMS_TRANSPORT!r}"
        ) from None
    return factory()
