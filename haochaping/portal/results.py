"""评价结果全公开: the public results page (no login, cacheable, no personal data)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control, cache_page
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from haochaping.analytics.kpis import kpi_get
from haochaping.analytics.public import PUBLIC_KPIS, public_results
from haochaping.core.contact import hall_phone, tel_of
from haochaping.evaluations.choices import Channel

PUBLIC_SECONDS = 600


@require_GET
@cache_control(public=True, max_age=PUBLIC_SECONDS)
@vary_on_headers()
@cache_page(PUBLIC_SECONDS)
def results(request: HttpRequest) -> HttpResponse:
    data = public_results()
    context = {
        "results": data,
        "kpis": [kpi_get(code) for code in PUBLIC_KPIS],
        "channels": [label for _value, label in Channel.choices],
        "hall_phone": hall_phone(),
        "hall_phone_tel": tel_of(hall_phone()),
        "big": False,
        "big_toggle_url": "?big=1",
    }
    return render(request, "portal/results.html", context)
