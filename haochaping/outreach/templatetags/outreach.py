"""Presentation helpers of the outreach pages: time limits, due times, status and outcome badges."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from haochaping.outreach.choices import DEMAND_FINAL, DEMAND_RUNNING, TaskKind, TaskStatus

register = template.Library()

WARN_DAYS = 1


@register.simple_tag
def demand_deadline(demand, now=None):
    """The time limit with the days left while it runs; once answered: on time or late."""
    now = now or timezone.now()
    due_day = timezone.localtime(demand.due_at).date()
    text = due_day.strftime("%Y-%m-%d")
    if demand.state not in DEMAND_RUNNING:
        if demand.replied_at is None:
            return format_html('<span class="deadline">{}</span>', text)
        if demand.replied_at <= demand.due_at:
            return format_html('<span class="deadline on-time">{}<small>按期答复</small></span>', text)
        return format_html('<span class="deadline late">{}<small>逾期答复</small></span>', text)
    days = (due_day - timezone.localtime(now).date()).days
    if demand.due_at < now:
        overdue = max(-days, 0)
        return format_html(
            '<span class="deadline overdue">{}<small>{}</small></span>',
            text,
            f"已逾期 {overdue} 天" if overdue else "已逾期",
        )
    if days == 0:
        return format_html('<span class="deadline due-soon">{}<small>今日到期</small></span>', text)
    css = "due-soon" if days <= WARN_DAYS else "on-time"
    return format_html('<span class="deadline {}">{}<small>剩余 {} 天</small></span>', css, text, days)


@register.simple_tag
def demand_flags(demand, now=None):
    now = now or timezone.now()
    flags = []
    running = demand.state in DEMAND_RUNNING
    if running and demand.due_at < now:
        flags.append(("overdue", "超过答复期限仍未答复", "逾期"))
    elif running and demand.warned_at is not None:
        flags.append(("warned", "答复期限即将到期", "预警"))
    if demand.escalated_at is not None:
        to = demand.escalated_to.name if demand.escalated_to_id else ""
        flags.append(("escalated", f"{timezone.localtime(demand.escalated_at):%Y-%m-%d} 督办至{to}", "督办"))
    if demand.category_id and demand.category.is_complaint:
        flags.append(("complaint", "投诉类诉求，答复后回访", "投诉"))
    return format_html_join("", '<span class="flag flag-{}" title="{}">{}</span>', flags)


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
    short = {
        TaskKind.CALLBACK_BAD_RATING: "差评回访",
        TaskKind.INVITATION_UNRATED: "邀评",
        TaskKind.CALLBACK_COMPLAINT: "投诉回访",
    }
    return format_html(
        '<span class="kind kind-{}">{}</span>', KIND_CSS[TaskKind(task.kind)], short[TaskKind(task.kind)]
    )


@register.filter
def subject_label(task):
    """What the call is about, in a few words: 工单号 / 事项 / 受理编号."""
    if task.kind == TaskKind.CALLBACK_BAD_RATING:
        return f"{task.case.number} · {task.case.evaluation.record.item.name}"
    if task.kind == TaskKind.CALLBACK_COMPLAINT:
        return task.demand.number
    return f"{task.record.project_no} · {task.record.item.name}"


@register.filter
def get_item(mapping, key):
    """``labels|get_item:key``: a dict lookup with a variable key."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def demand_state_label(value: str) -> str:
    from haochaping.outreach.choices import DemandState

    try:
        return DemandState(value).label
    except ValueError:
        return value


@register.simple_tag
def report_cell(report, row, key, is_rate):
    """One figure of a report table: a count (zeros greyed) or a rate ("—" without a denominator)."""
    value = report.cell(row, key)
    if is_rate:
        return format_html('<td class="num">{}</td>', "—" if value is None else f"{value * 100:.1f}%")
    return format_html('<td class="num{}">{}</td>', "" if value else " num-zero", value)
