"""The Excel tables of the staff pages: one layout for every exported summary (openpyxl), and
``ListExport`` for a filtered list written row by row (its own sheet writer: a list runs to
hundreds of thousands of rows).

Title row, a subtitle with period, scope and export time, a header row, one row per unit
(indented by depth), a bold totals row, then the definitions of the figures; rates as 0.0%.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from copy import copy
from decimal import Decimal
from typing import Any

from django.http import FileResponse
from django.utils import timezone
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
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

    # A cell's style is set once per kind of cell and copied to the others of its kind (setting
    # a border, font or fill hashes it each time: most of a summary's export time otherwise).
    styles: dict[tuple, Any] = {}

    def style(cell, kind: tuple, *, bold: bool, fill, **alignment) -> None:
        key = (*kind, bold, id(fill))
        if key in styles:
            cell._style = copy(styles[key])
            return
        cell.alignment = Alignment(**alignment)
        cell.border = BORDER
        if bold:
            cell.font = Font(bold=True)
        if fill is not None:
            cell.fill = fill
        styles[key] = copy(cell._style)

    def write(row_number: int, row, *, bold: bool = False, fill=None) -> None:
        name = ws.cell(row=row_number, column=1, value=row.name)
        style(name, ("name", row.depth), bold=bold, fill=fill, indent=row.depth)
        for col, (_, key, is_rate) in enumerate(columns, start=2):
            content = value(row, key)
            cell = ws.cell(row=row_number, column=col, value="—" if content is None else content)
            rate = is_rate and content is not None
            if rate:
                cell.number_format = "0.0%"
            style(cell, ("value", rate), bold=bold, fill=fill, horizontal="right")

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

# The parts of a one-sheet workbook around its sheet (SpreadsheetML, ECMA-376): what Excel, WPS
# and openpyxl need to open it, nothing more. Styles: 0 plain, 1 header (bold, shaded), 2 a date,
# 3 a date and time, 4 a title (bold, 15 pt), 5 a header centred and wrapped, 6 a rate (0.0%).
_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
<Override PartName="/docProps/app.xml" \
ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>\
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" \
Target="docProps/app.xml"/>\
</Relationships>"""
_APP = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">\
<Application>Microsoft Excel</Application></Properties>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<bookViews><workbookView/></bookViews>\
<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>\
</Relationships>"""
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>\
<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/><numFmt numFmtId="166" formatCode="0.0%"/></numFmts>\
<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="15"/><name val="Calibri"/></font></fonts>\
<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>\
<fill><patternFill patternType="solid"><fgColor rgb="FF{fill}"/></patternFill></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1">\
<alignment horizontal="center" wrapText="1"/></xf>\
<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>""".replace("{fill}", HEADER_FILL.fgColor.rgb[-6:])
_SHEET_HEAD = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>\
<sheetFormatPr defaultRowHeight="15"/>{cols}<sheetData>"""
_SHEET_TAIL = "</sheetData></worksheet>"
_EPOCH = dt.datetime(1899, 12, 30)  # Excel's day 0 (1900 date system, as Excel counts it after 1900-03-01)
_ROWS_PER_WRITE = 500
_TITLE, _HEADER, _CENTRED_HEADER, _RATE = ' s="4"', ' s="1"', ' s="5"', ' s="6"'


class Rate(float):
    """A cell of ``ListExport`` shown as a percentage with one decimal (0.0%)."""


def _pane(freeze: str) -> str:
    """The frozen rows and columns above and left of the cell ``freeze`` (``A2``: the first row)."""
    letter, number = coordinate_from_string(freeze)
    columns, row = column_index_from_string(letter) - 1, number - 1
    side = "bottomRight" if columns and row else "bottomLeft" if row else "topRight"
    split = (f' xSplit="{columns}"' if columns else "") + (f' ySplit="{row}"' if row else "")
    return (
        f'<pane{split} topLeftCell="{freeze}" activePane="{side}" state="frozen"/>'
        f'<selection pane="{side}" activeCell="{freeze}" sqref="{freeze}"/>'
    )


class ListExport:
    """A filtered list as a one-sheet workbook, written row by row (flat memory at any length).

    The sheet's XML is written straight into a deflated zip member of a temporary file, a few
    hundred rows at a time, strings inline (no shared-string table held in memory); the finished
    workbook is served by ``response()`` in blocks and deleted when the response is closed.
    ``rows`` is the number of data rows written (for the audit event, which is recorded before
    the file is sent). Cells: text (never a formula; characters XML cannot carry are dropped),
    numbers (a ``Rate`` as 0.0%), and dates and times as Excel dates; an aware datetime is written
    as local time text.

    ``preamble``: rows above the header, the first in bold 15 pt (a title); ``centred_headers``:
    the headers centred and wrapped; ``freeze``: the top left cell of the part that scrolls (by
    default the first row under the header).
    """

    def __init__(
        self,
        *,
        title: str,
        headers: Sequence[str],
        rows: Iterable[Sequence[Any]],
        widths=None,
        preamble: Sequence[Sequence[Any]] = (),
        centred_headers: bool = False,
        freeze: str = "",
    ) -> None:
        self.preamble, self.centred_headers = preamble, centred_headers
        self.freeze = freeze or f"A{len(preamble) + 2}"
        self.rows = 0
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response
        try:
            with zipfile.ZipFile(self.file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as book:
                for name, text in (
                    ("[Content_Types].xml", _CONTENT_TYPES),
                    ("_rels/.rels", _RELS),
                    ("docProps/app.xml", _APP),
                    ("xl/workbook.xml", _WORKBOOK.format(name=_xml_attribute(_sheet_title(title)))),
                    ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
                    ("xl/styles.xml", _STYLES),
                ):
                    book.writestr(name, text)
                with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                    self._write_sheet(sheet, headers, rows, widths or [])
        except BaseException:
            self.file.close()
            raise
        self.file.seek(0)

    def _write_sheet(self, sheet, headers: Sequence[str], rows: Iterable[Sequence[Any]], widths) -> None:
        cols = "".join(
            f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>' for n, width in enumerate(widths, start=1)
        )
        sheet.write(_SHEET_HEAD.format(pane=_pane(self.freeze), cols=f"<cols>{cols}</cols>" if cols else "").encode())
        width = max([len(headers), *(len(row) for row in self.preamble)])
        letters = [get_column_letter(n) for n in range(1, width + 1)]
        local = timezone.get_current_timezone()
        buffer = [
            _row_xml(n, row, letters, local, style=_TITLE if n == 1 else "")
            for n, row in enumerate(self.preamble, start=1)
        ]
        number = len(self.preamble) + 1
        buffer.append(
            _row_xml(number, headers, letters, local, style=_CENTRED_HEADER if self.centred_headers else _HEADER)
        )
        header_row = number
        for row in rows:
            number += 1
            if len(row) > len(letters):
                letters += [get_column_letter(n) for n in range(len(letters) + 1, len(row) + 1)]
            buffer.append(_row_xml(number, row, letters, local))
            if len(buffer) >= _ROWS_PER_WRITE:
                sheet.write(_xml_chunk(buffer))
                buffer.clear()
        buffer.append(_SHEET_TAIL)
        sheet.write(_xml_chunk(buffer))
        self.rows = number - header_row

    def response(self, *, filename: str, fallback: str) -> FileResponse:
        response = FileResponse(self.file, content_type=XLSX)
        response["Content-Disposition"] = content_disposition(filename, fallback=fallback)
        response["X-Content-Type-Options"] = "nosniff"
        return response


def _xml_chunk(parts: list[str]) -> bytes:
    """Rows of the sheet as UTF-8, without the characters XML cannot carry (control characters:
    never in the markup itself, so they are dropped from the whole chunk at once)."""
    text = "".join(parts)
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text.encode()


def _escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _row_xml(number: int, values: Sequence[Any], letters: list[str], local: dt.tzinfo, *, style: str = "") -> str:
    """One ``<row>`` of the sheet: each cell by its kind (see ``ListExport``); ``local`` the time
    zone of the aware datetimes' text."""
    cells = []
    for letter, value in zip(letters, values, strict=False):
        if value is None or value == "":
            continue
        if isinstance(value, str):
            text = _escape(value)
            if text[0].isspace() or text[-1].isspace():
                cells.append(
                    f'<c r="{letter}{number}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
                )
            else:
                cells.append(f'<c r="{letter}{number}"{style} t="inlineStr"><is><t>{text}</t></is></c>')
        elif isinstance(value, bool):
            cells.append(f'<c r="{letter}{number}"{style} t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, Rate):
            cells.append(f'<c r="{letter}{number}"{_RATE}><v>{value:.16g}</v></c>')  # as openpyxl writes it
        elif isinstance(value, int | float | Decimal):
            cells.append(f'<c r="{letter}{number}"{style}><v>{value}</v></c>')
        elif isinstance(value, dt.datetime):
            if value.tzinfo is not None:  # local time as text, to the minute
                text = value.astimezone(local).isoformat(" ", "minutes")[:16]
                cells.append(f'<c r="{letter}{number}"{style} t="inlineStr"><is><t>{text}</t></is></c>')
            else:
                days = (value - _EPOCH) / dt.timedelta(days=1)
                cells.append(f'<c r="{letter}{number}" s="3"><v>{days!r}</v></c>')
        elif isinstance(value, dt.date):
            cells.append(f'<c r="{letter}{number}" s="2"><v>{(value - _EPOCH.date()).days}</v></c>')
        else:
            cells.append(f'<c r="{letter}{number}"{style} t="inlineStr"><is><t>{_escape(str(value))}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def _sheet_title(title: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    return "".join("_" if ch in "[]:*?/\\" else ch for ch in ILLEGAL_CHARACTERS_RE.sub("", title))[:31] or "Sheet1"


def _xml_attribute(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


def export_stamp() -> str:
    """The date part of an export's file name (local time)."""
    return timezone.localtime().strftime("%Y%m%d-%H%M")
