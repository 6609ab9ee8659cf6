"""业务系统 › 使用情况 (SPEC R3): one business system's last 30 days, day by day — services
pushed, of them rated, ratings, rating rate, API error answers by code — and its last push.

Read from the same rollups as 接入与覆盖 (``analytics.coverage.system_usage``), so the figures
are those of the last rollup refresh; the error counts are live. Who may look, and which
systems, is the systems pages' rule (``organizations.selectors.require_system_role``,
``business_system_get_for``): another unit's system is a 404.
"""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from haochaping.analytics.coverage import USAGE_DAYS, system_usage
from haochaping.analytics.models import RollupRun
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope, business_system_get_for, require_system_role


@console_page
@require_GET
def system_usage_view(request, scope: Scope, pk: int):
    require_system_role(scope)
    system = business_system_get_for(scope=scope, pk=pk)
    usage = system_usage(scope, system, timezone.localdate())
    context = {
        "nav": "systems",
        "system": system,
        "usage": usage,
        "usage_days": USAGE_DAYS,
        "totals": {name: usage.total(name) for name in ("services", "rated", "ratings", "errors")},
        "refreshed_at": RollupRun.objects.filter(finished_at__isnull=False)
        .values_list("finished_at", flat=True)
        .first(),
    }
    return render(request, "analytics/system_usage.html", context)
