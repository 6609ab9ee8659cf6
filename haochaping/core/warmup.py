"""Work a server process does once at start, so that no visitor's request pays for it.

Django imports the URLconf (and with it every view module, the API's schemas, openpyxl, fpdf …)
on the first request a process serves, and compiles each template on its first render; the
rating-text classifier loads jieba's dictionary on first use. On the demo data that made the
first console page of every worker process take 1–2 s and the first 评价中的建议 page another
0.6–1 s (``bench/console.py`` measures it). ``warm_up()`` does all of it up front; ``wsgi.py``
calls it when a server worker loads the application, before it accepts a request.

An app adds its own start-up work as a ``warm_up()`` method on its ``AppConfig`` (outreach:
jieba's dictionary). Management commands and tests do not call it: they start faster without.

What warm-up loads lives as long as the process: compiled templates, view modules, jieba's
dictionary: most of the objects the collector tracks. ``freeze_heap()`` then moves them out of
the cyclic garbage collector's sight (``gc.freeze``), so its full collections, which otherwise
pause a request every few requests to walk them all, walk only what requests create.
"""

from __future__ import annotations

import gc
import logging
import time
from pathlib import Path

from django.apps import apps
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.urls import get_resolver

logger = logging.getLogger(__name__)


def warm_up() -> dict[str, float]:
    """Import the URLconf, compile every template, run each app's ``warm_up``; seconds per part."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    get_resolver().url_patterns  # noqa: B018  (imports the URLconf and every view module)
    timings["urls"] = time.perf_counter() - started
    started = time.perf_counter()
    compile_templates()
    timings["templates"] = time.perf_counter() - started
    for config in apps.get_app_configs():
        hook = getattr(config, "warm_up", None)
        if callable(hook):
            started = time.perf_counter()
            hook()
            timings[config.label] = time.perf_counter() - started
    return timings


def freeze_heap() -> int:
    """Collect what warm-up left as garbage, then freeze every object still alive (the permanent
    generation: never walked by later collections, never freed); how many were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def compile_templates() -> int:
    """Load every project template through each engine, filling the cached loader; the count."""
    count = 0
    for engine in engines.all():
        for directory in engine.template_dirs:
            root = Path(directory)
            if not root.is_dir() or "site-packages" in root.parts:
                continue  # Django's and libraries' own templates are rarely rendered
            for path in sorted(root.rglob("*.html")):
                try:
                    engine.get_template(path.relative_to(root).as_posix())
                except (TemplateDoesNotExist, TemplateSyntaxError) as exc:  # shown again on use
                    logger.warning("template %s not precompiled: %s", path, exc)
                    continue
                count += 1
    return count
