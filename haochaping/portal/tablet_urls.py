"""URL patterns of one part of the app, included by its app's urls.py (same namespace).

The window tablet (窗口评价器): the page and its JSON endpoints (``portal/tablet.py``).
"""

from django.urls import path

from haochaping.portal import tablet

urlpatterns: list = [
    path("tablet/", tablet.tablet_page, name="tablet"),
    path("tablet/pair", tablet.tablet_pair, name="tablet_pair"),
    path("tablet/next", tablet.tablet_next, name="tablet_next"),
    path("tablet/rate", tablet.tablet_rate_view, name="tablet_rate"),
    path("tablet/photo/<int:request_id>", tablet.tablet_photo, name="tablet_photo"),
    path("tablet/staff-photo/<int:staff_id>", tablet.tablet_staff_photo, name="tablet_staff_photo"),
]
