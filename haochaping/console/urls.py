"""The console shell's own pages; ``haochaping/urls.py`` mounts every app's pages beside them."""

from django.urls import include, path

from haochaping.console import cases, inbox, message_templates, summary, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("cases/", cases.case_list_view, name="case_list"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/attachments/<int:pk>/", cases.case_attachment, name="case_attachment"),
    path("cases/summary/", summary.case_summary_view, name="case_summary"),
    path("cases/summary/export/", summary.case_summary_export, name="case_summary_export"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("message-templates/", message_templates.template_list, name="message_templates"),
    path("message-templates/<slug:code>/", message_templates.template_edit, name="message_template_edit"),
    path("", include("haochaping.console.devices_urls")),  # rating devices, tablet triggers
    path("", include("haochaping.console.qr_urls")),  # QR codes, posters, coverage
]
