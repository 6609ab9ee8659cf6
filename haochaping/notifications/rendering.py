"""Rendering editable message templates: ``str.format_map`` that never crashes.

Templates are data edited by administrators, so a typo (``{numbr}``), a stray brace or a
format spec that does not fit the value must not break the domain change that queues the
message. Unknown placeholders stay visible as written (``{numbr}``) so that the mistake shows
in the message and can be fixed in the template.

Punctuation: a placeholder is often followed by the template's own punctuation
(``已办理：{text}。详见…``) while the value is staff text that already ends a sentence
(``感谢您的监督！``). Where a placeholder is followed directly by punctuation and its value ends
in punctuation, one mark is kept: the value's when it ends a sentence (。！？…; the template's
mark is dropped: ``感谢您的监督！详见…``, never ``感谢您的监督！。详见…``), the template's when
the value only ends a clause (，、；：). This holds for every template, shipped or edited.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Marks that end a sentence, and marks that end a clause (Chinese and Western; "…" as well).
_SENTENCE_END = "。！？….!?"
_CLAUSE_END = "，、；：,;:"
_ENDING = _SENTENCE_END + _CLAUSE_END
# A plain placeholder (not an escaped "{{name}}") followed directly by one such mark.
_BEFORE_MARK = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}([" + re.escape(_ENDING) + r"])")


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


def _drop_doubled_marks(text: str, values: dict[str, Any]) -> str:
    """One mark where a placeholder whose value ends in a mark is followed by the template's:
    the value's when it ends a sentence (``监督！``), the template's when the value only ends a
    clause (``见附件；`` before ``。`` reads ``见附件。``). Trailing spaces of the value go too."""

    def keep_one(match: re.Match) -> str:
        name = match.group(1)
        value = values.get(name) if name in values else None
        if not isinstance(value, str) or not value.rstrip().endswith(tuple(_ENDING)):
            return match.group(0)
        value = value.rstrip()
        if value.endswith(tuple(_SENTENCE_END)):
            values[name] = value
            return "{" + name + "}"
        values[name] = value.rstrip(_CLAUSE_END).rstrip() or value
        return match.group(0)

    return _BEFORE_MARK.sub(keep_one, text)


def names_before_marks(text: str) -> set[str]:
    """The placeholders followed directly by punctuation in ``text``."""
    return {match.group(1) for match in _BEFORE_MARK.finditer(text)}


def without_end_mark(value: str) -> str:
    """``value`` without its trailing punctuation: for a provider-side template that follows the
    variable with its own mark (``${text}。``) and which our rendering cannot adjust."""
    return value.rstrip().rstrip(_ENDING).rstrip() or value


def render_text(text: str, context: Mapping[str, Any]) -> str:
    """``text.format_map(context)``; unknown ``{keys}`` stay as written, and nothing raises.

    Only plain ``{name}`` fields (with an optional format spec) are formatted. A template with
    attribute or index fields (``{a.b}``, ``{a[0]}``), positional fields or stray braces gets
    plain ``{name}`` substitution instead and keeps the rest as written. A mark after a
    placeholder whose value already ends in one is dropped (see the module docstring).
    """
    values = _LeaveMissingVisible(plain_context(context))
    text = _drop_doubled_marks(text, values)
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
