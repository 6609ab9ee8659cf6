"""A server worker does its one-time work when it loads the application, not on a visitor's
first request (issue 13 item 17): in a fresh process, importing ``haochaping.wsgi`` (what granian
does in each worker) leaves the URLconf imported, the templates compiled and jieba's dictionary
loaded; ``bench/console.py`` times the pages cold and warm on the demo data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

PROBE = """
import gc, json, sys
import haochaping.wsgi
import jieba
from django.template import engines
loader = engines["django"].engine.template_loaders[0]
print(json.dumps({
    "urls": "haochaping.urls" in sys.modules and "haochaping.api" in sys.modules,
    "templates": sorted(loader.get_template_cache),
    "jieba": jieba.dt.initialized,
    "frozen": gc.get_freeze_count(),
    "tracked": len(gc.get_objects()),
}))
"""


def probe(tmp_path: Path, **env: str) -> dict:
    environ = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "haochaping.settings_test",
        "HAOCHAPING_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(settings.BASE_DIR),
        **env,
    }
    out = subprocess.run(  # noqa: S603  (fixed argv)
        [sys.executable, "-c", PROBE], env=environ, capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_loading_the_wsgi_application_warms_the_process_up(tmp_path):
    found = probe(tmp_path)
    assert found["urls"] is True
    assert found["jieba"] is True
    for name in ("console/base.html", "rectification/case_detail.html", "outreach/suggestions.html"):
        assert name in found["templates"]
    # What warm-up loaded is frozen (gc.freeze): the collector's full passes walk only the objects
    # created since, a small share of them, instead of pausing a request to walk them all.
    assert found["frozen"] > 100_000
    assert found["tracked"] < found["frozen"] / 10


def test_warm_up_can_be_switched_off(tmp_path):
    found = probe(tmp_path, HAOCHAPING_WARM_UP="0")
    assert {k: found[k] for k in ("urls", "templates", "jieba", "frozen")} == {
        "urls": False,
        "templates": [],
        "jieba": False,
        "frozen": 0,
    }
