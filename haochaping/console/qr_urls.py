"""Static QR codes: the coverage list (with generate / regenerate), its export, poster PDFs."""

from django.urls import path

from haochaping.console import qr, qr_posters

urlpatterns = [
    path("qr/", qr.qr_coverage, name="qr_coverage"),
    path("qr/export/", qr.qr_coverage_export, name="qr_coverage_export"),
    path("qr/posters/", qr_posters.qr_posters, name="qr_posters"),
]
