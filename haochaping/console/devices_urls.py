"""URL patterns of one part of the app, included by its app's urls.py (same namespace).

Rating devices (``console/devices.py``) and the clerk's 请评价 button on a service record.
"""

from django.urls import path

from haochaping.console import devices

urlpatterns: list = [
    path("devices/", devices.device_list_view, name="device_list"),
    path("devices/new/", devices.device_new, name="device_new"),
    path("devices/<int:pk>/", devices.device_detail, name="device_detail"),
    path("records/<int:pk>/rating-request/", devices.record_rating_request, name="record_rating_request"),
]
