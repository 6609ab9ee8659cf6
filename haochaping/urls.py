from django.conf import settings
from django.urls import include, path
from django.views.generic import RedirectView

from haochaping.api import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:home", permanent=False)),
    path("api/v1/", api.urls),
    path("console/", include("haochaping.console.urls")),
    path("", include("haochaping.portal.urls")),
]
if "bench.baseline" in settings.INSTALLED_APPS:
    urlpatterns.append(path("bench/", include("bench.baseline.urls")))
