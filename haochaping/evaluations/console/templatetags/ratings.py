"""Template helpers of rating pages: the level badge (5 非常满意 … 1 非常不满意; 1–2 red)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from haochaping.evaluations.choices import Level

register = template.Library()


@register.filter
def level_badge(evaluation_or_level):
    """A coloured badge for a rating level (5 非常满意 … 1 非常不满意; 1–2 red)."""
    level = getattr(evaluation_or_level, "level", evaluation_or_level)
    if level in (None, ""):
        return mark_safe('<span class="muted">未评</span>')
    return format_html('<span class="level level-{}">{}</span>', level, Level(level).label)
