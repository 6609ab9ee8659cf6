"""Small presentation helpers for console templates: rates, rating levels, deadlines."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from haochaping.evaluations.choices import Level
from haochaping.rectification.models import OPEN_STATES

register = template.Library()

WARN_DAYS = 3  # deadline highlighted as 即将到期 this many days ahead


@register.filter
def percent(value) -> str:
    """0.8734 → "87.3%"; no denominator → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def level_badge(evaluation_or_level):
    """A coloured badge for a rating level (5 非常满意 … 1 非常不满意; 1–2 red)."""
    level = getattr(evaluation_or_level, "level", evaluation_or_level)
    if level in (None, ""):
        return mark_safe('<span class="muted">未评</span>')
    return format_html('<span class="level level-{}">{}</span>', level, Level(level).label)


@register.simple_tag
def deadline(case, now=None):
    """Deadline with the days left; overdue open cases in red."""
    now = now or timezone.now()
    due_day = timezone.localtime(case.due_at).date()
    text = due_day.strftime("%Y-%m-%d")
    if case.state not in OPEN_STATES:
        return format_html('<span class="deadline">{}</span>', text)
    days = (due_day - timezone.localtime(now).date()).days
    if case.due_at < now:
        overdue = max(-days, 0)
        note = f"已逾期 {overdue} 天" if overdue else "已逾期"
        css = "overdue"
    elif days == 0:
        note, css = "今日到期", "due-soon"
    else:
        note, css = f"剩余 {days} 天", "due-soon" if days <= WARN_DAYS else "on-time"
    return format_html('<span class="deadline {}">{}<small>{}</small></span>', css, text, note)


@register.filter
def state_badge(case):
    css = "open" if case.state in OPEN_STATES else "done"
    return format_html('<span class="state state-{} state-{}">{}</span>', css, case.state, case.get_state_display())
