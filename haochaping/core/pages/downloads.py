"""File downloads of the staff pages: attachment headers and Excel responses."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def content_disposition(filename: str, *, fallback: str) -> str:
    """``attachment`` with the real (Chinese) name per RFC 5987/6266 and an ASCII fallback.

    Browsers that understand ``filename*`` (all current ones) save under the Chinese name;
    the plain ``filename`` is for older clients and must itself be plain ASCII.
    """
    safe_fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_" for ch in fallback)
    return f"attachment; filename=\"{safe_fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def xlsx_response(content: bytes, *, filename: str, fallback: str) -> HttpResponse:
    """An Excel workbook as a download under its Chinese name (never sniffed as something else)."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition(filename, fallback=fallback)
    response["X-Content-Type-Options"] = "nosniff"
    return response
