"""Organisation pages (rating devices, QR posters, login locks, the working-day calendar, business
systems, Excel import), mounted in the ``console`` namespace by ``haochaping/urls.py``."""

from django.urls import path

from haochaping.organizations.console import devices, imports, login_locks, posters, systems, work_calendar

urlpatterns = [
    path("devices/", devices.device_list_view, name="device_list"),
    path("devices/new/", devices.device_new, name="device_new"),
    path("devices/<int:pk>/", devices.device_detail, name="device_detail"),
    path("qr/posters/", posters.qr_posters, name="qr_posters"),
    path("login-locks/", login_locks.login_locks, name="login_locks"),
    path("calendar/", work_calendar.calendar_view, name="calendar"),
    path("calendar/days/", work_calendar.calendar_day_add, name="calendar_day_add"),
    path("calendar/days/<str:day>/", work_calendar.calendar_day_edit, name="calendar_day"),
    path("calendar/days/<str:day>/delete/", work_calendar.calendar_day_remove, name="calendar_day_delete"),
    path("calendar/import/", work_calendar.calendar_import, name="calendar_import"),
    path("calendar/template.csv", work_calendar.calendar_template, name="calendar_template"),
    path("systems/", systems.system_list, name="system_list"),
    path("systems/new/", systems.system_new, name="system_new"),
    path("systems/<int:pk>/", systems.system_detail, name="system_detail"),
    path("import/", imports.import_page, name="import"),
    path("import/confirm/", imports.import_confirm, name="import_confirm"),
    path("import/template/", imports.import_template, name="import_template"),
]
