"""The 通报's files: the Word document (docxtpl over the centre's template) and the Excel
appendix (one sheet per table), both rendered from the snapshot alone.

The Jinja2 environment is sandboxed (an uploaded template is data, not code) and strict (a
misspelt name fails the upload's check instead of printing nothing); values are XML-escaped.
docxtpl, python-docx and Jinja2 are imported on first use (about a second on a slow machine),
not when the URLconf loads. The context is the snapshot's keys plus ``doc_number``, ``date_text`` and the charts
(``chart_levels``, ``chart_trend``: an image, or "" when there is nothing to draw).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from openpyxl import Workbook

from haochaping.analytics.reports.charts import level_chart, trend_chart
from haochaping.core.pages.excel import write_table_sheet

# The default template, built by ``analytics/report_template.py``.
TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "templates_docx" / "monthly_report.docx"
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
MAX_TEMPLATE_UNPACKED = 50 * 1024 * 1024
NEXT_STEPS_HEADING = "七、"


def default_template() -> bytes:
    return TEMPLATE_PATH.read_bytes()


def _environment():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def render_docx(template: bytes, snapshot: dict[str, Any], *, doc_number: str, date_text: str) -> bytes:
    """The Word document: ``template`` filled with the snapshot (errors propagate)."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    document = DocxTemplate(io.BytesIO(template))
    charts = {}
    for name, draw in (("chart_levels", level_chart), ("chart_trend", trend_chart)):
        png = draw(snapshot)
        charts[name] = InlineImage(document, io.BytesIO(png), width=Mm(150)) if png else ""
    context = {**snapshot, **charts, "doc_number": doc_number, "date_text": date_text}
    document.render(context, jinja_env=_environment(), autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def next_steps(docx: bytes) -> list[str]:
    """The paragraphs of 七、下一步工作 in a rendered document (the template's own text), up to
    the next heading, the 附件 line or the signature."""
    from docx import Document

    document = Document(io.BytesIO(docx))
    steps: list[str] = []
    inside = False
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        style = paragraph.style.name if paragraph.style is not None else ""
        if style.startswith("Heading") or style.startswith("标题"):
            if inside:
                break
            inside = text.startswith(NEXT_STEPS_HEADING)
            continue
        if not inside:
            continue
        if text.startswith("附件") or style in ("通报落款", "通报附注"):
            break
        if text:
            steps.append(text)
    return steps


def check_template(content: bytes, sample: dict[str, Any]) -> None:
    """Refuse (``ValidationError``, Chinese) a file that is not a usable 通报 template: not a
    Word package, too large unpacked, or failing to render the sample data."""
    from docx import Document

    if len(content) > MAX_TEMPLATE_BYTES:
        raise ValidationError("模板文件不能超过 5 MB")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ValidationError("不是有效的 Word 文档（.docx），请上传用 Word 或 WPS 保存的 .docx 文件") from exc
    if "word/document.xml" not in names:
        raise ValidationError("不是有效的 Word 文档（.docx），请上传用 Word 或 WPS 保存的 .docx 文件")
    if unpacked > MAX_TEMPLATE_UNPACKED:
        raise ValidationError("模板文件解压后过大")
    try:
        rendered = render_docx(content, sample, doc_number="示例〔2026〕1号", date_text="2026年2月1日")
        Document(io.BytesIO(rendered))
    except Exception as exc:  # any template or package error is the upload's fault: say what it was
        raise ValidationError(f"模板无法生成通报：{_describe(exc)}。原模板未改变。") from exc


def _describe(exc: Exception) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if type(exc).__name__ == "UndefinedError":
        return f"模板中使用了不存在的字段（{message}）"
    if type(exc).__name__ == "TemplateSyntaxError":
        return f"模板标记有语法错误（{message}）"
    return f"{type(exc).__name__}: {message}"[:300]


# -- Excel appendix --------------------------------------------------------------------------------


def _rows(items: list[dict[str, Any]], name: str) -> list[SimpleNamespace]:
    return [SimpleNamespace(**{**item, "name": item.get(name, ""), "depth": 0}) for item in items]


def _sheet(
    wb: Workbook, title: str, heading: str, snapshot: dict[str, Any], first: str, columns, rows, definitions=()
) -> None:
    ws = wb.create_sheet(title)
    write_table_sheet(
        ws,
        title=heading,
        subtitle=f"{snapshot['title']}　统计期间：{snapshot['period_range']}",
        first_header=first,
        columns=[(header, key, False) for header, key in columns],
        rows=rows,
        total=None,
        value=lambda row, key: getattr(row, key, ""),
        definitions=definitions,
    )


def render_xlsx(snapshot: dict[str, Any], *, doc_number: str) -> bytes:
    """The Excel appendix: every table of the report, one sheet each."""
    wb = Workbook()
    wb.remove(wb.active)
    tiles = snapshot["overall"]["tiles"]
    _sheet(
        wb,
        "表1 主要指标",
        "表1　主要指标",
        snapshot,
        "指标",
        [
            ("本期", "display"),
            ("上期", "previous_display"),
            ("环比", "vs_previous"),
            ("去年同期", "year_display"),
            ("同比", "vs_year"),
        ],
        _rows(tiles, "name"),
        [(t["name"], t["definition"]) for t in tiles],
    )
    _sheet(
        wb,
        "表2 各单位评价",
        "表2　各单位评价情况",
        snapshot,
        "单位",
        [
            ("名次", "rank"),
            ("办件服务数", "services"),
            ("评价数", "ratings"),
            ("好评率", "good_rate"),
            ("差评数", "bad"),
            ("差评率", "bad_rate"),
            ("满意度得分", "score"),
            ("排名值", "adjusted"),
        ],
        _rows(snapshot["units"]["rows"], "name"),
        [("排名方法", snapshot["units"]["method"])],
    )
    _sheet(
        wb,
        "表3 差评整改",
        "表3　各单位差评整改情况",
        snapshot,
        "单位",
        [
            ("差评工单", "cases"),
            ("已整改", "rectified"),
            ("整改率", "rectify_rate"),
            ("按期整改率", "on_time_rate"),
            ("逾期未整改", "overdue_open"),
        ],
        _rows(snapshot["rectification"]["rows"], "name"),
    )
    _sheet(
        wb,
        "表4 诉求和回访",
        "表4　各单位诉求办理和回访情况",
        snapshot,
        "单位",
        [
            ("应回访", "callbacks_required"),
            ("已回访", "callbacks_done"),
            ("回访率", "callback_rate"),
            ("诉求数", "demands"),
            ("按期答复率", "demand_on_time_rate"),
        ],
        _rows(snapshot["outreach"]["rows"], "name"),
    )
    _sheet(
        wb,
        "表5 重点督办对象",
        "表5　重点督办对象",
        snapshot,
        "督办对象",
        [("类别", "kind"), ("所属单位", "unit"), ("原因", "reason"), ("整改期限", "deadline")],
        _rows(snapshot["supervision"]["rows"], "name"),
        # Without targets the summary (which ends with the supervision records' sentence) is the
        # note; with targets, that sentence alone (snapshots before it have no "records").
        [("督查检查", snapshot["supervision"]["records"]["text"])]
        + ([("评价质量", snapshot["integrity"]["text"])] if "integrity" in snapshot else [])
        + ([("共性问题", snapshot["common_problems"]["text"])] if "common_problems" in snapshot else [])
        if snapshot["supervision"]["rows"] and "records" in snapshot["supervision"]
        else ([] if snapshot["supervision"]["rows"] else [("说明", snapshot["supervision"]["summary"])]),
    )
    attribution = snapshot.get("attribution")  # snapshots before it have none
    if attribution:
        _sheet(
            wb,
            "表6 差评归因",
            "表6　差评主要原因（评价维度、评价理由）",
            snapshot,
            "项目",
            [("条数", "count"), ("占已归因差评", "share")],
            _rows([{"label": f"维度：{d['label']}", "count": d["count"], "share": f"{d['share']}%"}
                   for d in attribution["dimensions"]]
                  + [{"label": f"理由：{r['text'] or r['code']}", "count": r["count"], "share": f"{r['share']}%"}
                     for r in attribution["reasons"]], "label"),
            [("说明", attribution["summary"])],
        )  # fmt: skip
    _sheet(
        wb,
        "评价等级构成",
        "图1　评价等级构成",
        snapshot,
        "等级",
        [("有效评价数", "count"), ("占比", "share")],
        _rows(snapshot["overall"]["levels"], "label"),
    )
    _sheet(
        wb,
        "每日趋势",
        "图2　每日评价量趋势",
        snapshot,
        "日期",
        [("评价数", "ratings"), ("差评数", "bad"), ("满意度得分", "score")],
        _rows(snapshot["days"], "day"),
    )
    wb.properties.title = f"{snapshot['title']}（{doc_number}）数据附表"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
