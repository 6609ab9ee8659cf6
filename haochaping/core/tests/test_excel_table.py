"""``write_table_sheet``: each kind of cell is styled once and its style copied to the others of
its kind; every cell still carries the style of its kind (indent by depth, rates as 0.0%, a
bold filled totals row, borders everywhere in the table)."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from openpyxl import Workbook, load_workbook

from haochaping.core.pages.excel import TOTAL_FILL, write_table_sheet

COLUMNS = [("差评数", "bad", False), ("整改率", "rate", True)]


@dataclass
class Row:
    name: str
    depth: int
    bad: int
    rate: float | None


def _style(cell) -> tuple:
    return (cell.font.b, cell.fill.fgColor.rgb if cell.fill.fill_type else None, cell.border.left.style,
            cell.alignment.horizontal, cell.alignment.indent, cell.number_format)  # fmt: skip


def test_every_cell_has_the_style_of_its_kind():
    rows = [Row("区市场监督管理局", 1, 3, 0.5), Row("某社区便民服务点", 2, 0, None), Row("区人社局", 1, 2, 1.0)]
    wb = Workbook()
    write_table_sheet(wb.active, title="汇总", subtitle="期间", first_header="单位", columns=COLUMNS, rows=rows,
                      total=Row("合计", 0, 5, 0.75), value=getattr, definitions=[("差评数", "说明")])  # fmt: skip
    buffer = BytesIO()
    wb.save(buffer)
    ws = load_workbook(BytesIO(buffer.getvalue())).active
    table = {r[0].value: r for r in ws.iter_rows(min_row=5, max_row=8, max_col=3)}
    total_fill = TOTAL_FILL.fgColor.rgb
    assert [_style(c) for c in table["区市场监督管理局"]] == [
        (False, None, "thin", None, 1, "General"),
        (False, None, "thin", "right", 0, "General"),
        (False, None, "thin", "right", 0, "0.0%"),
    ]
    assert [_style(c) for c in table["某社区便民服务点"]] == [
        (False, None, "thin", None, 2, "General"),
        (False, None, "thin", "right", 0, "General"),
        (False, None, "thin", "right", 0, "General"),  # no rate: "—", not a percentage
    ]
    assert table["某社区便民服务点"][2].value == "—"
    assert [_style(c) for c in table["区人社局"]] == [_style(c) for c in table["区市场监督管理局"]]
    assert [_style(c) for c in table["合计"]] == [
        (True, total_fill, "thin", None, 0, "General"),
        (True, total_fill, "thin", "right", 0, "General"),
        (True, total_fill, "thin", "right", 0, "0.0%"),
    ]
