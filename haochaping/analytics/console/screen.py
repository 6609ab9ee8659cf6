"""大屏: the hall display (a standalone dark full-screen page) and the JSON it polls.

The page renders the figures once (readable at once, and without JavaScript); ``analytics/
screen.js`` then asks ``screen/data/`` every ``data-refresh`` seconds (30 by default, ``?refresh=``
from 1 s for tests and soak runs) and updates the text and charts in place. Supervisors and
department/street/community admins, for their own subtree; window clerks, operators and auditors
get 403."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from haochaping.analytics.screen import FEED_SIZE, OVERDUE_SIZE, TILES, screen_data
from haochaping.core.errors import PermissionDenied
from haochaping.organizations.models import Role
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope

SCREEN_ROLES = (Role.SUPERVISOR, Role.DEPT_ADMIN)
DEFAULT_REFRESH = 30  # seconds
MIN_REFRESH, MAX_REFRESH = 1, 3600


def _allowed(scope: Scope) -> None:
    if scope.role not in SCREEN_ROLES or scope.staff_id is not None:
        raise PermissionDenied("大屏仅限督查和部门/街道/社区管理员使用")


def _refresh_seconds(value: str | None) -> int:
    try:
        seconds = int(value or DEFAULT_REFRESH)
    except ValueError:
        return DEFAULT_REFRESH
    return min(max(seconds, MIN_REFRESH), MAX_REFRESH)


@console_page
@require_GET
def screen(request, scope: Scope):
    _allowed(scope)
    data = screen_data(scope.unit_path)
    feed = data["feed"] + [None] * (FEED_SIZE - len(data["feed"]))
    overdue = data["overdue"]["rows"] + [None] * (OVERDUE_SIZE - len(data["overdue"]["rows"]))
    context = {
        "data": data,
        "tiles": [(key, label, data["tiles"][key]) for key, label in TILES],
        "feed": feed,
        "overdue": overdue,
        "refresh": _refresh_seconds(request.GET.get("refresh")),
        "data_url": reverse("console:analytics_screen_data"),
    }
    return render(request, "analytics/screen.html", context)


@console_page
@require_GET
def screen_data_view(request, scope: Scope):
    _allowed(scope)
    # Polls do not renew the login: a supervisor's session left on a hall PC must still expire
    # (SESSION_COOKIE_AGE); the screen then says 登录已失效 and keeps its last figures.
    return JsonResponse(screen_data(scope.unit_path), json_dumps_params={"ensure_ascii": False})
