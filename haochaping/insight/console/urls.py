"""Insight pages, mounted in the ``console`` namespace by ``haochaping/urls.py``."""

urlpatterns: list = []
