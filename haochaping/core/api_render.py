"""The JSON renderer of the business-system API (``haochaping/api.py``), shared with handlers
that render their own response.

The rating intake (``intake.api``) builds its response body itself and renders it here,
without ninja's response-model validation on its hot path; ``NinjaAPI.create_response`` does
exactly this with the same renderer, so the bytes are the same either way.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja.renderers import JSONRenderer


class ChineseJSONRenderer(JSONRenderer):
    """Chinese messages as UTF-8 text, not \\u escapes: readable in curl and logs."""

    json_dumps_params = {"ensure_ascii": False}


RENDERER = ChineseJSONRenderer()
CONTENT_TYPE = f"{RENDERER.media_type}; charset={RENDERER.charset}"


def json_response(request: HttpRequest, data, *, status: int) -> HttpResponse:
    """What ``NinjaAPI.create_response`` returns for ``data``, rendered by the API's renderer."""
    return HttpResponse(
        RENDERER.render(request, data, response_status=status), status=status, content_type=CONTENT_TYPE
    )
