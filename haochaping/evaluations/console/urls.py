"""Rating pages, mounted in the ``console`` namespace by ``haochaping/urls.py``."""

from django.urls import path

from haochaping.evaluations.console import views

urlpatterns = [
    path("evaluations/", views.evaluation_list_view, name="evaluation_list"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
]
