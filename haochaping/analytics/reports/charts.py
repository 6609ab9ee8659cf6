"""The 通报's charts as PNG images (matplotlib, Agg backend: headless, no display needed).

Chinese labels need a CJK font. The first of ``ANALYTICS_CHART_FONTS`` (file paths) that exists
is registered with matplotlib's font manager (``make browser-deps`` installs Debian's
``fonts-noto-cjk``); failing that, any installed font whose name says CJK/SC/Hei/Song. Without
one a warning is logged once and the charts still render (the Chinese glyphs show as boxes).
Charts are drawn from the snapshot only, so a report's images never change.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from pathlib import Path
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

_lock = threading.Lock()  # pyplot's state is global: one chart at a time per process
_font: list[str | None] = []  # resolved once: [family name] or [None]

BLUE, RED, GREY = "#2f6fd6", "#d33b3b", "#8a94a6"
LEVEL_COLOURS = ["#1f9d55", "#58b368", "#f0b429", "#f08a24", "#d33b3b"]


def _font_family() -> str | None:
    """The CJK font family for the charts (resolved once per process), or None."""
    if _font:
        return _font[0]
    from matplotlib import font_manager

    family = None
    for candidate in settings.ANALYTICS_CHART_FONTS:
        if Path(candidate).is_file():
            try:
                font_manager.fontManager.addfont(candidate)
                family = font_manager.FontProperties(fname=candidate).get_name()
                break
            except (OSError, RuntimeError, ValueError):  # an unreadable or unsupported file
                logger.warning("chart font %s could not be loaded", candidate)
    if family is None:
        hints = ("CJK", " SC", "Hei", "Song", "WenQuanYi", "Droid Sans Fallback")
        family = next((f.name for f in font_manager.fontManager.ttflist if any(h in f.name for h in hints)), None)
    if family is None:
        logger.warning("no CJK font found for the report charts (install fonts-noto-cjk): Chinese labels show as boxes")
    _font.append(family)
    return family


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    family = _font_family()
    rc = {"font.size": 10, "axes.unicode_minus": False}
    if family:
        rc["font.family"] = [family, "DejaVu Sans"]
    matplotlib.rcParams.update(rc)
    return Figure(figsize=(width, height), dpi=150)


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Glyph … missing from font": already logged once
        figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def level_chart(snapshot: dict[str, Any]) -> bytes | None:
    """图1: the valid ratings by level (horizontal bars with counts and shares)."""
    levels = snapshot["overall"]["levels"]
    if not any(level["count"] for level in levels):
        return None
    from matplotlib.ticker import MaxNLocator

    with _lock:
        figure = _figure(6.0, 2.6)
        axes = figure.subplots()
        labels = [level["label"] for level in levels][::-1]
        values = [level["count"] for level in levels][::-1]
        bars = axes.barh(labels, values, color=LEVEL_COLOURS[::-1])
        for bar, level in zip(bars, levels[::-1], strict=True):
            axes.annotate(
                f" {level['count']:,}（{level['share']}）",
                (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                va="center",
                fontsize=9,
            )
        axes.set_xlabel("有效评价数")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlim(0, max(values) * 1.3 or 1)
        axes.spines[["top", "right"]].set_visible(False)
        return _png(figure)


def trend_chart(snapshot: dict[str, Any]) -> bytes | None:
    """图2: ratings and bad ratings per day (periods up to a quarter)."""
    days = snapshot.get("days") or []
    if not days:
        return None
    from matplotlib.ticker import MaxNLocator

    with _lock:
        figure = _figure(6.0, 2.8)
        axes = figure.subplots()
        x = list(range(len(days)))
        axes.plot(x, [d["ratings"] for d in days], color=BLUE, marker="o", markersize=3, label="评价数")
        axes.plot(x, [d["bad"] for d in days], color=RED, marker="o", markersize=3, label="差评数")
        step = max(1, len(days) // 8)
        axes.set_xticks(x[::step], [d["day"][5:] for d in days][::step])
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel("条")
        axes.legend(loc="upper left", frameon=False)
        axes.spines[["top", "right"]].set_visible(False)
        return _png(figure)


def placeholder_chart() -> bytes:
    """A chart with nothing to draw (the page asks for it anyway): says 暂无数据."""
    with _lock:
        figure = _figure(6.0, 1.2)
        axes = figure.subplots()
        axes.axis("off")
        axes.text(0.5, 0.5, "暂无数据", ha="center", va="center", color=GREY)
        return _png(figure)


CHARTS = {"levels": level_chart, "trend": trend_chart}
