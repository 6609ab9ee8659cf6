"""Small presentation helpers for console templates: rates, rating levels, deadlines, flags."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from haochaping.evaluations.choices import Level
from haochaping.rectification.models import DEADLINE_STATES, OPEN_STATES

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
    """Deadline with the days left while it runs; overdue in red; once rectified, on time or not."""
    now = now or timezone.now()
    due_day = timezone.localtime(case.due_at).date()
    text = due_day.strftime("%Y-%m-%d")
    if case.state not in DEADLINE_STATES:
        if case.rectified_at is None:  # invalidated: no rectification was due
            return format_html('<span class="deadline">{}</span>', text)
        if case.rectified_at <= case.due_at:
            return format_html('<span class="deadline on-time">{}<small>按期整改</small></span>', text)
        return format_html('<span class="deadline late">{}<small>逾期整改</small></span>', text)
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


@register.simple_tag
def case_flags(case, now=None):
    """The supervision marks of a case: 预警 (warned by the deadline watch), 逾期, 督办."""
    now = now or timezone.now()
    flags = []
    running = case.state in DEADLINE_STATES
    if running and case.due_at < now:
        flags.append(("overdue", "超过整改期限仍未整改", "逾期"))
    elif running and case.warned_at is not None:
        flags.append(("warned", "整改期限即将到期", "预警"))
    if case.escalated_at is not None:
        to = case.escalated_to.name if case.escalated_to_id else ""
        flags.append(("escalated", f"{timezone.localtime(case.escalated_at):%Y-%m-%d} 督办至{to}", "督办"))
    return format_html_join("", '<span class="flag flag-{}" title="{}">{}</span>', flags)


@register.filter
def state_badge(case):
    css = "open" if case.state in OPEN_STATES else "done"
    return format_html('<span class="state state-{} state-{}">{}</span>', css, case.state, case.get_state_display())


@register.filter
def attr(obj, name: str):
    """``row|attr:"bad"``: a named attribute, for tables whose columns are data."""
    return getattr(obj, name, None)
