"""Organisation pages (rating devices, QR posters, login locks, the working-day calendar, business
systems, Excel import; the unit tree, windows, staff, accounts, my account and the one-time
password link), mounted in the ``console`` namespace by ``haochaping/urls.py``."""

from django.urls import path

from haochaping.organizations.console import (
    accounts,
    devices,
    imports,
    login_locks,
    my_account,
    posters,
    staff,
    systems,
    units,
    windows,
    work_calendar,
)

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
    path("units/", units.unit_list_view, name="unit_list"),
    path("units/new/", units.unit_new, name="unit_new"),
    path("units/<int:pk>/", units.unit_detail, name="unit_detail"),
    path("windows/", windows.window_list_view, name="window_list"),
    path("windows/new/", windows.window_new, name="window_new"),
    path("windows/<int:pk>/", windows.window_detail, name="window_detail"),
    path("staff/", staff.staff_list_view, name="staff_list"),
    path("staff/new/", staff.staff_new, name="staff_new"),
    path("staff/<int:pk>/", staff.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/photo/", staff.staff_photo, name="staff_photo"),
    path("accounts/", accounts.account_list_view, name="account_list"),
    path("accounts/new/", accounts.account_new, name="account_new"),
    path("accounts/links/", accounts.account_links_batch, name="account_links_batch"),
    path("accounts/<int:pk>/", accounts.account_detail, name="account_detail"),
    path("me/", my_account.my_account, name="my_account"),
    path("password/", my_account.password_link, name="password_link"),
]
