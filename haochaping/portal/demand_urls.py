"""URL patterns of one part of the app, included by its app's urls.py (same namespace)."""

urlpatterns: list = []
