"""Template filters every staff page may use: rates and data-driven table cells."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.8734 → "87.3%"; no denominator → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def attr(obj, name: str):
    """``row|attr:"bad"``: a named attribute, for tables whose columns are data."""
    return getattr(obj, name, None)


@register.filter
def get_item(mapping, key):
    """``labels|get_item:key``: a dict lookup with a variable key."""
    return mapping.get(key) if hasattr(mapping, "get") else None
