"""ECharts options built in Python for the ``{% chart %}`` tag (``core/templatetags/pages.py``).

Every function returns a plain dict that ``json.dumps`` accepts (no JavaScript functions: the page
has no inline script, ``charts.js`` only reads the JSON). Labels are Chinese, the palette is the
console's (``console.css``), and the fonts are the console's CJK stack, so every chart of every
app looks alike. ``chart_table`` turns an option back into rows for the chart's data table (read
without JavaScript and by screen readers).

    line_chart(["03-01", "03-02"], {"好评": [12, 9], "差评": [1, 0]}, colors=[GOOD, BAD])
    line_chart(days, {"好评率": [0.97, 0.95]}, percent=True)     # fractions, shown as 97.0%
    bar_chart(["市场监管局", "人社局"], {"差评": [3, 5]}, horizontal=True)
    pie_chart([("非常满意", 120), ("满意", 30), ("不满意", 2)])
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

# console.css: --blue, --green, --red, --orange, then quieter tones for further series.
BLUE, GREEN, RED, ORANGE = "#1a56b8", "#1f8a4c", "#d0312d", "#c76a00"
GOOD, BAD = GREEN, RED
PALETTE = [BLUE, GREEN, RED, ORANGE, "#6f42c1", "#2f7d6e", "#8a6d3b", "#6b7584"]
FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif'
TEXT, MUTED, LINE = "#1f2733", "#6b7584", "#e1e6ee"

Number = int | float | Decimal | None


def _label(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _number(value: Number, *, percent: bool = False) -> int | float | None:
    """A JSON number (``None`` = no value: ECharts leaves a gap); ``percent``: 0.873 → 87.3."""
    if value is None:
        return None
    if percent:
        return round(float(value) * 100, 1)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _base(colors: Sequence[str] | None, *, legend: bool) -> dict[str, Any]:
    option: dict[str, Any] = {
        "color": list(colors or PALETTE),
        "textStyle": {"fontFamily": FONT, "color": TEXT},
        "animationDuration": 300,
        "tooltip": {"confine": True},
    }
    if legend:
        option["legend"] = {"top": 0, "textStyle": {"color": TEXT}}
    return option


def _grid(legend: bool) -> dict[str, Any]:
    return {"left": 8, "right": 24, "top": 40 if legend else 16, "bottom": 8, "containLabel": True}


def _value_axis(percent: bool) -> dict[str, Any]:
    axis: dict[str, Any] = {
        "type": "value",
        "axisLabel": {"color": MUTED},
        "splitLine": {"lineStyle": {"color": LINE}},
    }
    if percent:
        axis.update(min=0, max=100)
        axis["axisLabel"]["formatter"] = "{value}%"
    else:
        axis["minInterval"] = 1  # counts: no 0.5 ticks
    return axis


def _category_axis(categories: Iterable[Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "category",
        "data": [_label(c) for c in categories],
        "axisLabel": {"color": MUTED},
        "axisLine": {"lineStyle": {"color": LINE}},
        "axisTick": {"show": False},
        **extra,
    }


def _axis_tooltip(names: Sequence[str], percent: bool) -> dict[str, Any]:
    tooltip: dict[str, Any] = {"trigger": "axis", "confine": True}
    if percent:  # a string template (no function): one line per series, with its unit
        tooltip["formatter"] = "{b}" + "".join(f"<br>{{a{i}}}：{{c{i}}}%" for i in range(len(names)))
    return tooltip


def line_chart(
    x: Sequence[Any],
    series: Mapping[str, Sequence[Number]],
    *,
    percent: bool = False,
    colors: Sequence[str] | None = None,
    area: bool = False,
) -> dict[str, Any]:
    """A line per series over the categories ``x`` (dates become ``YYYY-MM-DD``; pass strings for
    another format). ``percent``: the values are fractions (0.873), shown as 87.3 on a 0–100 %
    axis. ``area`` fills under the lines."""
    names = list(series)
    option = _base(colors, legend=len(names) > 1)
    option.update(
        tooltip=_axis_tooltip(names, percent),
        grid=_grid(len(names) > 1),
        xAxis=_category_axis(x, boundaryGap=False),
        yAxis=_value_axis(percent),
        series=[
            {
                "name": name,
                "type": "line",
                "data": [_number(v, percent=percent) for v in values],
                "showSymbol": len(x) <= 31,
                "symbolSize": 5,
                **({"areaStyle": {"opacity": 0.12}} if area else {}),
            }
            for name, values in series.items()
        ],
    )
    return option


def bar_chart(
    categories: Sequence[Any],
    series: Mapping[str, Sequence[Number]],
    *,
    horizontal: bool = False,
    percent: bool = False,
    stacked: bool = False,
    colors: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Bars per series over ``categories``; ``horizontal`` puts the categories down the left (first
    at the top: for long unit names); ``stacked`` stacks the series; ``percent`` as in
    ``line_chart``."""
    names = list(series)
    option = _base(colors, legend=len(names) > 1)
    categories_axis = _category_axis(categories, **({"inverse": True} if horizontal else {}))
    values_axis = _value_axis(percent)
    option.update(
        tooltip={**_axis_tooltip(names, percent), "axisPointer": {"type": "shadow"}},
        grid=_grid(len(names) > 1),
        xAxis=values_axis if horizontal else categories_axis,
        yAxis=categories_axis if horizontal else values_axis,
        series=[
            {
                "name": name,
                "type": "bar",
                "data": [_number(v, percent=percent) for v in values],
                "barMaxWidth": 28,
                **({"stack": "total"} if stacked else {}),
            }
            for name, values in series.items()
        ],
    )
    return option


def pie_chart(
    items: Sequence[tuple[str, Number]], *, name: str = "", colors: Sequence[str] | None = None
) -> dict[str, Any]:
    """A ring of ``(name, value)`` items, labelled ``名称：值（占比%）``."""
    option = _base(colors, legend=True)
    option["legend"].update(top=None, bottom=0, type="scroll")
    option.update(
        tooltip={"trigger": "item", "confine": True, "formatter": "{b}：{c}（{d}%）"},
        series=[
            {
                "name": name,
                "type": "pie",
                "radius": ["38%", "64%"],
                "center": ["50%", "46%"],
                "avoidLabelOverlap": True,
                "label": {"formatter": "{b}：{c}（{d}%）", "color": TEXT},
                "data": [{"name": str(label), "value": _number(value)} for label, value in items],
            }
        ],
    )
    return option


def chart_table(option: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The option's data as a table, ``(headers, rows)``: one row per category (a column per
    series) for line and bar charts, one row per slice for a pie; ``([], [])`` for other shapes."""
    series = option.get("series") or []
    if len(series) == 1 and series[0].get("type") == "pie":
        return ["名称", series[0].get("name") or "数值"], [[d["name"], d["value"]] for d in series[0]["data"]]
    axes = [option.get("xAxis"), option.get("yAxis")]
    category = next((a for a in axes if isinstance(a, Mapping) and a.get("type") == "category"), None)
    if category is None or not series:
        return [], []
    percent = any(isinstance(a, Mapping) and a.get("axisLabel", {}).get("formatter") == "{value}%" for a in axes)
    headers = ["", *(s.get("name", "") for s in series)]
    rows = []
    for i, label in enumerate(category.get("data", [])):
        values = [s["data"][i] if i < len(s.get("data", [])) else None for s in series]
        rows.append([label, *(("—" if v is None else f"{v}%" if percent else v) for v in values)])
    return headers, rows
