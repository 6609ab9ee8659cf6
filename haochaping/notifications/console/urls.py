"""Notification pages (inbox, message templates), mounted in the ``console`` namespace by
``haochaping/urls.py``."""

from django.urls import path

from haochaping.notifications.console import inbox, message_templates

urlpatterns = [
    path("inbox/", inbox.inbox, name="inbox"),
    path("message-templates/", message_templates.template_list, name="message_templates"),
    path("message-templates/<slug:code>/", message_templates.template_edit, name="message_template_edit"),
]
