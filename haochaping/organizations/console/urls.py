"""Organisation pages (rating devices, QR posters, login locks, business systems), mounted in the
``console`` namespace by ``haochaping/urls.py``."""

from django.urls import path

from haochaping.organizations.console import devices, login_locks, posters, systems

urlpatterns = [
    path("devices/", devices.device_list_view, name="device_list"),
    path("devices/new/", devices.device_new, name="device_new"),
    path("devices/<int:pk>/", devices.device_detail, name="device_detail"),
    path("qr/posters/", posters.qr_posters, name="qr_posters"),
    path("login-locks/", login_locks.login_locks, name="login_locks"),
    path("systems/", systems.system_list, name="system_list"),
    path("systems/new/", systems.system_new, name="system_new"),
    path("systems/<int:pk>/", systems.system_detail, name="system_detail"),
]
