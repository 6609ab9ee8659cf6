"""File downloads of the staff pages: attachment headers, stored uploads and Excel responses."""

from __future__ import annotations

import os
from urllib.parse import quote

from django.http import FileResponse, HttpResponse

from haochaping.core.errors import NotFound

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


def stored_file_response(attachment, *, fallback: str) -> FileResponse:
    """Stream a stored upload (a row with ``file``, ``name`` and ``content_type``: a case's or a
    common problem's evidence) after the caller's scope check; never a public media URL.
    ``fallback``: the ASCII file name without extension (the original's extension is added)."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise NotFound("附件文件已丢失，请联系系统管理员", code="attachment_file_missing") from exc
    response = FileResponse(handle, content_type=attachment.content_type)
    extension = os.path.splitext(attachment.name)[1]
    response["Content-Disposition"] = content_disposition(attachment.name, fallback=f"{fallback}{extension}")
    response["X-Content-Type-Options"] = "nosniff"
    return response
