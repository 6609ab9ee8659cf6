"""Organisation pages (rating devices, QR posters, login locks, Excel import), mounted in the ``console`` namespace by
``haochaping/urls.py``."""

from django.urls import path

from haochaping.organizations.console import devices, imports, login_locks, posters

urlpatterns = [
    path("devices/", devices.device_list_view, name="device_list"),
    path("devices/new/", devices.device_new, name="device_new"),
    path("devices/<int:pk>/", devices.device_detail, name="device_detail"),
    path("qr/posters/", posters.qr_posters, name="qr_posters"),
    path("login-locks/", login_locks.login_locks, name="login_locks"),
    path("import/", imports.import_page, name="import"),
    path("import/confirm/", imports.import_confirm, name="import_confirm"),
    path("import/template/", imports.import_template, name="import_template"),
]
