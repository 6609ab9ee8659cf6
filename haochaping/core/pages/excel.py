"""The Excel tables of the staff pages: one layout for every exported summary (openpyxl).

Title row, a subtitle with period, scope and export time, a header row, one row per unit
(indented by depth), a bold totals row, then the definitions of the figures; rates as 0.0%.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

Column = tuple[str, str, bool]  # (header, key, is a rate)

THIN = Side(style="thin", color="C9D1DD")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="EEF2F8")
TOTAL_FILL = PatternFill("solid", fgColor="E8F0FC")


def write_table_sheet(
    ws: Worksheet,
    *,
    title: str,
    subtitle: str,
    first_header: str,
    columns: Sequence[Column],
    rows: Iterable[Any],
    total: Any,
    value: Callable[[Any, str], Any],
    definitions: Iterable[tuple[str, str]],
) -> None:
    """Fill ``ws``; each row has ``name`` and ``depth``, and ``value(row, key)`` gives a cell."""
    width = 1 + len(columns)
    last = get_column_letter(width)
    ws["A1"] = title
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 30
    ws["A2"] = subtitle
    ws["A2"].alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A2:{last}2")

    header_row = 4
    for col, header in enumerate([first_header, *(header for header, _, _ in columns)], start=1):
        cell = ws.cell(row=header_row, column=col, value=header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def write(row_number: int, row, *, bold: bool = False, fill=None) -> None:
        name = ws.cell(row=row_number, column=1, value=row.name)
        name.alignment = Alignment(indent=row.depth)
        cells = [name]
        for col, (_, key, is_rate) in enumerate(columns, start=2):
            content = value(row, key)
            cell = ws.cell(row=row_number, column=col, value="—" if content is None else content)
            if is_rate and content is not None:
                cell.number_format = "0.0%"
            cell.alignment = Alignment(horizontal="right")
            cells.append(cell)
        for cell in cells:
            cell.border = BORDER
            if bold:
                cell.font = Font(bold=True)
            if fill is not None:
                cell.fill = fill

    row_number = header_row
    for row in rows:
        row_number += 1
        write(row_number, row)
    row_number += 1
    write(row_number, total, bold=True, fill=TOTAL_FILL)

    row_number += 2
    ws.cell(row=row_number, column=1, value="指标说明").font = Font(bold=True)
    for term, text in definitions:
        row_number += 1
        ws.cell(row=row_number, column=1, value=term)
        ws.cell(row=row_number, column=2, value=text)
        ws.merge_cells(start_row=row_number, start_column=2, end_row=row_number, end_column=width)

    ws.column_dimensions["A"].width = 30
    for col, (header, _, is_rate) in enumerate(columns, start=2):
        ws.column_dimensions[get_column_letter(col)].width = 12 if is_rate or len(header) > 4 else 9
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
