"""Presentation helpers of the outreach pages: time limits, due times, status and outcome badges."""

from __future__ import annotations

import html

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from haochaping.core.pages.badges import deadline_badge, flags_html, supervision_flags
from haochaping.outreach.choices import (
    DEMAND_FINAL,
    DEMAND_RUNNING,
    TASK_KIND_SHORT,
    DemandState,
    TaskKind,
    TaskStatus,
    outcome_label,
)

register = template.Library()

WARN_DAYS = 1  # a reply deadline is highlighted as 即将到期 this many days ahead


@register.simple_tag
def demand_deadline(demand, now=None):
    """The time limit with the days left while it runs; once answered: on time or late."""
    return deadline_badge(
        demand.due_at,
        running=demand.state in DEMAND_RUNNING,
        finished_at=demand.replied_at,
        done_word="答复",
        now=now,
        warn_days=WARN_DAYS,
    )


@register.simple_tag
def demand_flags(demand, now=None):
    """预警 / 逾期 / 督办 of the reply deadline, and 投诉 (a complaint is called back once answered)."""
    flags = supervision_flags(
        running=demand.state in DEMAND_RUNNING,
        due_at=demand.due_at,
        warned_at=demand.warned_at,
        escalated_at=demand.escalated_at,
        escalated_to=demand.escalated_to if demand.escalated_to_id else None,
        what="答复",
        now=now,
    )
    if demand.is_complaint:
        flags.append(("complaint", "投诉类诉求，答复后回访", "投诉"))
    return flags_html(flags)


@register.filter
def demand_state(demand):
    css = "done" if demand.state in DEMAND_FINAL else "open"
    return format_html('<span class="state state-{} state-{}">{}</span>', css, demand.state, demand.get_state_display())


@register.simple_tag
def task_due(task, now=None):
    """When to call: 已到期 / 今天 HH:MM / a later date."""
    now = now or timezone.now()
    local = timezone.localtime(task.due_at)
    if task.status != TaskStatus.OPEN:
        return format_html('<span class="muted">{}</span>', f"{local:%Y-%m-%d %H:%M}")
    if task.due_at <= now:
        late = timezone.localtime(now).date() > local.date()
        return format_html(
            '<span class="deadline {}">{}<small>{}</small></span>',
            "overdue" if late else "due-soon",
            f"{local:%m-%d %H:%M}",
            "往日遗留" if late else "已到拨打时间",
        )
    return format_html('<span class="deadline on-time">{}<small>待拨打</small></span>', f"{local:%m-%d %H:%M}")


@register.filter
def task_status(task):
    css = "open" if task.status == TaskStatus.OPEN else ("done" if task.status == TaskStatus.DONE else "closed")
    return format_html('<span class="state state-{}">{}</span>', css, task.get_status_display())


KIND_CSS = {
    TaskKind.CALLBACK_BAD_RATING: "callback",
    TaskKind.INVITATION_UNRATED: "invitation",
    TaskKind.CALLBACK_COMPLAINT: "complaint",
}


@register.filter
def kind_badge(task):
    kind = TaskKind(task.kind)
    return format_html('<span class="kind kind-{}">{}</span>', KIND_CSS[kind], TASK_KIND_SHORT[kind])


@register.filter
def subject_label(task):
    """What the call is about, in a few words: 工单号 / 事项 / 受理编号."""
    if task.kind == TaskKind.CALLBACK_BAD_RATING:
        return f"{task.case.number} · {task.case.evaluation.record.item.name}"
    if task.kind == TaskKind.CALLBACK_COMPLAINT:
        return task.demand.number
    return f"{task.record.project_no} · {task.record.item.name}"


@register.filter
def demand_state_label(value: str) -> str:
    try:
        return DemandState(value).label
    except ValueError:
        return value


@register.simple_tag
def report_cells(report, row):
    """The figures of one row of a report table: a count (zeros greyed) or a rate ("—" without a
    denominator) per column, in one call (a city's table has 300 units × 30 columns: a template
    tag per cell was most of the page's time)."""
    cells = []
    for _title, key, is_rate in report.columns:
        value = report.cell(row, key)
        if is_rate:
            cells.append('<td class="num">{}</td>'.format("—" if value is None else f"{value * 100:.1f}%"))
        else:
            cells.append(f'<td class="num{"" if value else " num-zero"}">{html.escape(str(value))}</td>')
    return mark_safe("".join(cells))  # noqa: S308 (numbers, escaped)


@register.filter(name="outcome_label")
def outcome_label_filter(outcome: str, kind: str) -> str:
    """``{{ call.outcome|outcome_label:task.kind }}``: the outcome as this list words it."""
    return outcome_label(outcome, kind)
