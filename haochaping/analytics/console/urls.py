"""Analytics pages, mounted in the ``console`` namespace by ``haochaping/urls.py``."""

from django.urls import path

from haochaping.analytics.console import overview, rankings

urlpatterns = [
    path("analytics/", overview.overview, name="analytics_overview"),
    path("analytics/export/", overview.overview_export, name="analytics_overview_export"),
    path("analytics/refresh/", overview.refresh, name="analytics_refresh"),
    path("analytics/coverage/", overview.coverage_view, name="analytics_coverage"),
    path("analytics/rankings/", rankings.ranking_view, name="analytics_ranking"),
    path("analytics/rankings/export/", rankings.ranking_export, name="analytics_ranking_export"),
]
