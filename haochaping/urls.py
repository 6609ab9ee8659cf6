"""Project wiring: the API, the staff console (the shell and every app's pages) and citizen pages.

The console is one URL namespace, ``console``, assembled here from the shell's own pages and the
``console/urls.py`` of each app that has staff pages; apps never import each other's pages.
"""

from django.conf import settings
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from haochaping.api import api, not_found

CONSOLE_PAGES = [
    "haochaping.console.urls",  # the shell: home, login, logout
    "haochaping.organizations.console.urls",
    "haochaping.notifications.console.urls",
    "haochaping.service_records.console.urls",
    "haochaping.evaluations.console.urls",
    "haochaping.rectification.console.urls",
    "haochaping.outreach.console.urls",
    "haochaping.analytics.console.urls",
    "haochaping.insight.console.urls",
]

console_urls = [path("", include(module)) for module in CONSOLE_PAGES]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:home", permanent=False)),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", not_found),
    path("console/", include((console_urls, "console"))),
    path("", include("haochaping.portal.urls")),
]
# Every error is a styled Chinese page with a way back (the API keeps its JSON errors).
handler400 = "haochaping.core.views.bad_request"
handler403 = "haochaping.core.views.permission_denied"
handler404 = "haochaping.core.views.page_not_found"
handler500 = "haochaping.core.views.server_error"

if "bench.baseline" in settings.INSTALLED_APPS:
    urlpatterns.append(path("bench/", include("bench.baseline.urls")))
