"""Request helpers shared by the console, the portal and the API."""

from django.conf import settings


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the entry our own proxies appended to
    X-Forwarded-For when ``TRUSTED_PROXY_COUNT`` proxies stand in front of the app."""
    if request is None:
        return ""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")
