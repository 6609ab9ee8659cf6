"""The Excel tables of the staff pages (openpyxl): one layout for every exported summary, and
``ListExport`` for a filtered list streamed row by row.

Title row, a subtitle with period, scope and export time, a header row, one row per unit
(indented by depth), a bold totals row, then the definitions of the figures; rates as 0.0%.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from haochaping.core.pages.downloads import XLSX, content_disposition

Column = tuple[str, str, bool]  # (header, key, is a rate)

THIN = Side(style="thin", color="C9D1DD")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="EEF2F8")
TOTAL_FILL = PatternFill("solid", fgColor="E8F0FC")
# Rows fetched per query by a list export (``queryset.iterator(chunk_size=EXPORT_CHUNK)``).
EXPORT_CHUNK = 2000


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
    if total is not None:  # tables without a total row (e.g. measures) pass None
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


# --- streamed lists ------------------------------------------------------------------------------


class ListExport:
    """A filtered list as a one-sheet workbook, written row by row (flat memory at any length).

    openpyxl's write-only mode streams each row to a temporary file and writes strings inline
    (no shared-string table held in memory); the finished workbook is itself a temporary file,
    served by ``response()`` in blocks and deleted when the response is closed. ``rows`` is the
    number of data rows written (for the audit event, which is recorded before the file is sent).
    """

    def __init__(self, *, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], widths=None) -> None:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=title[:31])
        for col, width in enumerate(widths or [], start=1):
            sheet.column_dimensions[get_column_letter(col)].width = width
        sheet.freeze_panes = "A2"
        header_font = Font(bold=True)
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=header)
            cell.font = header_font
            cell.fill = HEADER_FILL
            header_cells.append(cell)
        sheet.append(header_cells)
        self.rows = 0
        for row in rows:
            sheet.append([_cell(sheet, value) for value in row])
            self.rows += 1
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response
        workbook.save(self.file)
        self.file.seek(0)

    def response(self, *, filename: str, fallback: str) -> FileResponse:
        response = FileResponse(self.file, content_type=XLSX)
        response["Content-Disposition"] = content_disposition(filename, fallback=fallback)
        response["X-Content-Type-Options"] = "nosniff"
        return response


def _cell(sheet, value: Any) -> Any:
    """One cell's value: local time without zone, text never read as a formula or with
    characters XML cannot carry."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("="):  # a citizen's text is never a formula
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            return cell
    return value


def export_stamp() -> str:
    """The date part of an export's file name (local time)."""
    return timezone.localtime().strftime("%Y%m%d-%H%M")
