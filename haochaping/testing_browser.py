"""Browser tests: headless Debian Chromium driven by Playwright, against pytest-django's live server.

Use the ``browser`` fixture in a test marked ``@pytest.mark.browser``::

    pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

    def test_something(browser):
        page = browser.new_page("phone")            # or "pc"; javascript=False; big=True (大字)
        page.goto("/r/...")                         # relative to the live server
        browser.screenshot(page, "rate-phone")      # -> artifacts/screenshots/rate-phone.png

How it runs:

* The browser is the system's ``/usr/bin/chromium`` (Debian package, installed with
  ``fonts-noto-cjk`` by ``make browser-deps``), never one downloaded by ``playwright install``.
  A missing Chromium fails the test loudly rather than skipping it.
* Every ``new_page`` starts its own Chromium with a fresh user data dir under the test's
  ``tmp_path`` (a persistent context, so each device profile — phone or PC, JavaScript on or
  off — is a separate, clean browser: no cookie, cache or storage is shared).
* The live server runs in its own thread and sees the test's data because the test uses a
  transactional database (pytest-django adds ``transactional_db`` for ``live_server``).
* Every page is watched for Content-Security-Policy violations: Chromium reports each one on the
  console, with "Content Security Policy" in the text ("Executing inline script violates the
  following Content Security Policy directive …"), and a test whose pages caused any fails at
  teardown, so every browser test also proves that its pages run under the policy
  (``settings.CONTENT_SECURITY_POLICY``). A test that provokes one on purpose reads and clears
  ``browser.csp_violations``.
  The policy also binds the test's own polling: give ``page.wait_for_function`` a function
  (``"() => …"``), not an expression, which Playwright would re-run with ``eval()`` (refused:
  no ``'unsafe-eval'``); ``page.evaluate`` is not affected.

The event loop and Django's ORM: Playwright's sync API keeps its asyncio loop marked as
*running* in the test thread for as long as Playwright is started (its dispatcher lives in a
greenlet), and Django refuses ORM calls from a thread with a running loop
(``SynchronousOnlyOperation``). That check guards against blocking a loop from inside a
coroutine; here no Django code ever runs inside one — the server answers in its own thread,
and the test's own queries are plain synchronous calls between two Playwright calls. So the
fixture sets ``DJANGO_ALLOW_ASYNC_UNSAFE`` only for the time Playwright is started and restores
it afterwards: data set up before the fixture, assertions inside the test and the database
flush after it all work, and the rest of the suite keeps Django's guard.

One consequence to know: with a loop running, asgiref's thread-critical storage (which holds
Django's connections) switches to a per-context store, so queries made in the test body run on
a second connection of the test thread. Under the live server's transactional database that
is harmless (autocommit: everything committed is visible to both); the fixture closes that
second connection before stopping Playwright so it never outlives the test.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
DEVICES: dict[str, dict[str, Any]] = {
    # A 375 px wide phone (iPhone SE 2nd gen … 13 mini class), touch, mobile user agent.
    "phone": {
        "viewport": {"width": 375, "height": 812},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "user_agent": IPHONE_UA,
    },
    # A 390 px wide phone (iPhone 12 … 15 class), the width the demo walk-through used.
    "phone-390": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
        "user_agent": IPHONE_UA,
    },
    # An ordinary office PC (Chromium's own desktop user agent).
    "pc": {"viewport": {"width": 1280, "height": 800}},
    # A hall display (大屏): full HD.
    "screen": {"viewport": {"width": 1920, "height": 1080}},
}


class BrowserSession:
    """Starts browsers for one test and knows the live server's address."""

    def __init__(self, playwright, base_url: str, profiles: Path):
        self.playwright = playwright
        self.base_url = base_url
        self._profiles = profiles
        self._numbers = itertools.count(1)
        self._contexts: list = []
        self.csp_violations: list[str] = []

    def _watch(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def new_page(
        self, device: str = "phone", *, javascript: bool = True, big: bool = False, args: tuple[str, ...] = ()
    ):
        """A page in a fresh Chromium (own profile) emulating ``device``; ``big`` = 大字 cookie set;
        ``args``: more Chromium switches (e.g. ``--js-flags=--expose-gc`` for memory tests)."""
        profile = self._profiles / f"chromium-{next(self._numbers)}"
        context = self.playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_ARGS, *args],
            base_url=self.base_url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            java_script_enabled=javascript,
            **DEVICES[device],
        )
        self._contexts.append(context)
        context.on("console", self._watch)
        context.set_default_timeout(15_000)
        if big:
            context.add_cookies([{"name": "portal_big", "value": "1", "url": self.base_url}])
        return context.pages[0] if context.pages else context.new_page()

    def screenshot(self, page, name: str, *, full_page: bool = True) -> Path:
        """Save a PNG of the page as a test artifact (artifacts/ is git-ignored)."""
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    def close(self) -> None:
        for context in self._contexts:
            context.close()
        self._contexts.clear()


@pytest.fixture
def browser(live_server, tmp_path) -> Iterator[BrowserSession]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: browser tests need Debian's chromium and fonts-noto-cjk "
            "(run `make browser-deps` as root), or deselect them with -m 'not browser'",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    previous = os.environ.get(ASYNC_UNSAFE)
    playwright = sync_playwright().start()
    os.environ[ASYNC_UNSAFE] = "true"  # see the module docstring: only while Playwright runs
    session = BrowserSession(playwright, live_server.url, tmp_path)
    try:
        yield session
        violations = list(session.csp_violations)
    finally:
        try:
            session.close()
        finally:
            # While Playwright's loop runs, asgiref keeps this thread's database connections in a
            # per-context store, apart from the thread's usual ones: close those now, or they
            # outlive the test (and PostgreSQL refuses to drop the test database at the end).
            connections.close_all()
            playwright.stop()
            if previous is None:
                os.environ.pop(ASYNC_UNSAFE, None)
            else:
                os.environ[ASYNC_UNSAFE] = previous
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations), pytrace=False)
