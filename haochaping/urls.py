from django.conf import settings
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from haochaping.api import api, not_found

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:home", permanent=False)),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", not_found),
    path("console/", include("haochaping.console.urls")),
    path("", include("haochaping.portal.urls")),
]
if "bench.baseline" in settings.INSTALLED_APPS:
    urlpatterns.append(path("bench/", include("bench.baseline.urls")))
