"""The console shell's own pages; ``haochaping/urls.py`` mounts every app's pages beside them."""

from django.urls import include, path

from haochaping.console import inbox, message_templates, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("message-templates/", message_templates.template_list, name="message_templates"),
    path("message-templates/<slug:code>/", message_templates.template_edit, name="message_template_edit"),
    path("", include("haochaping.console.devices_urls")),  # rating devices, tablet triggers
    path("", include("haochaping.console.qr_urls")),  # QR codes, posters, coverage
    path("", include("haochaping.console.outreach_urls")),  # callbacks, invitations, demands
]
