"""Template tags and filters every staff page may use: rates, data-driven table cells, charts."""

from __future__ import annotations

import re
import secrets

from django import template

from haochaping.core.pages.charts import chart_table

register = template.Library()

CSS_LENGTH = re.compile(r"\d{1,4}(\.\d+)?(px|rem|em|vh|%)")


@register.filter
def percent(value) -> str:
    """0.8734 → "87.3%"; no denominator → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def attr(obj, name: str):
    """``row|attr:"bad"``: a named attribute, for tables whose columns are data."""
    return getattr(obj, name, None)


@register.filter
def get_item(mapping, key):
    """``labels|get_item:key``: a dict lookup with a variable key."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.inclusion_tag("pages/_chart.html")
def chart(option, *, label: str, height="320px", id: str = "", table: bool = True) -> dict:
    """``{% chart option label="近30天每日评价数" height="320px" %}``: an ECharts chart of ``option``
    (a dict from ``core.pages.charts``) without inline script, for a ``script-src 'self'`` policy.

    Renders ``<div class="chart" data-chart="ID" data-height=… role="img" aria-label=…>``, the option
    as ``<script type="application/json" id="ID">`` (Django's ``json_script``: data, not code) and,
    unless ``table=False``, the data as a folded table (查看数据; read without JavaScript and by
    screen readers). ``pages/charts.js`` draws every ``[data-chart]``; the page loads it with
    ``{% include "pages/_chart_scripts.html" %}`` in its ``scripts`` block. ``id`` names the chart
    for ``haochapingCharts.update(id, option)``; by default a random one. ``height``: a CSS length
    or a number of pixels.
    """
    height = f"{height}px" if isinstance(height, int) else str(height)
    if not CSS_LENGTH.fullmatch(height):
        raise template.TemplateSyntaxError(f"chart height must be a CSS length such as 320px, not {height!r}")
    headers, rows = chart_table(option) if table else ([], [])
    return {
        "option": option,
        "label": label,
        "height": height,
        "chart_id": id or f"chart-{secrets.token_hex(4)}",
        "headers": headers,
        "rows": rows,
    }
