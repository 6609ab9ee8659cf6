"""共性问题 pages (``/console/problems/``, 制度第十一条): proposals (线索) to decide, the common
problems with their 双归零 status, and a problem's page.

* Supervisors, department admins (their subtree) and auditors read; clerks and 回访员 get 403.
* Supervisors detect now (立即检测), accept a proposal (opens the problem) or dismiss it, close or
  return a problem. The responsible unit's admins (and supervisors) record the root cause and
  plan, upload evidence and report the problem analysed and rectified.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haochaping.audit.services import Actor
from haochaping.core.errors import ApplicationError
from haochaping.core.pages.downloads import stored_file_response
from haochaping.core.pages.filters import DateInput, GetFilterForm, unit_choices
from haochaping.core.pages.forms import FastSelect
from haochaping.core.pages.paging import page_of
from haochaping.insight.problems.detection import problems_detect
from haochaping.insight.problems.models import ProblemAction, ProblemKind, ProblemState, ProposalState
from haochaping.insight.problems.selectors import (
    double_zero,
    may_decide,
    may_handle,
    problem_attachment_get_for,
    problem_cases,
    problem_demands,
    problem_get_for,
    problem_list,
    proposal_get_for,
    proposal_list,
    proposal_members,
    require_decide,
    require_view,
)
from haochaping.insight.problems.services import (
    AcceptInput,
    StepInput,
    problem_analysis_save,
    problem_deadline,
    problem_evidence_add,
    problem_transition,
    proposal_accept,
    proposal_dismiss,
)
from haochaping.insight.problems.workflow import Action, Event, allowed_actions
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope, caller_for_user, unit_list

LABELS = {**dict(Action.choices), **dict(Event.choices)}


class ProblemFilterForm(GetFilterForm):
    state = forms.ChoiceField(label="状态", required=False)
    kind = forms.ChoiceField(label="类型", required=False)
    unit = forms.ChoiceField(label="责任单位", required=False, widget=FastSelect)
    double_zero = forms.ChoiceField(
        label="双归零", required=False, choices=[("", "全部"), ("yes", "已双归零"), ("no", "未双归零")]
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", "全部状态"), *ProblemState.choices]
        self.fields["kind"].choices = [("", "全部类型"), *ProblemKind.choices]
        self.fields["unit"].choices = unit_choices(units)


class ProposalFilterForm(GetFilterForm):
    state = forms.ChoiceField(label="状态", required=False)
    kind = forms.ChoiceField(label="类型", required=False)
    unit = forms.ChoiceField(label="单位", required=False, widget=FastSelect)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", "全部状态"), *ProposalState.choices]
        self.fields["kind"].choices = [("", "全部类型"), *ProblemKind.choices]
        self.fields["unit"].choices = unit_choices(units)


class AcceptForm(forms.Form):
    title = forms.CharField(label="问题标题", max_length=200)
    unit = forms.ChoiceField(label="责任单位", widget=FastSelect)
    due = forms.DateField(label="整改期限", widget=DateInput())

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices(units, everything="请选择单位")


def _units(scope: Scope) -> list:
    return list(unit_list(scope=scope).order_by("path"))


@console_page
@require_GET
def problem_list_page(request, scope: Scope):
    require_view(scope)
    units = _units(scope)
    form = ProblemFilterForm(request.GET or None, units=units)
    values = form.values() if form.is_bound else {}
    unit = {u.code: u for u in units}.get(values.get("unit") or "")
    problems = problem_list(
        scope=scope,
        state=values.get("state") or "",
        kind=values.get("kind") or "",
        unit_path=unit.path if unit else "",
        double_zero_only=values.get("double_zero") or "",
    )
    page = page_of(request, problems)
    rows = [(p, double_zero(p)) for p in page]
    context = {"nav": "insight_problems", "form": form, "page_obj": page, "rows": rows, "can_decide": may_decide(scope)}
    return render(request, "insight/problem_list.html", context)


@console_page
@require_GET
def proposal_list_page(request, scope: Scope):
    require_view(scope)
    units = _units(scope)
    form = ProposalFilterForm(request.GET or None, units=units)
    values = form.values() if form.is_bound else {}
    unit = {u.code: u for u in units}.get(values.get("unit") or "")
    state = values.get("state") if form.is_bound else ProposalState.PROPOSED
    proposals = proposal_list(
        scope=scope, state=state or "", kind=values.get("kind") or "", unit_path=unit.path if unit else ""
    )
    context = {
        "nav": "insight_proposals",
        "form": form,
        "page_obj": page_of(request, proposals),
        "can_decide": may_decide(scope),
    }
    return render(request, "insight/proposal_list.html", context)


@console_page
@require_POST
def detect_now(request, scope: Scope):
    require_decide(scope)
    result = problems_detect(actor=Actor.for_user(request.user))
    messages.success(request, f"检测完成：{result.summary()}。")
    return redirect("console:insight_proposal_list")


@console_page
@require_http_methods(["GET", "POST"])
def proposal_detail(request, scope: Scope, pk: int):
    proposal = proposal_get_for(scope=scope, pk=pk)
    units = _units(scope)
    decide = may_decide(scope) and proposal.state == ProposalState.PROPOSED
    initial = {
        "title": f"{proposal.unit.name}{proposal.get_kind_display()}“{proposal.label.strip('“”')}”集中差评问题"[:200],
        "unit": proposal.unit.code,
        "due": timezone.localdate(problem_deadline(timezone.now())),
    }
    form = AcceptForm(initial=initial, units=units)
    if request.method == "POST":
        require_decide(scope)
        caller = caller_for_user(request.user)
        try:
            if request.POST.get("action") == "accept":
                form = AcceptForm(request.POST, units=units)
                if form.is_valid():
                    d = form.cleaned_data
                    unit = next(u for u in units if u.code == d["unit"])
                    problem = proposal_accept(
                        caller=caller, proposal_id=proposal.pk, data=AcceptInput(d["title"], unit, d["due"])
                    )
                    messages.success(request, f"已立为共性问题 {problem.number}。")
                    return redirect("console:insight_problem_detail", pk=problem.pk)
            elif request.POST.get("action") == "dismiss":
                proposal_dismiss(caller=caller, proposal_id=proposal.pk, reason=request.POST.get("reason", ""))
                messages.success(request, "已不予立项。")
                return redirect("console:insight_proposal_list")
            else:
                messages.error(request, "未知的操作，请刷新页面后重试。")
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            for field, errors in exc.fields.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            messages.error(request, exc.message)
    cases, demands = proposal_members(proposal)
    context = {
        "nav": "insight_proposals",
        "proposal": proposal,
        "cases": cases,
        "demands": demands,
        "form": form,
        "can_decide": decide,
    }
    return render(request, "insight/proposal_detail.html", context)


@console_page
@require_http_methods(["GET", "POST"])
def problem_detail(request, scope: Scope, pk: int):
    problem = problem_get_for(scope=scope, pk=pk)
    if request.method == "POST":
        caller = caller_for_user(request.user)
        action = request.POST.get("action", "")
        try:
            if action == "analysis":
                problem_analysis_save(
                    caller=caller,
                    problem_id=problem.pk,
                    root_cause=request.POST.get("root_cause", ""),
                    plan=request.POST.get("plan", ""),
                )
                messages.success(request, "原因分析和整改方案已保存。")
            elif action == "evidence":
                problem_evidence_add(caller=caller, problem_id=problem.pk, files=request.FILES.getlist("files"),
                                     text=request.POST.get("text", ""))  # fmt: skip
                messages.success(request, "证明材料已上传。")
            else:
                data = StepInput(text=request.POST.get("text", ""), files=request.FILES.getlist("files"))
                problem_transition(caller=caller, problem_id=problem.pk, action=action, data=data)
                messages.success(request, "已提交。")
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, exc.message)
        return redirect("console:insight_problem_detail", pk=problem.pk)
    handle = may_handle(scope, problem)
    steps = [t for t in allowed_actions(problem.state, scope.role) if handle or t.roles == frozenset({"supervisor"})]
    now = timezone.now()
    context = {
        "nav": "insight_problems",
        "problem": problem,
        "zero": double_zero(problem),
        "cases": list(problem_cases(problem)),
        "demands": list(problem_demands(problem)),
        "timeline": [
            (e, LABELS.get(e.action, e.action), dict(ProblemState.choices).get(e.to_state, ""))
            for e in ProblemAction.objects.filter(problem=problem).order_by("occurred_at", "id")
        ],
        "attachments": list(problem.attachments.all()),
        "steps": steps if scope.staff_id is None else [],
        "can_handle": handle and problem.state in (ProblemState.ANALYSING, ProblemState.RECTIFYING),
        "can_upload": handle and problem.is_open,
        "days_left": (problem.due_at - now) // dt.timedelta(days=1) if problem.is_open else None,
    }
    return render(request, "insight/problem_detail.html", context)


@console_page
@require_GET
def problem_attachment(request, scope: Scope, pk: int):
    """Stream an evidence file after the problem's scope check; never a public media URL."""
    attachment = problem_attachment_get_for(scope=scope, pk=pk)
    return stored_file_response(attachment, fallback=f"{attachment.problem.number}-{attachment.pk}")
