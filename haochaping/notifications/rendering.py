"""Rendering editable message templates: ``str.format_map`` that never crashes.

Templates are data edited by administrators, so a typo (``{numbr}``), a stray brace or a
format spec that does not fit the value must not break the domain change that queues the
message. Unknown placeholders stay visible as written (``{numbr}``) so that the mistake shows
in the message and can be fixed in the template.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class _LeaveMissingVisible(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def plain_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-safe plain values: str/int/float/bool/None kept, anything else as its text.

    Plain values also mean a template cannot reach into objects (``{case.unit.parent}``).
    """
    plain: dict[str, Any] = {}
    for key, value in context.items():
        plain[str(key)] = value if value is None or isinstance(value, str | int | float | bool) else str(value)
    return plain


def render_text(text: str, context: Mapping[str, Any]) -> str:
    """``text.format_map(context)``; unknown ``{keys}`` stay as written, and nothing raises.

    Only plain ``{name}`` fields (with an optional format spec) are formatted. A template with
    attribute or index fields (``{a.b}``, ``{a[0]}``), positional fields or stray braces gets
    plain ``{name}`` substitution instead and keeps the rest as written.
    """
    values = _LeaveMissingVisible(plain_context(context))
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]
        if all(_NAME.fullmatch(field) for field in fields):
            return text.format_map(values)
    except (ValueError, IndexError, AttributeError, TypeError, KeyError):
        pass  # "{" alone, "{n:%}" on a text value...
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)


def placeholders(text: str) -> list[str]:
    """The ``{name}`` fields of a template, in order of first use (for provider template variables)."""
    names: list[str] = []
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(text) if field]
    except ValueError:
        fields = _PLACEHOLDER.findall(text)
    for field in fields:
        name = re.split(r"[.\[]", field, maxsplit=1)[0]
        if name and name not in names:
            names.append(name)
    return names
