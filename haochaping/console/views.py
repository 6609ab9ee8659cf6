"""The console shell's pages: login, logout, home. Every other staff page lives in its app's
``console/`` package (see ``haochaping/urls.py``, which mounts them all in the ``console`` namespace).
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from haochaping.analytics.kpis import Slice, kpi_list
from haochaping.analytics.live import counts_to_now
from haochaping.analytics.periods import Period
from haochaping.console.context_processors import console as console_context
from haochaping.console.forms import LoginForm
from haochaping.core.pages.charts import BAD, GOOD, line_chart
from haochaping.evaluations.selectors import evaluation_recent_bad, reason_texts_bulk
from haochaping.organizations.models import Role
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope, membership_for
from haochaping.organizations.work_calendar import calendar_expiry
from haochaping.rectification.models import OPEN_STATES
from haochaping.rectification.selectors import case_queue_counts

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


def _trend(days) -> dict:
    """近30天评价量: valid good and bad ratings per local day."""
    return line_chart(
        [f"{day.month:02d}-{day.day:02d}" for day, _ in days],
        {"好评": [c.good for _, c in days], "差评": [c.bad for _, c in days]},
        colors=[GOOD, BAD],
        area=True,
    )


@console_page
def home(request, scope: Scope):
    now = timezone.now()
    # This year's figures, to now: the rollups up to yesterday and today's raw rows (a clerk's
    # scope is their own staff number: the rollups' staff dimension).
    year = Period.of("year", timezone.localdate(now))
    slice_ = Slice(unit_path=scope.unit_path, staff_id=scope.staff_id)
    figures = counts_to_now(slice_, year.first, days=TREND_DAYS, now=now)
    total = figures.total
    kpis = {kpi.code: kpi for kpi in kpi_list()}
    # The menu's case figures (one query for the page and its menu), else read here.
    menu = console_context(request).get("menu_counts")
    counts = menu.case_counts if menu is not None else case_queue_counts(scope=scope, now=now, open_only=True)
    # "Overdue" as on the work queue: the deadline still runs (not yet rectified) and has passed.
    cases = {"open": sum(counts[state] for state in OPEN_STATES), "overdue": counts["overdue"]}
    recent_bad = evaluation_recent_bad(scope=scope, limit=RECENT_BAD)
    context = {
        "nav": "home",
        "now": now,
        "year": year,
        "total": total,
        "kpis": kpis,
        "rating_rate": kpis["rating_rate"].value(total),
        "good_rate": kpis["good_rate"].value(total),
        "bad_rate": kpis["bad_rate"].value(total),
        "cases": cases,
        "trend": _trend(figures.days),
        "recent_bad": recent_bad,
        "reason_texts": reason_texts_bulk(recent_bad),
        "sees_evaluator": scope.sees_evaluator,
        # The centre only: the working-day calendar runs out within 30 days (or has).
        "calendar_expiry": calendar_expiry(scope=scope, today=timezone.localdate(now)),
    }
    return render(request, "console/home.html", context)
