"""URL patterns of one part of the app, included by its app's urls.py (same namespace)."""

from django.urls import path

from haochaping.portal import demand

urlpatterns: list = [
    path("demand/", demand.demand_form, name="demand"),
    path("demand/done/", demand.demand_done, name="demand_done"),
    path("demand/track/", demand.demand_track, name="demand_track"),
    path("demand/t/<str:token>", demand.demand_status, name="demand_status"),
]
