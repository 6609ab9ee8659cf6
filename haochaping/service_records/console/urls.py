"""Service-record pages, mounted in the ``console`` namespace by ``haochaping/urls.py``."""

from django.urls import path

from haochaping.service_records.console import views

urlpatterns = [
    path("records/", views.record_list, name="record_list"),
    path("records/export/", views.record_list_export, name="record_list_export"),
]
