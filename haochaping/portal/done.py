""" "This browser just submitted it": a short-lived signed cookie that lets the thank-you page of a
rating or a demand show what was just stored, and nothing to anyone else.

The cookie holds a small signed JSON value (ids, the demand's query code), is limited to its
pages' path, HTTP-only, SameSite=Lax and expires after an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class DoneStamp:
    name: str
    salt: str
    path: str
    max_age: int = 3600

    def set(self, response: HttpResponse, value: Any) -> None:
        response.set_signed_cookie(
            self.name,
            signing.dumps(value),
            salt=self.salt,
            max_age=self.max_age,
            path=self.path,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )

    def get(self, request: HttpRequest) -> Any | None:
        """The value this browser was given, or None (none, expired, tampered with)."""
        raw = request.get_signed_cookie(self.name, default=None, salt=self.salt, max_age=self.max_age)
        try:
            return signing.loads(raw) if raw else None
        except signing.BadSignature:
            return None
