"""Citizen pages behind an SMS code: static QR codes, "我的评价", the self-service kiosk."""

from django.urls import path, re_path
from django.views.generic import RedirectView

from haochaping.portal import citizen_kiosk, citizen_views

urlpatterns = [
    path("q/<str:slug>", citizen_views.qr_page, name="qr"),
    # Some scanner apps append a slash to the URL in a QR code.
    re_path(r"^q/(?P<slug>[^/]+)/$", RedirectView.as_view(pattern_name="portal:qr", query_string=True)),
    path("q/<str:slug>/code", citizen_views.qr_code, name="qr_code"),
    path("q/<str:slug>/rate/<int:record_id>", citizen_views.qr_rate, name="qr_rate"),
    path("my/", citizen_views.my_page, name="my"),
    path("m/<str:token>", citizen_views.my_link, name="my_link"),  # the feedback SMS's short link
    path("my/code", citizen_views.my_code, name="my_code"),
    path("my/rate/<int:record_id>", citizen_views.my_rate, name="my_rate"),
    path("citizen/logout", citizen_views.citizen_logout, name="citizen_logout"),
    path("kiosk/", citizen_kiosk.kiosk_start, name="kiosk"),
    path("kiosk/code", citizen_kiosk.kiosk_code, name="kiosk_code"),
    path("kiosk/services", citizen_kiosk.kiosk_list, name="kiosk_services"),
    path("kiosk/rate/<int:record_id>", citizen_kiosk.kiosk_rate, name="kiosk_rate"),
    path("kiosk/done/<int:record_id>", citizen_kiosk.kiosk_done, name="kiosk_done"),
    path("kiosk/reset", citizen_kiosk.kiosk_reset, name="kiosk_reset"),
]
