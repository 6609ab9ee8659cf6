"""Reading a small uploaded table (.xlsx or .csv) with Chinese headers, for the console's
"upload → 预检 (dry run) → 确认导入" pages.

``read_table`` returns the rows as dicts keyed by the header text, each with its row number as
the user sees it in Excel (the header is row 1), so that an importer can say "第 3 行 日期：…".
Empty rows are skipped. CSV files are read as UTF-8 (with or without BOM) and, failing that, as
GB18030, which is what Excel on a Chinese Windows writes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from haochaping.core.errors import ValidationFailed

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000


@dataclass(frozen=True)
class TableRow:
    number: int  # 1-based, as in Excel: the header is row 1
    values: dict[str, Any]


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    return value


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed("无法识别 CSV 文件的编码，请另存为 UTF-8 编码的 CSV 或 Excel (.xlsx) 文件", code="bad_file")


def _raw_rows(content: bytes, filename: str) -> list[list[Any]]:
    name = filename.lower()
    if name.endswith(".csv"):
        return [list(row) for row in csv.reader(io.StringIO(_decode(content)))]
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs installed

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several unrelated types for a broken file
            raise ValidationFailed("无法读取该 Excel 文件，请确认是 .xlsx 格式且未加密", code="bad_file") from exc
        sheet = workbook.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        workbook.close()
        return rows
    raise ValidationFailed("只支持 Excel (.xlsx) 或 CSV (.csv) 文件", code="bad_file")


def read_table(
    content: bytes, filename: str, *, required: list[str], max_rows: int = MAX_ROWS, max_bytes: int = MAX_UPLOAD_BYTES
) -> tuple[list[str], list[TableRow]]:
    """The header and the non-empty rows of the first sheet; a missing required column, an empty
    or oversized file is a ``ValidationFailed`` naming what is wrong."""
    if not content:
        raise ValidationFailed("上传的文件是空的", code="bad_file")
    if len(content) > max_bytes:
        raise ValidationFailed(f"文件太大（最大 {max_bytes // (1024 * 1024)} MB）", code="bad_file")
    raw = _raw_rows(content, filename)
    while raw and all(_cell(v) in (None, "") for v in raw[0]):
        raw.pop(0)
    if not raw:
        raise ValidationFailed("文件中没有表头和数据", code="bad_file")
    header = [str(_cell(v) or "") for v in raw[0]]
    missing = [name for name in required if name not in header]
    if missing:
        raise ValidationFailed(
            f"缺少列：{'、'.join(missing)}（第 1 行应为表头：{'、'.join(required)}）", code="bad_header"
        )
    rows: list[TableRow] = []
    for number, values in enumerate(raw[1:], start=2):
        cells = [_cell(v) for v in values]
        if all(v in (None, "") for v in cells):
            continue
        rows.append(TableRow(number, {name: cells[i] if i < len(cells) else None for i, name in enumerate(header)}))
        if len(rows) > max_rows:
            raise ValidationFailed(f"数据行太多（最多 {max_rows} 行），请分批导入", code="bad_file")
    return header, rows


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def parse_date(value: Any) -> dt.date | None:
    """A date cell: an Excel date, or text such as 2027-02-06, 2027/2/6, 2027年2月6日, 20270206."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value))
    if not isinstance(value, str) or not value:
        return None
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None
