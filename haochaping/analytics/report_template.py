"""Builds the default 通报 Word template, ``analytics/templates_docx/monthly_report.docx``.

The committed .docx is this script's output (run it again after changing it)::

    .venv/bin/python -m haochaping.analytics.report_template

The layout follows the official-notice format (GB/T 9704-2012, simplified): the issuing organ
in red (红头) with the 文号 and a red rule under it, a centred title, the 主送 line, the body in
three-size (16 pt) 仿宋 with two-character first-line indents, numbered 黑体 headings (一、…七、),
tables, the charts, the signature and date. The placeholders are docxtpl's Jinja2 tags (see
``analytics.reports.documents`` for the context): ``{{ … }}`` values, ``{%p … %}`` paragraph
loops and conditions, ``{%tr … %}`` table-row loops. The centre may edit everything, the
standard paragraphs of 七、下一步工作 included; an upload is checked by rendering it against
sample data before it is used (``analytics.services.report_template_upload``).
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from haochaping.analytics.reports.documents import TEMPLATE_PATH

# East Asian font names as Word knows them; Word substitutes a near font when one is missing
# (方正小标宋简体 → 宋体/SimSun, 仿宋 → FangSong).
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
RED = RGBColor(0xE0, 0x00, 0x00)

# The standard paragraphs of 七、下一步工作 (the centre edits them in the template).
NEXT_STEPS = [
    "（一）压实整改责任。各单位要对本期差评逐件核实、限期整改，整改情况按时反馈评价人，"
    "做到差评件件有整改、有反馈、有回访。",
    "（二）提升服务质量。针对评价较低的事项和窗口，梳理办事流程、精简申请材料，"
    "加强一次性告知和帮办代办，减少群众等待时间。",
    "（三）扩大主动评价。各服务窗口、便民服务点要主动引导办事群众评价，提高主动评价率，确保评价真实反映服务质量。",
    "（四）强化督查考核。区政务服务中心将继续按月通报评价结果，"
    "评价结果纳入单位和工作人员年度考核；对长期评价靠后的，按照规定进行通报。",
]


def _fonts(target, *, east_asian: str, size: float | None = None, bold: bool | None = None, color=None) -> None:
    """Set a style's or a run's fonts: Latin, East Asian, size, weight, colour."""
    font = target.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if color is not None:
        font.color.rgb = color
    rpr = target.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asian)


def _spacing(fmt, *, indent: bool = False, line: float = 28) -> None:
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(line)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(32)  # two characters of 16 pt


def _styles(doc) -> None:
    styles = doc.styles
    normal = styles["Normal"]
    _fonts(normal, east_asian=BODY_FONT, size=16)
    _spacing(normal.paragraph_format)

    def add(name: str, *, east_asian: str, size: float, bold=False, color=None, align=None, indent=False, line=28):
        style = styles.add_style(name, 1)  # WD_STYLE_TYPE.PARAGRAPH
        style.base_style = normal
        style.quick_style = True
        _fonts(style, east_asian=east_asian, size=size, bold=bold, color=color)
        _spacing(style.paragraph_format, indent=indent, line=line)
        if align is not None:
            style.paragraph_format.alignment = align
        return style

    add("通报红头", east_asian=TITLE_FONT, size=30, bold=False, color=RED, align=WD_ALIGN_PARAGRAPH.CENTER, line=48)
    add("通报文号", east_asian=BODY_FONT, size=16, align=WD_ALIGN_PARAGRAPH.CENTER)
    add("通报标题", east_asian=TITLE_FONT, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, line=36)
    add("通报正文", east_asian=BODY_FONT, size=16, indent=True)
    add("通报主送", east_asian=BODY_FONT, size=16)
    add("通报表题", east_asian=HEADING_FONT, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    add("通报表格", east_asian=BODY_FONT, size=10.5, align=WD_ALIGN_PARAGRAPH.CENTER, line=16)
    add("通报落款", east_asian=BODY_FONT, size=16, align=WD_ALIGN_PARAGRAPH.RIGHT)
    add("通报附注", east_asian=BODY_FONT, size=12, line=20)
    heading = styles["Heading 1"]
    heading.base_style = normal
    _fonts(heading, east_asian=HEADING_FONT, size=16, bold=False, color=RGBColor(0, 0, 0))
    _spacing(heading.paragraph_format, indent=True)
    heading.paragraph_format.keep_with_next = True


def _red_rule(paragraph) -> None:
    """A red line under the paragraph (the rule under the 红头)."""
    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "18"), ("w:space", "6"), ("w:color", "E00000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    ppr.append(border)


def _para(doc, text: str, style: str = "通报正文"):
    return doc.add_paragraph(text, style=style)


def _table(doc, caption: str, headers: list[str], loop: str, cells: list[str]) -> None:
    """A captioned table: a header row and one row per item of ``loop`` (``{%tr for … %}``)."""
    _para(doc, caption, "通报表题")
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row_index, texts in enumerate(
        [
            headers,
            [f"{{%tr for r in {loop} %}}", *[""] * (len(headers) - 1)],
            cells,
            ["{%tr endfor %}", *[""] * (len(headers) - 1)],
        ]
    ):
        for cell, text in zip(table.rows[row_index].cells, texts, strict=True):
            cell.paragraphs[0].style = doc.styles["通报表格"]
            run = cell.paragraphs[0].add_run(text)
            if row_index == 0:
                run.bold = True


def build(path: Path = TEMPLATE_PATH) -> Path:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _styles(doc)
    doc.core_properties.title = "政务服务“好差评”情况通报"
    doc.core_properties.author = "haochaping"

    _para(doc, "{{ organ }}", "通报红头")
    _red_rule(_para(doc, "{{ doc_number }}", "通报文号"))
    _para(doc, "", "通报正文")
    _para(doc, "{{ title }}", "通报标题")
    _para(doc, "", "通报正文")
    _para(doc, "{{ recipients }}", "通报主送")
    _para(doc, "{{ opening }}")

    doc.add_heading("一、总体情况", level=1)
    _para(doc, "{{ overall.summary }}")
    _table(
        doc,
        "表1　主要指标",
        ["指标", "本期", "上期", "环比", "去年同期", "同比"],
        "overall.tiles",
        [
            "{{ r.name }}",
            "{{ r.display }}",
            "{{ r.previous_display }}",
            "{{ r.vs_previous }}",
            "{{ r.year_display }}",
            "{{ r.vs_year }}",
        ],
    )
    _para(doc, "{%p if chart_levels %}", "通报表格")
    _para(doc, "{{ chart_levels }}", "通报表格")
    _para(doc, "图1　评价等级构成", "通报表题")
    _para(doc, "{%p endif %}", "通报表格")
    _para(doc, "{%p if chart_trend %}", "通报表格")
    _para(doc, "{{ chart_trend }}", "通报表格")
    _para(doc, "图2　每日评价量趋势", "通报表题")
    _para(doc, "{%p endif %}", "通报表格")

    doc.add_heading("二、各单位评价情况（排名）", level=1)
    _para(doc, "{{ units.summary }}")
    _table(
        doc,
        "表2　各单位评价情况",
        ["名次", "单位", "评价数", "好评率", "差评数", "差评率", "满意度得分"],
        "units.rows",
        [
            "{{ r.rank }}",
            "{{ r.name }}",
            "{{ r.ratings }}",
            "{{ r.good_rate }}",
            "{{ r.bad }}",
            "{{ r.bad_rate }}",
            "{{ r.score }}",
        ],
    )
    _para(doc, "{{ units.method }}", "通报附注")

    doc.add_heading("三、差评整改情况", level=1)
    _para(doc, "{{ rectification.summary }}")
    _table(
        doc,
        "表3　各单位差评整改情况",
        ["单位", "差评工单", "已整改", "整改率", "按期整改率", "逾期未整改"],
        "rectification.rows",
        [
            "{{ r.name }}",
            "{{ r.cases }}",
            "{{ r.rectified }}",
            "{{ r.rectify_rate }}",
            "{{ r.on_time_rate }}",
            "{{ r.overdue_open }}",
        ],
    )

    doc.add_heading("四、诉求办理和回访情况", level=1)
    _para(doc, "{{ outreach.summary }}")
    _table(
        doc,
        "表4　各单位诉求办理和回访情况",
        ["单位", "应回访", "已回访", "回访率", "诉求数", "按期答复率"],
        "outreach.rows",
        [
            "{{ r.name }}",
            "{{ r.callbacks_required }}",
            "{{ r.callbacks_done }}",
            "{{ r.callback_rate }}",
            "{{ r.demands }}",
            "{{ r.demand_on_time_rate }}",
        ],
    )

    doc.add_heading("五、重点督办对象", level=1)
    _para(doc, "{{ supervision.summary }}")
    _para(doc, "{%p if supervision.rows %}", "通报表格")
    _table(
        doc,
        "表5　重点督办对象",
        ["督办对象", "类别", "所属单位", "原因", "整改期限"],
        "supervision.rows",
        ["{{ r.name }}", "{{ r.kind }}", "{{ r.unit }}", "{{ r.reason }}", "{{ r.deadline }}"],
    )
    _para(doc, "{%p endif %}", "通报表格")

    doc.add_heading("六、存在问题", level=1)
    _para(doc, "{%p for p in problems %}", "通报正文")
    _para(doc, "{{ p }}")
    _para(doc, "{%p endfor %}", "通报正文")

    doc.add_heading("七、下一步工作", level=1)
    for text in NEXT_STEPS:
        _para(doc, text)

    _para(doc, "")
    _para(doc, "附件：{{ appendix }}")
    _para(doc, "")
    _para(doc, "{{ organ }}", "通报落款")
    _para(doc, "{{ date_text }}", "通报落款")
    _para(doc, "")
    _para(doc, "（数据来源：政务服务“好差评”平台，统计时间{{ period_range }}，生成于{{ generated_text }}）", "通报附注")

    doc.core_properties.created = doc.core_properties.modified = dt.datetime(2026, 1, 1)
    doc.core_properties.last_modified_by = "haochaping"
    doc.core_properties.revision = 1
    buffer = io.BytesIO()
    doc.save(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_fixed_zip(buffer.getvalue()))
    return path


def _fixed_zip(content: bytes) -> bytes:
    """The package re-zipped with fixed member dates: the same script gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(member, source.read(info.filename))
    return out.getvalue()


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE_PATH))
