"""Case attachments: checked by size, extension and content, stored outside the database.

Files go to the default storage under ``MEDIA_ROOT/cases/`` (never served publicly: the console
streams them after the same scope check as the case). Each carries an SM3 digest, recorded in
the audit event of the step that attached it, so a swapped file is detectable.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TypeVar

from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models

from haochaping.rectification.models import CaseAction, CaseAttachment, RectificationCase

M = TypeVar("M", bound=models.Model)

# extension -> (content type, accepted leading bytes); None accepts any content (plain text).
ALLOWED: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".mp3": ("audio/mpeg", (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
    ".m4a": ("audio/mp4", None),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    ".xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    ".txt": ("text/plain", None),
}
MAX_FILES = 10


def file_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an attachment's file name ("", ".", "..", a bare path), or None."""
    if os.path.basename(name) in {"", ".", ".."}:
        return "文件名无效：请提供含扩展名的文件名（如 整改照片.jpg）"
    return None


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def attachments_validate(files: Sequence[UploadedFile]) -> dict[str, list[str]]:
    """Per-file problems in Chinese, keyed "files"; empty when all files are acceptable."""
    problems: list[str] = []
    if len(files) > MAX_FILES:
        problems.append(f"一次最多上传 {MAX_FILES} 个文件")
    limit = settings.CASE_ATTACHMENT_MAX_BYTES
    for upload in files:
        name = os.path.basename(upload.name or "")
        kind = ALLOWED.get(_extension(name))
        if kind is None:
            problems.append(f"{name}：不支持的文件类型（允许 {', '.join(sorted(ALLOWED))}）")
            continue
        if upload.size > limit:
            problems.append(f"{name}：文件过大（上限 {limit // (1024 * 1024)} MB）")
            continue
        magic = kind[1]
        if magic is not None:
            upload.seek(0)
            head = upload.read(16)
            upload.seek(0)
            if not any(head.startswith(m) for m in magic):
                problems.append(f"{name}：文件内容与扩展名不符")
    return {"files": problems} if problems else {}


def _sm3(upload: UploadedFile) -> str:
    digest = hashes.Hash(hashes.SM3())
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.finalize().hex()


def uploads_store(model: type[M], *, prefix: str, files: Sequence[UploadedFile], user, **owner) -> list[M]:
    """Save validated uploads as rows of an attachment ``model`` (its ``file``, ``name``, ``size``,
    ``content_type``, ``sm3``, ``uploaded_by`` and the ``owner`` fields: a case's or a common
    problem's, and the timeline step's); call inside the step's transaction. The stored name is
    ``prefix`` and the digest, random to a reader; the original name is kept in the row only."""
    stored = []
    for upload in files:
        name = os.path.basename(upload.name or "")[:200]
        extension = _extension(name)
        attachment = model(name=name, size=upload.size or 0, content_type=ALLOWED[extension][0],
                           sm3=_sm3(upload), uploaded_by=user, **owner)  # fmt: skip
        attachment.file.save(f"{prefix}-{attachment.sm3[:16]}{extension}", upload, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def attachment_store(*, case: RectificationCase, action: CaseAction, files: Sequence[UploadedFile],
                     user) -> list[CaseAttachment]:  # fmt: skip
    """Save validated uploads for one step of a case (call inside the step's transaction)."""
    return uploads_store(CaseAttachment, prefix=case.number, files=files, user=user, case=case, action=action)
