"""Project-wide views: the CSRF failure page."""

from django.shortcuts import render


def csrf_failure(request, reason: str = ""):
    """An expired form or blocked cookies: explain in Chinese what to do (never the reason text)."""
    return render(request, "core/csrf_failure.html", status=403)
