"""django-csp's middleware with the policy built once (``settings.CONTENT_SECURITY_POLICY``).

``csp.middleware.CSPMiddleware`` rebuilds the header on every response (``dataclasses.asdict``,
copies of the settings, the report-only policy too) and attaches a lazy nonce to every request:
about five times the cost of the rest of a bare request, on the API's rating path as well. Our
policy never varies per response (no nonce: the templates carry no inline script; no
``@csp_update`` views), so the header string is built once per process and set as django-csp
would set it. Anything the library would treat specially — a response with its own
``_csp_*`` attributes, an exempted one, a nonce already used, ``DEBUG`` error pages, excluded
prefixes, a report-only policy — goes through the library's own code.
"""

from __future__ import annotations

from csp.constants import HEADER
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed

_POLICY: str | None = None
_OVERRIDES = ("_csp_exempt", "_csp_config", "_csp_update", "_csp_replace", "_csp_exempt_ro")


def _policy() -> str:
    global _POLICY
    if _POLICY is None:
        _POLICY = build_policy()
    return _POLICY


def _forget(*, setting: str, **kwargs) -> None:
    global _POLICY
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _POLICY = None


setting_changed.connect(_forget, dispatch_uid="haochaping.core.csp")


class CSPMiddleware(LibraryCSPMiddleware):
    def _plain(self) -> bool:
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        return not (
            settings.DEBUG
            or getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            or policy.get("EXCLUDE_URL_PREFIXES")
        )

    def process_request(self, request):
        if not self._plain():
            super().process_request(request)

    def process_response(self, request, response):
        if not self._plain() or any(hasattr(response, name) for name in _OVERRIDES):
            return super().process_response(request, response)
        if HEADER not in response:
            response[HEADER] = _policy()
        return response
