"""The domain-free half of the Excel import (导入): sheets in and out, cells to values, row errors.

The importers of units, windows, staff and matters (``organizations.imports``,
``service_records.imports``) describe their columns with ``Column``, read an uploaded workbook
with ``read_sheet`` and report what is wrong as ``RowError`` (Excel row number, column header,
Chinese message). ``template_xlsx`` writes the downloadable template: the headers and one
example row. The sheets are read and written by tablib on openpyxl.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import tablib

from haochaping.core.errors import ValidationFailed

# A workbook larger than this is refused before openpyxl reads it (5,000 staff rows are ~200 KB).
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
# The first data row: row 1 holds the headers.
FIRST_ROW = 2

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


def read_sheet(content: bytes, columns: tuple[Column, ...]) -> list[Row]:
    """The data rows of the first sheet of an .xlsx file, keyed by column.

    Raises ``ValidationFailed`` (a whole-file error, shown above any row error) when the file is
    not a readable .xlsx, a required column is missing, a header is unknown or repeated, or the
    sheet has no data row. Fully empty rows are skipped; row numbers are Excel's.
    """
    if not content:
        raise ValidationFailed("请选择要导入的 Excel 文件（.xlsx）", code="import_file_missing")
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed("文件过大（超过 10 MB），请分批导入", code="import_file_too_large")
    if not content.startswith(b"PK"):
        raise ValidationFailed("文件不是 Excel 工作簿（.xlsx），请使用下载的模板填写后上传", code="import_file_format")
    try:
        # Not read-only: openpyxl then gives every row the sheet's full width even when the file
        # carries no (or a wrong) dimension record, so tablib never sees a ragged row, and the
        # empty rows keep their place: the row numbers stay Excel's.
        data = tablib.Dataset().load(content, format="xlsx", headers=False, read_only=False)
    except Exception as exc:
        raise ValidationFailed(
            "无法读取该 Excel 文件，请确认文件未损坏且为 .xlsx 格式", code="import_file_format"
        ) from exc
    lines = list(data)
    if not lines:
        raise ValidationFailed("工作表是空的：第 1 行应为列标题", code="import_file_empty")
    by_header = {_header_key(c.header): c for c in columns}
    keys: list[str | None] = []
    seen: set[str] = set()
    problems: list[str] = []
    for value in lines[0]:
        header = _header_key(value)
        if not header:
            keys.append(None)
            continue
        column = by_header.get(header)
        if column is None:
            problems.append(f"第 1 行有无法识别的列「{cell_text(value)}」")
            keys.append(None)
        elif column.key in seen:
            problems.append(f"第 1 行的列「{column.header}」重复")
            keys.append(None)
        else:
            seen.add(column.key)
            keys.append(column.key)
    missing = [c.header for c in columns if c.required and c.key not in seen]
    if missing:
        problems.append("缺少必填列：" + "、".join(f"「{h}」" for h in missing))
    if problems:
        raise ValidationFailed("；".join(problems) + "。请使用下载的模板填写。", code="import_headers")
    rows: list[Row] = []
    for number, line in enumerate(lines[1:], start=FIRST_ROW):
        cells = {key: cell_text(value) for key, value in zip(keys, line, strict=False) if key is not None}
        if any(cells.values()):
            rows.append(Row(number, cells))
    if not rows:
        raise ValidationFailed("文件中没有数据行（第 2 行起填写数据）", code="import_file_empty")
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(f"一次最多导入 {MAX_ROWS} 行，请分批导入", code="import_too_many_rows")
    return rows


def template_xlsx(title: str, columns: tuple[Column, ...]) -> bytes:
    """The downloadable template: a header row and one example row."""
    data = tablib.Dataset(headers=[c.header for c in columns], title=title[:31])
    data.append([c.example for c in columns])
    return data.export("xlsx")


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
