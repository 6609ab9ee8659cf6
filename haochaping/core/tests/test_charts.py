"""ECharts options built in Python (``core.pages.charts``), the ``{% chart %}`` tag, and the
browser library built by ``make install`` (npm ci) served by the app itself (issue 14)."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template import Context, Template, TemplateSyntaxError
from django.templatetags.static import static
from django.test import Client

from haochaping.core.pages.charts import BAD, GOOD, PALETTE, bar_chart, chart_table, line_chart, pie_chart


def dumps(option) -> str:
    """JSON as the page gets it; refuses anything that is not data (a function, a Decimal)."""
    return json.dumps(option, ensure_ascii=False, allow_nan=False)


def test_a_line_chart_has_a_category_axis_a_line_per_series_and_chinese_legend():
    option = line_chart(
        [dt.date(2026, 3, 1), "03-02"], {"好评": [12, 9], "差评": [1, Decimal("0")]}, colors=[GOOD, BAD]
    )
    assert option["xAxis"] == {**option["xAxis"], "type": "category", "data": ["2026-03-01", "03-02"]}
    assert option["yAxis"]["type"] == "value" and option["yAxis"]["minInterval"] == 1
    assert [(s["name"], s["type"], s["data"]) for s in option["series"]] == [
        ("好评", "line", [12, 9]),
        ("差评", "line", [1, 0.0]),
    ]
    assert option["color"] == [GOOD, BAD]
    assert option["tooltip"]["trigger"] == "axis"
    assert "legend" in option  # two series: a legend
    assert "Noto Sans CJK SC" in option["textStyle"]["fontFamily"]
    assert "function" not in dumps(option)


def test_a_percent_line_takes_fractions_and_labels_them_without_a_function():
    option = line_chart(["一月", "二月"], {"好评率": [0.8734, None]}, percent=True)
    assert option["series"][0]["data"] == [87.3, None]  # None: a gap
    assert option["yAxis"]["max"] == 100 and option["yAxis"]["axisLabel"]["formatter"] == "{value}%"
    assert option["tooltip"]["formatter"] == "{b}<br>{a0}：{c0}%"
    assert "legend" not in option and option["color"] == PALETTE
    assert chart_table(option) == (["", "好评率"], [["一月", "87.3%"], ["二月", "—"]])
    dumps(option)


def test_a_horizontal_bar_chart_lists_categories_down_the_left_first_on_top():
    option = bar_chart(["市场监管局", "人社局"], {"差评": [3, 5]}, horizontal=True)
    assert option["yAxis"]["type"] == "category" and option["yAxis"]["inverse"] is True
    assert option["yAxis"]["data"] == ["市场监管局", "人社局"]
    assert option["xAxis"]["type"] == "value"
    assert option["series"] == [{"name": "差评", "type": "bar", "data": [3, 5], "barMaxWidth": 28}]
    assert chart_table(option) == (["", "差评"], [["市场监管局", 3], ["人社局", 5]])
    stacked = bar_chart(["A"], {"好评": [1], "差评": [2]}, stacked=True)
    assert {s["stack"] for s in stacked["series"]} == {"total"}
    assert stacked["xAxis"]["type"] == "category"
    dumps(stacked)


def test_a_pie_chart_names_each_slice_and_its_share():
    option = pie_chart([("非常满意", 120), ("不满意", Decimal("2"))], name="评价等级")
    (series,) = option["series"]
    assert series["type"] == "pie"
    assert series["data"] == [{"name": "非常满意", "value": 120}, {"name": "不满意", "value": 2.0}]
    assert option["tooltip"]["formatter"] == "{b}：{c}（{d}%）"
    assert chart_table(option) == (["名称", "评价等级"], [["非常满意", 120], ["不满意", 2.0]])
    dumps(option)


def render(source: str, **context) -> str:
    return Template("{% load pages %}" + source).render(Context(context))


def test_the_chart_tag_renders_data_not_code():
    option = line_chart(["03-01"], {"差评": [1]})
    option["series"][0]["name"] = "</script><script>alert(1)</script>"  # text from data is escaped
    html = render('{% chart option id="trend" label="近30天评价量" height="300px" %}', option=option)
    assert '<div class="chart" data-chart="trend" data-height="300px" role="img" aria-label="近30天评价量">' in html
    (data,) = re.findall(r'<script id="trend" type="application/json">(.*?)</script>', html, re.S)
    assert json.loads(data) == option
    # CSP script-src 'self': the only script elements are JSON data, no handlers, no style attributes
    assert re.findall(r"<script[^>]*>", html) == ['<script id="trend" type="application/json">']
    assert not re.search(r"\son\w+=|\sstyle=", html)
    assert "<summary>查看数据</summary>" in html and '<th scope="row">03-01</th>' in html


def test_the_chart_tag_makes_an_id_and_refuses_a_height_that_is_not_a_length():
    html = render('{% chart option label="图" height=240 table=False %}', option=pie_chart([("a", 1)]))
    (chart_id,) = re.findall(r'data-chart="(chart-[0-9a-f]{8})"', html)
    assert f'id="{chart_id}"' in html and 'data-height="240px"' in html and "查看数据" not in html
    with pytest.raises(TemplateSyntaxError):
        render('{% chart option label="图" height="1px;background:red" %}', option={})


def test_make_install_built_echarts_and_the_app_serves_it_with_its_licence():
    vendor = Path(settings.BASE_DIR, "haochaping/core/static/vendor/echarts")
    assert (vendor / "echarts.min.js").is_file(), "run `make install` (npm ci copies ECharts here)"
    version = json.loads(Path(settings.BASE_DIR, "package.json").read_text())["dependencies"]["echarts"]
    locked = json.loads(Path(settings.BASE_DIR, "package-lock.json").read_text())
    assert locked["packages"]["node_modules/echarts"]["version"] == version  # pinned exactly
    assert f't.version="{version}"' in (vendor / "echarts.min.js").read_text()
    assert "Apache License" in (vendor / "LICENSE").read_text() and (vendor / "NOTICE").is_file()
    assert finders.find("vendor/echarts/echarts.min.js") == str(vendor / "echarts.min.js")

    client = Client()
    for path in ("vendor/echarts/echarts.min.js", "pages/charts.js"):
        response = client.get(static(path))  # WhiteNoise, straight from the finders: no collectstatic
        assert response.status_code == 200, path
        assert response["Content-Type"].startswith("text/javascript")
