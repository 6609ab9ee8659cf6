"""Business-system API authentication: HMAC-SM3 request signatures with replay protection.

Canonical string (UTF-8)::

    METHOD "\\n" PATH "\\n" X-Timestamp "\\n" X-Nonce "\\n" hex(SM3(body))

PATH is the request target exactly as the client sends it on the request line: the path with
its percent-escapes as sent, plus ``?`` and the query string if there is one
(``/api/v1/units?page=2``). ``X-Signature`` = lowercase hex HMAC-SM3(secret, canonical).
WSGI decodes the path (PEP 3333), so the server verifies over the raw target where it can see
it, and otherwise over the forms a client may have sent (``signed_paths``).
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import quote, unquote

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from haochaping.core.crypto import constant_time_equal, hmac_sm3_hex, sm3_hex
from haochaping.core.db.hot import hot_cursor, piggyback, take, violated_table
from haochaping.core.errors import AuthenticationFailed
from haochaping.organizations.models import ApiNonce, BusinessSystem
from haochaping.organizations.services import business_system_touch, system_error_count

logger = logging.getLogger("haochaping.api")

NONCE_RE = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")


def canonical_request(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return "\n".join([method.upper(), path, timestamp, nonce, sm3_hex(body)])


def sign_request(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    """What a client computes; used by the tests, the benchmark and the README example."""
    return hmac_sm3_hex(secret.encode(), canonical_request(method, path, timestamp, nonce, body).encode())


_SYSTEM_TTL = 5.0


class _Secrets:
    """A system's decrypted secrets: the current one and, during a rotation's overlap, the
    replaced one with the moment it stops verifying."""

    __slots__ = ("current", "previous", "previous_until")

    def __init__(self, system: BusinessSystem) -> None:
        self.current = system.secret
        self.previous = system.previous_secret or ""
        self.previous_until = system.previous_secret_expires_at

    def valid(self, now) -> tuple[str, ...]:
        """The secrets that verify a signature at ``now``, current first."""
        if self.previous and self.previous_until is not None and now < self.previous_until:
            return (self.current, self.previous)
        return (self.current,)


_systems: dict[str, tuple[float, BusinessSystem, _Secrets]] = {}


def _system_for(app_id: str, *, fresh: bool = False) -> tuple[BusinessSystem | None, _Secrets | None]:
    """The system and its decrypted secrets, cached per process for 5 s (``fresh``: read again).

    A deactivated system is refused within 5 s (at once in the process that deactivated it);
    the cache spares a query and an SM4 decryption on every request of the intake hot path.
    The overlap of a rotated secret ends exactly on time: its end is compared on every request.
    """
    now = time.monotonic()
    hit = _systems.get(app_id)
    if hit is not None and hit[0] > now and not fresh:
        return hit[1], hit[2]
    try:
        system = BusinessSystem.objects.select_related("unit").get(app_id=app_id)
    except BusinessSystem.DoesNotExist:
        _systems.pop(app_id, None)
        return None, None
    if len(_systems) > 1000:
        _systems.clear()
    secrets = _Secrets(system)
    _systems[app_id] = (now + _SYSTEM_TTL, system, secrets)
    return system, secrets


def forget_cached_systems() -> None:
    _systems.clear()


def _stale_secrets(app_id: str, secrets: _Secrets) -> _Secrets | None:
    """After a signature failed against cached secrets: the system's secrets read again if they
    changed meanwhile (a rotation in another process), so a new secret verifies at once
    everywhere. At most one read a second per system: a flood of bad signatures stays cheap."""
    hit = _systems.get(app_id)
    if hit is None or hit[2] is not secrets or hit[0] - _SYSTEM_TTL > time.monotonic() - 1.0:
        return None
    system, fresh = _system_for(app_id, fresh=True)
    if system is None or fresh is None or not system.is_active or fresh.current == secrets.current:
        return None
    return fresh


def _signed_with(secrets: _Secrets, request, timestamp: str, nonce: str, signature: str, body: bytes) -> bool:
    return any(
        constant_time_equal(sign_request(secret, request.method, path, timestamp, nonce, body), signature)
        for secret in secrets.valid(timezone.now())
        for path in signed_paths(request)
    )


def authenticate_request(request) -> BusinessSystem:
    # From META directly: ``request.headers`` would parse every header of the request.
    meta = request.META
    app_id = meta.get("HTTP_X_APP_ID", "")
    timestamp = meta.get("HTTP_X_TIMESTAMP", "")
    nonce = meta.get("HTTP_X_NONCE", "")
    signature = meta.get("HTTP_X_SIGNATURE", "").lower()
    missing = [
        h
        for h, v in (("X-App-Id", app_id), ("X-Timestamp", timestamp), ("X-Nonce", nonce), ("X-Signature", signature))
        if not v
    ]
    if missing:
        raise AuthenticationFailed(
            f"缺少认证请求头：{', '.join(missing)}", code="missing_auth_headers", fields={h: ["必填"] for h in missing}
        )
    system, secrets = _system_for(app_id)
    if system is None or secrets is None:
        raise AuthenticationFailed("App ID 不存在或已停用", code="unknown_app_id")
    # Whose call it was, for the per-system error count (``haochaping.api``), even if refused.
    request.api_system_id = system.pk
    if not system.is_active:
        raise AuthenticationFailed("App ID 不存在或已停用", code="unknown_app_id")
    try:
        ts_ms = int(timestamp)
    except ValueError as exc:
        raise AuthenticationFailed("X-Timestamp 必须是毫秒级 Unix 时间戳", code="bad_timestamp") from exc
    if abs(time.time() * 1000 - ts_ms) > settings.API_SIGNATURE_WINDOW * 1000:
        raise AuthenticationFailed(
            f"请求时间戳与服务器时间相差超过 {settings.API_SIGNATURE_WINDOW} 秒，请校准时钟",
            code="timestamp_out_of_window",
        )
    if not NONCE_RE.match(nonce):
        raise AuthenticationFailed("X-Nonce 须为 8–64 位字母、数字、下划线或连字符", code="bad_nonce")
    body = request.body
    if not _signed_with(secrets, request, timestamp, nonce, signature, body):
        fresh = _stale_secrets(app_id, secrets)
        if fresh is None or not _signed_with(fresh, request, timestamp, nonce, signature, body):
            raise AuthenticationFailed("签名校验失败", code="bad_signature")
    business_system_touch(system=system)
    request.system = system
    request.api_nonce = nonce
    if request.method in SAFE_METHODS:
        with transaction.atomic():
            _record_nonce(request)
    # Otherwise the nonce is recorded in the request's write transaction (``api_write``), or,
    # if the request wrote nothing, after the response (``ApiNonceMiddleware``).
    return system


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Where a server or proxy leaves the request target as sent: gunicorn (RAW_URI); uWSGI, mod_wsgi,
# waitress (REQUEST_URI); Nginx in front of granian, which passes none of these
# (``proxy_set_header X-Original-URI $request_uri;``).
RAW_TARGET_KEYS = ("RAW_URI", "REQUEST_URI", "HTTP_X_ORIGINAL_URI")
# What RFC 3986 lets stand unescaped in a path besides the unreserved characters (which
# ``quote`` never escapes): sub-delims, ":", "@" and "/".
_PATH_SAFE = "/:@!$&'()*+,;="


def _wsgi_text(value: str) -> str:
    """A WSGI string (the request's bytes as ISO-8859-1) as the UTF-8 text the client signed."""
    try:
        return value.encode("latin-1").decode("utf-8", errors="replace")
    except UnicodeEncodeError:
        return value


def _raw_target(request) -> str | None:
    """The request target as the client sent it, if the server or proxy passed it on and it
    names this very request (decoded, the same path and the same query string): a value that
    says otherwise is ignored, so the signature always covers what is served."""
    meta = request.META
    query = _wsgi_text(meta.get("QUERY_STRING", ""))
    for key in RAW_TARGET_KEYS:
        raw = meta.get(key)
        if not raw:
            continue
        raw = _wsgi_text(raw)
        if "://" in raw.split("?", 1)[0]:  # absolute form: drop scheme and authority
            rest = raw.split("://", 1)[1]
            raw = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        path, _, raw_query = raw.partition("?")
        if unquote(path) == request.path and raw_query == query:
            return raw
    return None


def signed_paths(request) -> Iterator[str]:
    """The PATHs a correctly signed request may carry, most likely first (computed lazily).

    1. The raw target, where the server or proxy passes it (``RAW_TARGET_KEYS``): exactly as
       sent, so ``/api/v1/demands/%41`` or a bare ``?`` verify.
    2. The decoded path re-escaped as RFC 3986 requires and no more (``;``, ``=``, ``,`` … stay
       as they are; other characters as UTF-8 ``%XX``), with the query string as received: what
       HTTP libraries send, so it is the target as sent in practice, also under granian, whose
       WSGI environ keeps only the decoded path.
    3. Django's ``get_full_path()`` (escapes ``;`` and ``=`` too): the form verified before.

    Every form decodes to the path and query string this request is served for, so accepting
    any of them never lets a signature cover another request.
    """
    seen: set[str] = set()
    raw = _raw_target(request)
    query = _wsgi_text(request.META.get("QUERY_STRING", ""))
    minimal = quote(request.path, safe=_PATH_SAFE) + (f"?{query}" if query else "")
    for path in (raw, minimal):
        if path is not None and path not in seen:
            seen.add(path)
            yield path
    django_form = request.get_full_path()
    if django_form not in seen:
        yield django_form


def _nonce_insert(request) -> tuple[str, list]:
    table = ApiNonce._meta.db_table
    sql = f"INSERT INTO {table} (system_id, nonce, seen_at) VALUES (%s, %s, %s)"  # noqa: S608
    return sql, [request.system.pk, request.api_nonce, connection.ops.adapt_datetimefield_value(timezone.now())]


def _nonce_refused() -> AuthenticationFailed:
    return AuthenticationFailed("该 X-Nonce 已使用过（疑似重放请求）", code="nonce_reused")


def _record_nonce(request, statement: tuple[str, list] | None = None) -> None:
    """INSERT the request's nonce; the unique key refuses a replay. Call inside a transaction."""
    sql, params = statement or _nonce_insert(request)
    try:
        with transaction.atomic(savepoint=False), hot_cursor() as cursor:
            cursor.execute(sql, params)
    except IntegrityError as exc:
        raise _nonce_refused() from exc
    _recorded(request)


def _recorded(request) -> None:
    request.api_nonce_recorded = True
    if random.random() < 0.002:  # noqa: S311  (housekeeping sample, not security)
        _forget_nonces(timezone.now() - timedelta(seconds=2 * settings.API_SIGNATURE_WINDOW))


def _forget_nonces(cutoff) -> None:
    """Delete nonces older than ``cutoff`` (twice the signature window: replays are refused
    by the timestamp check by then). Ids grow with time, so the expired rows are the ids below
    the first one still inside the window: found by walking the primary key from its start,
    which reads only the expired rows, with no index on ``seen_at`` to write on every request.
    """
    table = ApiNonce._meta.db_table
    cutoff = connection.ops.adapt_datetimefield_value(cutoff)
    with connection.cursor() as cursor:
        oldest = f"SELECT id, seen_at FROM {table} ORDER BY id LIMIT 1"  # noqa: S608
        cursor.execute(f"SELECT id FROM ({oldest}) o WHERE o.seen_at < %s", [cutoff])  # noqa: S608
        if cursor.fetchone() is None:
            return  # nothing expired: no DELETE (it may scan the table when statistics are old)
        cursor.execute(f"SELECT id FROM {table} WHERE seen_at >= %s ORDER BY id LIMIT 1", [cutoff])  # noqa: S608
        row = cursor.fetchone()
        if row is None:
            cursor.execute(f"DELETE FROM {table} WHERE seen_at < %s", [cutoff])  # noqa: S608
        else:
            cursor.execute(f"DELETE FROM {table} WHERE id < %s", [row[0]])  # noqa: S608


def refuse_seen_nonce(request) -> None:
    """Refuse a request whose nonce is already recorded (for writes that answer without
    writing, e.g. a rating sent again: a replayed request is refused, not answered)."""
    if ApiNonce.objects.filter(system_id=request.system.pk, nonce=request.api_nonce).exists():
        raise _nonce_refused()


@contextmanager
def api_write(request, *, nonce_rides_along: bool = False):
    """The write transaction of a signed request, with its nonce recorded first.

    One transaction (and, on SQLite, one turn of the writer queue) per write instead of two,
    and a replayed request fails before it changes anything. If the block raises, the nonce
    is rolled back with the write and ``ApiNonceMiddleware`` records it after the response.

    ``nonce_rides_along`` (rating intake): on PostgreSQL the nonce INSERT travels with the
    block's first hot-path INSERT (``core.db.hot.piggyback``), one round trip less; a replay
    is then refused by that statement, after the block's checks. Only for blocks whose
    checks all precede it (the rating's are done before ``api_write``).
    """
    try:
        with transaction.atomic():
            if nonce_rides_along and connection.vendor == "postgresql":
                # The nonce rides on the block's first hot-path INSERT (core.db.hot), or is
                # inserted at the end of the block if none took it.
                take()
                piggyback(*_nonce_insert(request))
                try:
                    yield
                finally:
                    left = take()
                if left:
                    _record_nonce(request, left[0])
                else:
                    _recorded(request)
            else:
                _record_nonce(request)
                yield
    except IntegrityError as exc:
        request.api_nonce_recorded = False
        if violated_table(exc) == ApiNonce._meta.db_table:  # refused where it rode along
            raise _nonce_refused() from exc
        raise
    except BaseException:
        request.api_nonce_recorded = False
        raise


class SignedRequestWrite:
    """The write guard of a signed request, for a service that owns its transaction (the rating
    intake, ``intake.services.rating_receive``).

    ``transaction()`` is ``api_write``: the nonce is recorded in the write's own transaction
    (riding along on the first hot-path INSERT on PostgreSQL with ``nonce_rides_along``, for a
    service whose checks all precede the block). ``before_answer()`` is called when the
    service answers without writing (a resend answered with the stored rating): a replayed
    request is refused (401 ``nonce_reused``), not answered.
    """

    __slots__ = ("_nonce_rides_along", "_request")

    def __init__(self, request, *, nonce_rides_along: bool = False) -> None:
        self._request = request
        self._nonce_rides_along = nonce_rides_along

    def transaction(self):
        return api_write(self._request, nonce_rides_along=self._nonce_rides_along)

    def before_answer(self) -> None:
        refuse_seen_nonce(self._request)


class ApiNonceMiddleware:
    """Records the nonce of a signed unsafe request that did not record it in a write, and
    counts an error answer against the system that made the call (``SystemErrorDay``; only
    error answers write, so a successful request costs one comparison here)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "api_nonce", None) and not getattr(request, "api_nonce_recorded", False):
            try:
                with transaction.atomic():
                    _record_nonce(request)
            except AuthenticationFailed:
                pass  # a concurrent replay recorded it first: either way it is spent
        if response.status_code >= 400 and getattr(request, "api_system_id", None):
            _count_error(request.api_system_id, response)
        return response


def _error_code(response) -> str:
    """The ``error.code`` of an API error answer, or ``http_<status>`` if it carries none."""
    try:
        code = json.loads(response.content)["error"]["code"]
    except (ValueError, KeyError, TypeError, AttributeError):
        code = None
    return code if isinstance(code, str) and code else f"http_{response.status_code}"


def _count_error(system_id: int, response) -> None:
    try:
        system_error_count(system_id=system_id, code=_error_code(response), status=response.status_code)
    except DatabaseError:  # a statistic: never turn an answer into a 500
        logger.exception("could not count an API error of system %s", system_id)
