"""Rating pages, mounted in the ``console`` namespace by ``haochaping/urls.py``."""

from django.urls import path

from haochaping.evaluations.console import coverage, rating_request, views

urlpatterns = [
    path("evaluations/", views.evaluation_list_view, name="evaluation_list"),
    path("evaluations/export/", views.evaluation_list_export, name="evaluation_list_export"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("records/<int:pk>/rating-request/", rating_request.record_rating_request, name="record_rating_request"),
    path("tablets/<int:pk>/pause/", rating_request.tablet_pause, name="tablet_pause"),
    path("qr/", coverage.qr_coverage, name="qr_coverage"),
    path("qr/export/", coverage.qr_coverage_export, name="qr_coverage_export"),
]
