"""Case pages, mounted in the ``console`` namespace by ``haochaping/urls.py``."""

from django.urls import path

from haochaping.rectification.console import summary, views

urlpatterns = [
    path("cases/", views.case_list_view, name="case_list"),
    path("cases/export/", views.case_list_export, name="case_list_export"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/attachments/<int:pk>/", views.case_attachment, name="case_attachment"),
    path("cases/summary/", summary.case_summary_view, name="case_summary"),
    path("cases/summary/export/", summary.case_summary_export, name="case_summary_export"),
]
