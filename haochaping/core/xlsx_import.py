"""The domain-free half of the Excel import (导入): sheets in and out, cells to values, row errors.

The importers of units, windows, staff and matters (``organizations.imports``,
``service_records.imports``) describe their columns with ``Column``, read an uploaded workbook
with ``read_sheet`` and report what is wrong as ``RowError`` (Excel row number, column header,
Chinese message). ``template_xlsx`` writes the downloadable template: the headers and one
example row. Sheets are read by ``core.tables.read_table`` and written with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]  # no stubs installed
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from haochaping.core.errors import ValidationFailed
from haochaping.core.tables import read_table

# A workbook larger than this is refused before openpyxl reads it (5,000 staff rows are ~120 KB).
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000

TRUE_WORDS = frozenset({"是", "y", "yes", "true", "1", "启用", "在岗", "√", "✓"})
FALSE_WORDS = frozenset({"否", "n", "no", "false", "0", "停用", "离岗", "不在岗", "×", "✗"})
DIVISION_RE = re.compile(r"^(\d{6}|\d{9}|\d{12})$")
LIST_SEPARATORS = re.compile(r"[、,，;；\s]+")


@dataclass(frozen=True)
class Column:
    """One column of an import sheet: its Chinese header and the key the importer reads."""

    key: str
    header: str
    required: bool = False
    example: str = ""


@dataclass(frozen=True, order=True)
class RowError:
    """What is wrong in one cell (or one row, ``column`` empty): shown as 第 N 行「列」：说明."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" + (f"「{self.column}」" if self.column else "")
        return f"{where}：{self.message}"


@dataclass
class Row:
    """One data row of the sheet: its Excel row number and its cells as stripped strings."""

    number: int
    cells: dict[str, str]

    def get(self, key: str) -> str:
        return self.cells.get(key, "")


