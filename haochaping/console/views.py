"""The console shell's pages: login, logout, home. Every other staff page lives in its app's
``console/`` package (see ``haochaping/urls.py``, which mounts them all in the ``console`` namespace).
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from haochaping.console.context_processors import console as console_context
from haochaping.console.forms import LoginForm
from haochaping.core.pages.charts import BAD, GOOD, line_chart
from haochaping.evaluations.selectors import evaluation_list, reason_texts_bulk
from haochaping.organizations.models import Role
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope, membership_for
from haochaping.organizations.work_calendar import calendar_expiry
from haochaping.rectification.models import OPEN_STATES
from haochaping.rectification.selectors import case_queue_counts, evaluation_daily, evaluation_summary
from haochaping.service_records.selectors import service_record_list

RECENT_BAD = 10
TREND_DAYS = 30  # home.html's 近30天评价量

# Where each role lands after login, unless the login was for another page (``next``). Roles not
# listed land on the home page (``LOGIN_REDIRECT_URL``): its figures are their work overview.
LANDING_PAGES = {
    Role.OPERATOR: "console:outreach_workbench",
}


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_success_url(self):
        # ``next`` pointing at the home page is only the default of an anonymous visit to
        # /console/: the role's own work page serves better there too.
        url = self.get_redirect_url()
        if url and url != reverse("console:home"):
            return url
        return self.get_default_redirect_url()

    def get_default_redirect_url(self):
        membership = membership_for(self.request.user)
        page = LANDING_PAGES.get(membership.role) if membership is not None else None
        return reverse(page) if page else super().get_default_redirect_url()


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5); back to the login page."""


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _trend(scope: Scope, now) -> dict:
    """近30天评价量: valid good and bad ratings per local day (one grouped query)."""
    days = evaluation_daily(scope=scope, now=now, days=TREND_DAYS)
    return line_chart(
        [f"{d.day.month:02d}-{d.day.day:02d}" for d in days],
        {"好评": [d.good for d in days], "差评": [d.bad for d in days]},
        colors=[GOOD, BAD],
        area=True,
    )


@console_page
def home(request, scope: Scope):
    now = timezone.now()
    services = service_record_list(scope=scope).count()
    ratings = evaluation_summary(scope=scope)
    # The menu's case figures (one query for the page and its menu), else read here.
    menu = console_context(request).get("menu_counts")
    counts = menu.case_counts if menu is not None else case_queue_counts(scope=scope, now=now, open_only=True)
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
        "trend": _trend(scope, now),
        "recent_bad": recent_bad,
        "reason_texts": reason_texts_bulk(recent_bad),
        "sees_evaluator": scope.sees_evaluator,
        # The centre only: the working-day calendar runs out within 30 days (or has).
        "calendar_expiry": calendar_expiry(scope=scope, today=timezone.localdate(now)),
    }
    return render(request, "console/home.html", context)
