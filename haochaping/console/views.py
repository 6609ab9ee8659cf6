"""Staff console pages: the shared page decorator, login, home, records and ratings.

Case pages live in ``cases.py``, the summary in ``summary.py``, the inbox in ``inbox.py``.
Thin views: authenticate, resolve the caller's ``Scope`` once, read through the scoped
selectors, render. Access errors from the selectors (``NotFound`` for another unit's id,
``PermissionDenied`` for a login without a role) become Chinese error pages with the matching
status.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from haochaping.console.forms import BAD, EvaluationFilterForm, LoginForm, RecordFilterForm
from haochaping.core.errors import ApplicationError
from haochaping.evaluations.choices import Dimension
from haochaping.evaluations.selectors import (
    evaluation_get_for,
    evaluation_list,
    reason_texts,
    reason_texts_bulk,
)
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Scope, scope_for_user, tablet_window_ids, unit_list
from haochaping.rectification.models import OPEN_STATES
from haochaping.rectification.selectors import case_queue_counts, evaluation_summary
from haochaping.service_records.selectors import service_record_list

PAGE_SIZE = 50
# Who may ask a window tablet to show the rating screen (请评价): the clerk who served, admins.
RATING_REQUEST_ROLES = (Role.SUPERVISOR, Role.DEPT_ADMIN, Role.WINDOW_CLERK)
RECENT_BAD = 10

ERROR_TITLES = {403: "无权访问", 404: "未找到该记录"}


def console_page(view):
    """Login required; the view receives the caller's scope; application errors become pages.

    Pages carry personal data (masked, but still): never stored by browsers or proxies.
    """

    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            scope = scope_for_user(request.user)
            return view(request, scope, *args, **kwargs)
        except ApplicationError as exc:
            return error_page(request, exc)

    return login_required(wrapper)


def error_page(request, exc: ApplicationError):
    context = {"title": ERROR_TITLES.get(exc.status, "请求未能完成"), "message": exc.message, "status": exc.status}
    return render(request, "console/error.html", context, status=exc.status)


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5); back to the login page."""


def _page(request, queryset) -> Page:
    paginator = Paginator(queryset, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # evaluated once, reused by the template
    page.elided_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _with_reasons(evaluations):
    texts = reason_texts_bulk(evaluations)
    for evaluation in evaluations:
        evaluation.reason_list = texts[evaluation.pk]
    return evaluations


@console_page
def home(request, scope: Scope):
    now = timezone.now()
    services = service_record_list(scope=scope).count()
    ratings = evaluation_summary(scope=scope)
    counts = case_queue_counts(scope=scope, now=now)
    # "Overdue" as on the work queue: the deadline still runs (not yet rectified) and has passed.
    cases = {"open": sum(counts[state] for state in OPEN_STATES), "overdue": counts["overdue"]}
    recent_bad = _with_reasons(list(evaluation_list(scope=scope, bad_only=True)[:RECENT_BAD]))
    context = {
        "nav": "home",
        "now": now,
        "services": services,
        "ratings": ratings,
        "rating_rate": _ratio(ratings["total"], services),
        "good_rate": _ratio(ratings["good"], ratings["valid"]),
        "bad_rate": _ratio(ratings["bad"], ratings["valid"]),
        "cases": cases,
        "recent_bad": recent_bad,
        "sees_evaluator": scope.sees_evaluator,
    }
    return render(request, "console/home.html", context)


@console_page
def record_list(request, scope: Scope):
    form = RecordFilterForm(request.GET, units=list(unit_list(scope=scope)))
    filters = form.values()
    records = service_record_list(
        scope=scope,
        unit_code=filters.get("unit"),
        project_no=(filters.get("project_no") or "").strip() or None,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = _page(request, records)
    context = {"nav": "records", "form": form, "page_obj": page}
    # The applicant is usually the evaluator: a clerk must not be able to join the two.
    context["sees_applicant"] = scope.sees_evaluator
    # 请评价 (console/devices.py): for unrated services of windows with a paired tablet.
    can_request = scope.role in RATING_REQUEST_ROLES
    window_ids = {r.window_id for r in page.object_list}
    context["tablet_windows"] = tablet_window_ids(window_ids=window_ids) if can_request else set()
    return render(request, "console/records.html", context)


@console_page
def evaluation_list_view(request, scope: Scope):
    form = EvaluationFilterForm(request.GET, units=list(unit_list(scope=scope)))
    filters = form.values()
    level = filters.get("level")
    evaluations = evaluation_list(
        scope=scope,
        unit_code=filters.get("unit"),
        level=int(level) if level and level != BAD else None,
        bad_only=level == BAD,
        channel=filters.get("channel"),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = _page(request, evaluations)
    _with_reasons(page.object_list)
    context = {"nav": "evaluations", "form": form, "page_obj": page, "sees_evaluator": scope.sees_evaluator}
    return render(request, "console/evaluations.html", context)


@console_page
def evaluation_detail(request, scope: Scope, pk: int):
    evaluation = evaluation_get_for(scope=scope, pk=pk)
    dimensions = [(d.label, getattr(evaluation, d.value)) for d in Dimension]
    context = {
        "nav": "evaluations",
        "evaluation": evaluation,
        "record": evaluation.record,
        "case": getattr(evaluation, "case", None),
        "reasons": reason_texts(evaluation),
        "dimensions": dimensions,
        "sees_evaluator": scope.sees_evaluator,
        "now": timezone.now(),
    }
    return render(request, "console/evaluation_detail.html", context)