@dataclass
class Change:
    """What an import does to one object: create it, update some fields, or nothing."""

    row: int
    action: str  # "create" | "update" | "unchanged"
    key: str
    label: str
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)  # header: (old, new)

    @property
    def action_display(self) -> str:
        return {"create": "新增", "update": "更新", "unchanged": "未变"}[self.action]

    @property
    def fields_display(self) -> str:
        return "；".join(f"{name}：{old or '（空）'} → {new or '（空）'}" for name, (old, new) in self.fields.items())


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}

    def __str__(self) -> str:
        return f"新增 {self.created} 条，更新 {self.updated} 条，未变 {self.unchanged} 条"


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def cell_text(value: Any) -> str:
    """A cell as the text a person typed: 410404 typed as a number stays "410404", not "410404.0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()


def _header_key(text: str) -> str:
    """Headers compare without spaces, required marks and the half/full-width bracket difference."""
    text = cell_text(text).replace(" ", "").lstrip("*＊").rstrip("*＊")
    return text.replace("(", "（").replace(")", "）")


def read_sheet(content: bytes, columns: tuple[Column, ...], filename: str = "import.xlsx") -> list[Row]:
    """The data rows of the first sheet of an .xlsx (or .csv) file, keyed by column.

    Read by ``core.tables.read_table`` (openpyxl; the calendar and indicator-set imports use the
    same reader). Raises ``ValidationFailed`` (a whole-file error, shown above any row error) when
    the file is not a readable table, a required column is missing, a header is unknown or
    repeated, or there is no data row. Empty rows are skipped; row numbers are Excel's.
    """
    if content and not content.startswith(b"PK") and not filename.lower().endswith(".csv"):
        raise ValidationFailed("文件不是 Excel 工作簿（.xlsx），请使用下载的模板填写后上传", code="import_file_format")
    name = filename if filename.lower().endswith(".csv") else "import.xlsx"
    header, table = read_table(content, name, required=[], max_rows=MAX_ROWS, max_bytes=MAX_FILE_BYTES)
    by_header = {_header_key(c.header): c for c in columns}
    keys: dict[str, str] = {}  # header text as in the file -> column key
    problems: list[str] = []
    for text in header:
        if not _header_key(text):
            continue
        column = by_header.get(_header_key(text))
        if column is None:
            problems.append(f"第 1 行有无法识别的列「{text}」")
        elif column.key in keys.values():
            problems.append(f"第 1 行的列「{column.header}」重复")
        else:
            keys[text] = column.key
    missing = [c.header for c in columns if c.required and c.key not in keys.values()]
    if missing:
        problems.append("缺少必填列：" + "、".join(f"「{h}」" for h in missing))
    if problems:
        raise ValidationFailed("；".join(problems) + "。请使用下载的模板填写。", code="import_headers")
    rows = [Row(r.number, {key: cell_text(r.values.get(text)) for text, key in keys.items()}) for r in table]
    rows = [row for row in rows if any(row.cells.values())]
    if not rows:
        raise ValidationFailed("文件中没有数据行（第 2 行起填写数据）", code="import_file_empty")
    return rows


def template_xlsx(title: str, columns: tuple[Column, ...]) -> bytes:
    """The downloadable template: a bold header row and one example row, columns wide enough."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([c.header for c in columns])
    sheet.append([c.example for c in columns])
    for index, column in enumerate(columns, start=1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        width = max(len(column.header), len(column.example)) * 2 + 2
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width, 10), 50)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class RowChecker:
    """Collects the errors of the rows while the importer reads their cells."""

    def __init__(self, columns: tuple[Column, ...]) -> None:
        self.headers = {c.key: c.header for c in columns}
        self.required = {c.key for c in columns if c.required}
        self.errors: list[RowError] = []

    def error(self, row: Row, key: str, message: str) -> None:
        self.errors.append(RowError(row.number, self.headers.get(key, key), message))

    def text(self, row: Row, key: str, *, max_length: int) -> str:
        value = row.get(key)
        if not value and key in self.required:
            self.error(row, key, "必填，不能为空")
        elif len(value) > max_length:
            self.error(row, key, f"不能超过 {max_length} 个字（现为 {len(value)} 个）")
        return value

    def code(self, row: Row, key: str, *, max_length: int) -> str:
        value = self.text(row, key, max_length=max_length)
        if value and ("/" in value or any(ch.isspace() for ch in value)):
            self.error(row, key, f"“{value}”不能包含空格或“/”")
        return value

    def boolean(self, row: Row, key: str, *, default: bool) -> bool:
        value = row.get(key)
        if not value:
            return default
        word = value.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        self.error(row, key, f"“{value}”无法识别，请填写“是”或“否”")
        return default

    def choice(self, row: Row, key: str, choices: Any, *, default: str = "") -> str:
        """A ``TextChoices`` value given as its Chinese label or its code."""
        value = row.get(key)
        if not value:
            if key in self.required and not default:
                self.error(row, key, "必填，不能为空")
            return default
        for code, label in choices.choices:
            if value in (code, label):
                return code
        allowed = "、".join(label for _, label in choices.choices)
        self.error(row, key, f"“{value}”不是有效的{self.headers.get(key, key)}，可填：{allowed}")
        return ""

    def small_int(self, row: Row, key: str, *, maximum: int = 32767) -> int | None:
        value = row.get(key)
        if not value:
            return None
        if not value.isdigit() or int(value) > maximum:
            self.error(row, key, f"“{value}”不是 0 到 {maximum} 之间的整数")
            return None
        return int(value)

    def division_code(self, row: Row, key: str) -> str:
        value = row.get(key)
        if value and not DIVISION_RE.match(value):
            self.error(row, key, f"“{value}”不是有效的行政区划代码（应为 6、9 或 12 位数字）")
        return value

    def code_list(self, row: Row, key: str) -> list[str]:
        value = row.get(key)
        return list(dict.fromkeys(part for part in LIST_SEPARATORS.split(value) if part)) if value else []

    def unique(self, row: Row, key: str, value: str, seen: dict[str, int]) -> bool:
        """False (and an error) when ``value`` already appeared in an earlier row of the file."""
        if not value:
            return False
        if value in seen:
            self.error(row, key, f"“{value}”与第 {seen[value]} 行重复")
            return False
        seen[value] = row.number
        return True
