"""The project's URLs plus views that fail, for the error page tests (``handler500`` and friends
come with the project's urlconf)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from haochaping.urls import handler400, handler403, handler404, handler500
from haochaping.urls import urlpatterns as project_urls


def boom(request):
    raise RuntimeError("something broke (must not reach the page)")


def forbidden(request):
    raise PermissionDenied


def suspicious(request):
    raise SuspiciousOperation("bad input (must not reach the page)")


urlpatterns = [
    path("console/boom/", boom),
    path("console/forbidden/", forbidden),
    path("my/boom/", boom),
    path("kiosk/boom/", boom),
    path("demand/suspicious/", suspicious),
    *project_urls,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
