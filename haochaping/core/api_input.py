"""Input no database can store: the NUL character (U+0000).

PostgreSQL refuses NUL in text (``DataError``), so a JSON string with ``\\u0000`` or a query
parameter with ``%00`` would end in a 500 there (and be stored on SQLite). The API refuses it
up front as a 422 naming the field, on both databases. The check is a substring search of the
body; the body is parsed (to name the fields) only when it finds an escape.
"""

from __future__ import annotations

import json
import re
from typing import Any

from haochaping.core.errors import ValidationFailed

NUL_MESSAGE = "不能包含空字符（U+0000）"
_ESCAPE = re.compile(rb"(\\+)u0000")


def _nul_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path or "__all__"] if "\x00" in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            found += [child] if "\x00" in str(key) else _nul_paths(item, child)
        return found
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _nul_paths(item, f"{path}.{i}" if path else str(i))]
    return []


def refuse_nul(request) -> None:
    """422 ``validation_error`` when a query parameter or a JSON string carries U+0000."""
    fields: dict[str, list[str]] = {}
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            fields[key.replace("\x00", "") or "__all__"] = [NUL_MESSAGE]
    body = request.body
    # An escape is a backslash run of odd length before "u0000" ("\\u0000" is a backslash and text).
    if body and any(len(m.group(1)) % 2 for m in _ESCAPE.finditer(body)):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None  # not JSON: the parser answers 400 for it
        for path in _nul_paths(parsed, ""):
            fields[path] = [NUL_MESSAGE]
    if fields:
        raise ValidationFailed(fields=fields)
