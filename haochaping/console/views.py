"""The console shell's pages: login, logout, home. Every other staff page lives in its app's
``console/`` package (see ``haochaping/urls.py``, which mounts them all in the ``console`` namespace).
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.utils import timezone

from haochaping.console.context_processors import console as console_context
from haochaping.console.forms import LoginForm
from haochaping.evaluations.selectors import evaluation_list, reason_texts_bulk
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope
from haochaping.rectification.models import OPEN_STATES
from haochaping.rectification.selectors import case_queue_counts, evaluation_summary
from haochaping.service_records.selectors import service_record_list

RECENT_BAD = 10


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5); back to the login page."""


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@console_page
def home(request, scope: Scope):
    now = timezone.now()
    services = service_record_list(scope=scope).count()
    ratings = evaluation_summary(scope=scope)
    # The menu's case figures (one query for the page and its menu), else read here.
    menu = console_context(request).get("menu_counts")
    counts = menu.case_counts if menu is not None else case_queue_counts(scope=scope, now=now)
    # "Overdue" as on the work queue: the deadline still runs (not yet rectified) and has passed.
    cases = {"open": sum(counts[state] for state in OPEN_STATES), "overdue": counts["overdue"]}
    recent_bad = list(evaluation_list(scope=scope, bad_only=True)[:RECENT_BAD])
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
        "reason_texts": reason_texts_bulk(recent_bad),
        "sees_evaluator": scope.sees_evaluator,
    }
    return render(request, "console/home.html", context)
