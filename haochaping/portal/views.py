"""Citizen-facing pages. The full H5 rating flow arrives with the portal issue."""

from django.shortcuts import render


def rate(request, token: str):
    return render(request, "portal/rate.html", {})
