from django.urls import path

from haochaping.portal import views

app_name = "portal"

urlpatterns = [
    path("r/<str:token>", views.rate, name="rate"),
]
