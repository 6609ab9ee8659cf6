"""Commercial cryptography (商用密码) primitives: SM3 hashes, HMAC-SM3, SM4-GCM encryption.

All of them come from ``cryptography`` (its bundled OpenSSL), never from hand-written code.

Ciphertext format (text, so it fits any database column)::

    sm4g1$<key id: 8 hex>$<nonce: base64url>$<ciphertext+tag: base64url>

The key id is derived from the key itself, so a rotated deployment can still read values
written under an older key listed in ``HAOCHAPING_SM4_OLD_KEYS``.
"""

from __future__ import annotations

import base64
import hmac as std_hmac
import json
import os
import re
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as c_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "sm4g1"
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(Exception):
    """A stored value could not be decrypted (wrong key, or the value was tampered with)."""


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = c_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def hmac_sm3_hex(key: bytes, data: bytes) -> str:
    return hmac_sm3(key, data).hex()


def constant_time_equal(a: str, b: str) -> bool:
    return std_hmac.compare_digest(a.encode(), b.encode())


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _parse_key(hex_key: str) -> bytes:
    try:
        key = bytes.fromhex(hex_key.strip())
    except ValueError as exc:
        raise ImproperlyConfigured("HAOCHAPING_SM4_KEY 应为 32 位十六进制字符") from exc
    if len(key) != 16:
        raise ImproperlyConfigured("HAOCHAPING_SM4_KEY 应为 32 位十六进制字符（128 位密钥）")
    return key


@cache
def _keyring() -> tuple[str, dict[str, bytes]]:
    current = _parse_key(settings.SM4_KEY)
    keys = {sm3_hex(current)[:8]: current}
    for old in settings.SM4_OLD_KEYS:
        key = _parse_key(old)
        keys.setdefault(sm3_hex(key)[:8], key)
    return sm3_hex(current)[:8], keys


def sm4_encrypt(plaintext: str, *, context: str = "") -> str:
    """SM4-GCM with a fresh nonce; ``context`` (e.g. "table.column") is bound as associated
    data, so a ciphertext copied into another column or table no longer decrypts."""
    key_id, keys = _keyring()
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(keys[key_id]), modes.GCM(nonce)).encryptor()
    if context:
        encryptor.authenticate_additional_data(context.encode())
    body = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
    return f"{PREFIX}${key_id}${_b64e(nonce)}${_b64e(body + encryptor.tag)}"


def sm4_decrypt(token: str, *, context: str = "") -> str:
    try:
        prefix, key_id, nonce_text, body_text = token.split("$")
    except ValueError as exc:
        raise DecryptionError("not an SM4 ciphertext") from exc
    if prefix != PREFIX:
        raise DecryptionError("unknown ciphertext format")
    _, keys = _keyring()
    key = keys.get(key_id)
    if key is None:
        raise DecryptionError(f"no key with id {key_id} is configured")
    raw = _b64d(body_text)
    body, tag = raw[:-TAG_BYTES], raw[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(_b64d(nonce_text), tag)).decryptor()
    if context:
        decryptor.authenticate_additional_data(context.encode())
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode("utf-8")
    except InvalidTag as exc:
        raise DecryptionError("ciphertext failed authentication") from exc


_PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")
_COUNTRY_CODES = ("+86", "0086", "86")


def normalise_phone(value: str) -> str:
    """The one spelling a phone number is indexed under: separators dropped, and a mainland
    mobile number's country code too ("+86 138-1234-5678" → "13812345678"; a landline
    "0375-1234567" → "03751234567")."""
    digits = _PHONE_SEPARATORS.sub("", value)
    for prefix in _COUNTRY_CODES:
        rest = digits[len(prefix) :]
        if digits.startswith(prefix) and len(rest) == 11 and rest.startswith("1"):
            return rest
    return digits


def blind_index(kind: str, value: str) -> str:
    """Keyed SM3 index of a normalised identity value, for equality lookups only.

    Whitespace is dropped and letters upper-cased (the ID number's final X); a phone number is
    indexed as ``normalise_phone`` spells it, so every spelling of one number finds the others.
    """
    if kind == "phone":
        value = normalise_phone(value)
    normalised = "".join(value.split()).upper()
    return hmac_sm3_hex(settings.INDEX_KEY.encode(), f"{kind}:{normalised}".encode())


def canonical_json(data: Any) -> bytes:
    """Stable JSON bytes for hashing/signing: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def sign_token(purpose: str, payload: dict[str, Any]) -> str:
    """A compact URL-safe token: base64url(payload) + "." + HMAC-SM3 (purpose-bound)."""
    body = _b64e(canonical_json(payload))
    mac = hmac_sm3(settings.SECRET_KEY.encode(), f"{purpose}:{body}".encode())
    return f"{body}.{_b64e(mac[:20])}"


_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
SHORT_MAC_BYTES = 9  # 72 bits, 12 base64url characters


def _b36(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _B36[rest] + digits
        if not number:
            return digits


def _short_mac(purpose: str, body: str) -> str:
    return _b64e(hmac_sm3(settings.SECRET_KEY.encode(), f"{purpose}:short:{body}".encode())[:SHORT_MAC_BYTES])


def sign_short(purpose: str, *numbers: int) -> str:
    """A short signed token of a few non-negative integers, for links in an SMS (where every
    character counts): ``<n1>.<n2>.<mac>``, each number in base 36, HMAC-SM3 cut to 72 bits."""
    body = ".".join(_b36(number) for number in numbers)
    return f"{body}.{_short_mac(purpose, body)}"


def unsign_short(purpose: str, token: str, *, count: int) -> tuple[int, ...] | None:
    """The ``count`` integers of a token made by ``sign_short`` for this purpose, or None."""
    parts = token.split(".")
    if len(token) > 100 or len(parts) != count + 1 or not all(re.fullmatch(r"[0-9a-z]{1,13}", p) for p in parts[:-1]):
        return None
    body = ".".join(parts[:-1])
    if not constant_time_equal(_short_mac(purpose, body), parts[-1]):
        return None
    return tuple(int(part, 36) for part in parts[:-1])


def unsign_token(purpose: str, token: str) -> dict[str, Any] | None:
    """The payload of a token made by ``sign_token`` for this purpose, or None if forged."""
    body, _, mac_text = token.partition(".")
    if not body or not mac_text:
        return None
    expected = _b64e(hmac_sm3(settings.SECRET_KEY.encode(), f"{purpose}:{body}".encode())[:20])
    if not constant_time_equal(expected, mac_text):
        return None
    try:
        data = json.loads(_b64d(body))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None
