"""HTML badges shared by the case and demand pages: a deadline with the days left, supervision flags."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def deadline_badge(
    due_at: dt.datetime,
    *,
    running: bool,
    finished_at: dt.datetime | None,
    done_word: str,
    now: dt.datetime | None = None,
    warn_days: int = 3,
) -> SafeString:
    """The due date; while the deadline runs, the days left (overdue in red, ``warn_days`` ahead
    amber); once finished, ``按期{done_word}`` or ``逾期{done_word}`` (整改, 答复); nothing was due
    when it stopped without being finished (an invalidated rating)."""
    now = now or timezone.now()
    due_day = timezone.localtime(due_at).date()
    text = due_day.strftime("%Y-%m-%d")
    if not running:
        if finished_at is None:
            return format_html('<span class="deadline">{}</span>', text)
        if finished_at <= due_at:
            return format_html('<span class="deadline on-time">{}<small>按期{}</small></span>', text, done_word)
        return format_html('<span class="deadline late">{}<small>逾期{}</small></span>', text, done_word)
    days = (due_day - timezone.localtime(now).date()).days
    if due_at < now:
        overdue = max(-days, 0)
        note = f"已逾期 {overdue} 天" if overdue else "已逾期"
        css = "overdue"
    elif days == 0:
        note, css = "今日到期", "due-soon"
    else:
        note, css = f"剩余 {days} 天", "due-soon" if days <= warn_days else "on-time"
    return format_html('<span class="deadline {}">{}<small>{}</small></span>', css, text, note)


def flags_html(flags: Iterable[tuple[str, str, str]]) -> SafeString:
    """``(css, title, label)`` triples as the small coloured flags of a queue row."""
    return format_html_join("", '<span class="flag flag-{}" title="{}">{}</span>', flags)


def supervision_flags(
    *, running: bool, due_at: dt.datetime, warned_at, escalated_at, escalated_to, what: str, now=None
) -> list[tuple[str, str, str]]:
    """预警 / 逾期 / 督办 of an item with a deadline (``what``: 整改 or 答复)."""
    now = now or timezone.now()
    flags = []
    if running and due_at < now:
        flags.append(("overdue", f"超过{what}期限仍未{what}", "逾期"))
    elif running and warned_at is not None:
        flags.append(("warned", f"{what}期限即将到期", "预警"))
    if escalated_at is not None:
        to = escalated_to.name if escalated_to is not None else ""
        flags.append(("escalated", f"{timezone.localtime(escalated_at):%Y-%m-%d} 督办至{to}", "督办"))
    return flags
