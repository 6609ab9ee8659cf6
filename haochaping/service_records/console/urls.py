"""Service-record pages, mounted in the ``console`` namespace by ``haochaping/urls.py``."""

from django.urls import path

from haochaping.service_records.console import items, views, window_items

urlpatterns = [
    path("records/", views.record_list, name="record_list"),
    path("records/export/", views.record_list_export, name="record_list_export"),
    path("items/", items.item_list, name="item_list"),
    path("items/new/", items.item_new, name="item_new"),
    path("items/<int:pk>/", items.item_edit, name="item_edit"),
    path("windows/<int:pk>/items/", window_items.window_items_view, name="window_items"),
]
