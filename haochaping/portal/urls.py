from django.urls import include, path, re_path
from django.views.generic import RedirectView

from haochaping.portal import results, screen, views

app_name = "portal"

urlpatterns = [
    path("r/<str:token>", views.rate, name="rate"),
    path("r/<str:token>/done", views.rate_done, name="rate_done"),
    # Some SMS apps and chat clients append a slash to a link they shorten or rewrap.
    re_path(r"^r/(?P<token>[^/]+)/$", RedirectView.as_view(pattern_name="portal:rate", query_string=True)),
    path("results/", results.results, name="results"),  # 评价结果全公开
    path("screen/", screen.screen_page, name="screen"),  # 大厅大屏 paired as a display device
    path("screen/pair", screen.screen_pair, name="screen_pair"),
    path("screen/data", screen.screen_data_view, name="screen_data"),
    path("", include("haochaping.portal.tablet_urls")),  # window tablets and kiosks
    path("", include("haochaping.portal.citizen_urls")),  # static QR, SMS code, my ratings
    path("", include("haochaping.portal.demand_urls")),  # public demand / suggestion form
]
