"""Call-list pages: the operator workbench (today's list, 下一个), all tasks, one task with its
script, call form, SMS invitation and the audited "拨打/显示号码".

Operators and supervisors work the lists; department admins and auditors may read their
scope's tasks (masked, no actions); window staff see nothing. The services decide again.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.core.errors import Conflict, ValidationFailed
from haochaping.core.pages.forms import add_service_errors
from haochaping.core.pages.paging import page_of
from haochaping.organizations.models import Role
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope, caller_for_user, membership_for, unit_list
from haochaping.outreach.choices import TASK_KIND_SHORT, WORK_ORDER, TaskKind, TaskStatus, outcome_label
from haochaping.outreach.console.forms import (
    AssignTaskForm,
    CallForm,
    TaskFilterForm,
)
from haochaping.outreach.models import CallTask
from haochaping.outreach.scripts import GENERAL_RULES, operator_intro, script_for
from haochaping.outreach.selectors import (
    call_operators,
    require_reader,
    task_counts,
    task_get_for,
    task_list,
    task_subject,
    workbench_list,
)
from haochaping.outreach.services.calls import (
    CALL_ROLES,
    CallInput,
    call_lists_generate_now,
    call_record,
    call_send_rating_sms,
    call_task_assign,
    call_task_claim_next,
    call_task_reveal_contact,
)


def _kind(value: str | None) -> str | None:
    return value if value in TaskKind.values else None


@console_page
@require_http_methods(["GET", "POST"])
def workbench(request, scope: Scope):
    require_reader(scope)
    if request.method == "POST":
        return _workbench_action(request)
    now = timezone.now()
    kind = _kind(request.GET.get("kind"))
    counts = task_counts(scope=scope, now=now, user=request.user)
    tabs = [("", "全部", counts["today"])] + [(k.value, TASK_KIND_SHORT[k], counts[k.value]) for k in WORK_ORDER]
    context = {
        "nav": "outreach_workbench",
        "now": now,
        "kind": kind or "",
        "tabs": tabs,
        "counts": counts,
        "page_obj": page_of(request, workbench_list(scope=scope, now=now, kind=kind)),
        "can_call": scope.role in CALL_ROLES,
    }
    return render(request, "outreach/workbench.html", context)


def _workbench_action(request):
    caller = caller_for_user(request.user)
    here = reverse("console:outreach_workbench")
    match request.POST.get("action"):
        case "next":
            kind = _kind(request.POST.get("kind"))
            task = call_task_claim_next(caller=caller, kind=kind)
            if task is not None:
                return redirect("console:outreach_task_detail", pk=task.pk)
            messages.info(request, "当前没有到期的待拨打任务。")
            return redirect(f"{here}?kind={kind}" if kind else here)
        case "generate":
            result = call_lists_generate_now(caller=caller)
            parts = [f"{TASK_KIND_SHORT[TaskKind(k)]} {n} 条" for k, n in result.created.items() if n]
            text = "、".join(parts) if parts else "没有新的任务"
            extra = f"；{result.do_not_call} 条因号码要求勿扰直接关闭" if result.do_not_call else ""
            closed = f"；{result.closed} 条已在别处办结的任务自动关闭" if result.closed else ""
            messages.success(request, f"已更新回访/邀评清单：新增{text}{extra}{closed}。")
            return redirect(here)
    messages.error(request, "未知的操作，请刷新页面后重试。")
    return redirect(here)


@console_page
@require_GET
def task_list_view(request, scope: Scope):
    require_reader(scope)
    form, tasks = _filtered_tasks(request, scope)
    context = {
        "nav": "outreach_tasks",
        "form": form,
        "page_obj": page_of(request, tasks),
        "now": timezone.now(),
    }
    return render(request, "outreach/tasks.html", context)


def _filtered_tasks(request, scope: Scope) -> tuple[TaskFilterForm, QuerySet[CallTask]]:
    """The filter bar and the tasks it selects, as the list shows them."""
    form = TaskFilterForm(request.GET, units=list(unit_list(scope=scope)))
    filters = form.values()
    tasks = task_list(
        scope=scope,
        kind=filters.get("kind"),
        status=filters.get("status"),
        unit_code=filters.get("unit"),
        assigned_to_id=request.user.pk if filters.get("mine") else None,
        paged=True,
    )
    return form, tasks


# --- one task ------------------------------------------------------------------------------------


@console_page
@require_http_methods(["GET", "POST"])
def task_detail(request, scope: Scope, pk: int):
    require_reader(scope)
    task = task_get_for(scope=scope, pk=pk)  # NotFound (404) before anything else
    call_form = CallForm(kind=task.kind)
    revealed = None
    status = 200
    if request.method == "POST":
        outcome = _task_action(request, task)
        if isinstance(outcome, CallForm):
            call_form, status = outcome, 422
        elif isinstance(outcome, str):
            revealed = outcome
        else:
            return outcome
    subject = task_subject(task)
    can_call = scope.role in CALL_ROLES and task.is_open
    context = {
        "nav": "outreach_workbench",
        "task": task,
        "subject": subject.info,
        "script": script_for(task.kind, {**subject.values, "operator": _introduce(request.user, task.kind)}),
        "rules": GENERAL_RULES,
        "calls": list(task.calls.all()),
        "call_form": call_form,
        "can_call": can_call,
        "can_reveal": can_call,
        "revealed": revealed,
        "assign_form": AssignTaskForm(operators=call_operators(scope=scope), initial={"operator": task.assigned_to_id})
        if scope.role == Role.SUPERVISOR and task.is_open
        else None,
        "claimed_by_other": task.held_by_other(request.user.pk, timezone.now()),
        "is_invitation": task.kind == TaskKind.INVITATION_UNRATED,
        "now": timezone.now(),
    }
    response = render(request, "outreach/task_detail.html", context, status=status)
    return response


def _task_action(request, task):
    """Run one posted action: a redirect, the bound call form with errors, or a revealed phone."""
    caller = caller_for_user(request.user)
    here = reverse("console:outreach_task_detail", args=[task.pk])
    action = request.POST.get("action", "")
    try:
        match action:
            case "reveal":
                return call_task_reveal_contact(caller=caller, task_id=task.pk)  # PermissionDenied → 403
            case "call":
                form = CallForm(request.POST, kind=task.kind)
                if not form.is_valid():
                    return form
                data = CallInput(
                    outcome=form.cleaned_data["outcome"],
                    notes=form.cleaned_data.get("notes") or "",
                    satisfaction=form.cleaned_data.get("satisfaction") or "",
                    next_attempt_at=form.cleaned_data.get("next_attempt_at"),
                    level=form.cleaned_data.get("level"),
                    rating_text=form.cleaned_data.get("rating_text") or "",
                )
                try:
                    record = call_record(caller=caller, task_id=task.pk, data=data)
                except ValidationFailed as exc:
                    add_service_errors(form, exc)
                    return form
                task.refresh_from_db()
                messages.success(request, _saved_message(task, record))
                if request.POST.get("then") == "next":
                    following = call_task_claim_next(caller=caller)
                    if following is not None:
                        return redirect("console:outreach_task_detail", pk=following.pk)
                    messages.info(request, "当前没有更多到期的待拨打任务。")
                    return redirect("console:outreach_workbench")
                return redirect(here)
            case "sms":
                call_send_rating_sms(caller=caller, task_id=task.pk)
                messages.success(request, "评价短信已加入发送队列（含本次服务的专属评价链接），本任务已完成。")
                return redirect(here)
            case "assign":
                form = AssignTaskForm(request.POST, operators=call_operators(scope=caller.scope))
                if form.is_valid():
                    call_task_assign(caller=caller, task_id=task.pk, operator_id=form.cleaned_data["operator"])
                    messages.success(request, "已更新指定回访员。")
                else:
                    messages.error(request, "请选择有效的回访员。")
                return redirect(here)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(here)
    except ValidationFailed as exc:
        messages.error(request, exc.message + "：" + "；".join(p for ps in exc.fields.values() for p in ps))
        return redirect(here)
    messages.error(request, "未知的操作，请刷新页面后重试。")
    return redirect(here)


def _introduce(user, kind: str) -> str:
    """The operator as the script introduces them: 工号 of their staff record, else their name."""
    membership = membership_for(user)
    staff = membership.staff if membership is not None else None
    if staff is not None:
        return operator_intro(kind, staff_no=staff.staff_no, name=staff.name)
    return operator_intro(kind, name=user.get_full_name())


def _saved_message(task, record) -> str:
    if task.status == TaskStatus.OPEN:
        return (
            f"已记录第 {record.attempt} 次拨打（{outcome_label(record.outcome, task.kind)}），"
            f"下次拨打：{timezone.localtime(task.due_at):%m-%d %H:%M}。"
        )
    text = f"已记录：{outcome_label(record.outcome, task.kind)}，任务{task.get_status_display()}。"
    if task.kind == TaskKind.CALLBACK_BAD_RATING and record.satisfaction:
        text += " 工单已退回整改中。" if record.satisfaction == "unsatisfied" else " 工单已办结。"
    if record.evaluation_id:
        text += " 群众的电话评价已保存（渠道：电话）。"
    return text
