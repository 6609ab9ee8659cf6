"""Rating pages, mounted in the ``console`` namespace by ``haochaping/urls.py``."""

from django.urls import path

from haochaping.evaluations.console import coverage, indicator_sets, rating_request, views

urlpatterns = [
    path("evaluations/", views.evaluation_list_view, name="evaluation_list"),
    path("evaluations/export/", views.evaluation_list_export, name="evaluation_list_export"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("records/<int:pk>/rating-request/", rating_request.record_rating_request, name="record_rating_request"),
    path("tablets/<int:pk>/pause/", rating_request.tablet_pause, name="tablet_pause"),
    path("qr/", coverage.qr_coverage, name="qr_coverage"),
    path("qr/export/", coverage.qr_coverage_export, name="qr_coverage_export"),
    path("indicator-sets/", indicator_sets.indicator_set_list_view, name="indicator_sets"),
    path("indicator-sets/import/", indicator_sets.indicator_set_import, name="indicator_set_import"),
    path("indicator-sets/<int:pk>/", indicator_sets.indicator_set_detail, name="indicator_set_detail"),
    path(
        "indicator-sets/<int:pk>/activate/", indicator_sets.indicator_set_activate_view, name="indicator_set_activate"
    ),
]
