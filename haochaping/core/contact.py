"""The number citizens are told to call, shared by the citizen pages and the error pages."""

from __future__ import annotations

import re

from django.conf import settings

DEFAULT_HALL_PHONE = "12345（政务服务便民热线）"


def hall_phone() -> str:
    """The number citizens are told to call (``PORTAL_HALL_PHONE``)."""
    return (settings.PORTAL_HALL_PHONE or "").strip() or DEFAULT_HALL_PHONE


def tel_of(phone: str) -> str:
    """The dialable part of a phone text: "0375-1234567（总机）" -> "03751234567"."""
    match = re.search(r"\+?\d[\d\- ]*", phone)
    return re.sub(r"[^\d+]", "", match.group()) if match else ""
