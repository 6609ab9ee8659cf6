"""Content-Security-Policy (issue 13 item 25): every HTML surface sends it, and no template holds
anything the policy would block (inline script, inline event handler, ``javascript:`` URL, style
attribute or block). The browser tests (``haochaping.testing_browser``) fail on any violation
Chromium reports, so the pages are also checked as they run."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from haochaping.service_records.services import rating_link_for
from haochaping.testing import login, push_record

TEMPLATE_ROOT = Path(settings.PACKAGE_DIR)


def _directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _assert_strict(response) -> None:
    policy = _directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no host
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]


def test_console_pages_send_the_policy(cast):
    anonymous = Client()
    _assert_strict(anonymous.get(reverse("console:login")))
    client = login(Client(), cast, "supervisor")
    for name in ("console:home", "console:case_list", "console:record_list", "console:device_list"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        _assert_strict(response)
    _assert_strict(client.get("/console/no-such-page/"))  # the console's 404 page


def test_citizen_tablet_and_kiosk_pages_send_the_policy(cast):
    record = push_record(cast, "SCJG-CSP-1")
    client = Client()
    rate = client.get(urlsplit(rating_link_for(record)).path)
    assert rate.status_code == 200
    _assert_strict(rate)
    for path in ("/my/", "/demand/", "/demand/track/", "/kiosk/", "/tablet/", "/no-such-page/"):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        _assert_strict(response)


def test_the_csrf_failure_page_sends_the_policy_and_links_back_without_javascript(cast):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/demand/", {}, HTTP_REFERER="http://testserver/demand/?unit=SCJG")
    assert response.status_code == 403
    _assert_strict(response)
    html = response.content.decode()
    assert 'href="/demand/?unit=SCJG"' in html and "javascript:" not in html
    # Another site's address is never offered as the way back.
    other = client.post("/demand/", {}, HTTP_REFERER="https://evil.example/x")
    assert 'href="/demand/"' in other.content.decode()


# --- templates: nothing the policy blocks ------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S)
JAVASCRIPT_URL = re.compile(r"(href|src|action|formaction)\s*=\s*[\"']?\s*javascript:", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I | re.S)
STYLE_BLOCK = re.compile(r"<style\b", re.I)
DJANGO_COMMENT = re.compile(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S)


def blocked_markup(text: str) -> list[str]:
    """What in one template the policy would block (Django comments are not markup)."""
    text = DJANGO_COMMENT.sub("", text)
    found = []
    for label, pattern in (
        ("inline <script>", INLINE_SCRIPT),
        ("inline event handler", EVENT_HANDLER),
        ("javascript: URL", JAVASCRIPT_URL),
        ("style attribute", STYLE_ATTRIBUTE),
        ("<style> block", STYLE_BLOCK),
    ):
        found += [f"{label}: {match.group(0)[:80]!r}" for match in pattern.finditer(text)]
    return found


@pytest.mark.parametrize(
    "markup",
    [
        "<script>alert(1)</script>",
        '<script type="text/javascript">x()</script>',
        '<button type="button" onclick="go()">x</button>',
        '<select name="a"\n        onchange="this.form.submit()">',
        '<a href="javascript:history.back()">返回</a>',
        '<td style="padding-left: 2em">',
        "<style>.x { color: red }</style>",
    ],
)
def test_the_template_scan_finds_what_the_policy_blocks(markup):
    assert blocked_markup(markup)


@pytest.mark.parametrize(
    "markup",
    [
        '<script src="/static/portal/tablet.js" defer></script>',
        '<script id="cfg" type="application/json">{"a": 1}</script>',
        '<a class="online" href="/x" data-onclick="no">',
        "{# an inline <script> or style attribute in a comment #}",
    ],
)
def test_the_template_scan_leaves_what_the_policy_allows(markup):
    assert not blocked_markup(markup)


def test_no_template_holds_inline_script_handlers_or_styles():
    templates = sorted(TEMPLATE_ROOT.glob("**/templates/**/*.html"))
    assert len(templates) > 50  # the walk found the apps' templates
    problems = {
        str(path.relative_to(TEMPLATE_ROOT)): found
        for path in templates
        if (found := blocked_markup(path.read_text(encoding="utf-8")))
    }
    assert problems == {}


def test_the_policy_built_once_follows_the_settings_and_the_library_decorators(db, settings, rf):
    from csp.decorators import csp_exempt, csp_update
    from django.http import HttpResponse

    from haochaping.core.csp import CSPMiddleware

    middleware = CSPMiddleware(lambda request: HttpResponse())
    assert "script-src 'self'" in middleware(rf.get("/x"))["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert middleware(rf.get("/x"))["Content-Security-Policy"] == "default-src 'none'"
    # A view that needs another policy still gets the library's handling.
    updated = CSPMiddleware(csp_update({"img-src": ["https://example.org"]})(lambda request: HttpResponse()))
    assert "img-src https://example.org" in updated(rf.get("/x"))["Content-Security-Policy"]
    exempt = CSPMiddleware(csp_exempt()(lambda request: HttpResponse()))
    assert "Content-Security-Policy" not in exempt(rf.get("/x"))
