"""The console shell's own pages; ``haochaping/urls.py`` mounts every app's pages beside them."""

from django.urls import path

from haochaping.console import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
]
