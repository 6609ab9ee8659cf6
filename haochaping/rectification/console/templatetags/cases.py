"""Template helpers of case pages: the deadline, the supervision flags and the state badge."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from haochaping.core.pages.badges import deadline_badge, flags_html, supervision_flags
from haochaping.rectification.models import DEADLINE_STATES, OPEN_STATES

register = template.Library()

WARN_DAYS = 3  # deadline highlighted as 即将到期 this many days ahead


@register.simple_tag
def deadline(case, now=None):
    """Deadline with the days left while it runs; overdue in red; once rectified, on time or not."""
    running = case.state in DEADLINE_STATES
    return deadline_badge(
        case.due_at, running=running, finished_at=case.rectified_at, done_word="整改", now=now, warn_days=WARN_DAYS
    )


@register.simple_tag
def case_flags(case, now=None):
    """The supervision marks of a case: 预警 (warned by the deadline watch), 逾期, 督办."""
    return flags_html(
        supervision_flags(
            running=case.state in DEADLINE_STATES,
            due_at=case.due_at,
            warned_at=case.warned_at,
            escalated_at=case.escalated_at,
            escalated_to=case.escalated_to if case.escalated_to_id else None,
            what="整改",
            now=now,
        )
    )


@register.filter
def state_badge(case):
    css = "open" if case.state in OPEN_STATES else "done"
    return format_html('<span class="state state-{} state-{}">{}</span>', css, case.state, case.get_state_display())
