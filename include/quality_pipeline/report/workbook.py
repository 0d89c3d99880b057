"""The report's tables as an XLSX workbook, one sheet each, safe to open and to forward.

No cell is ever a formula: every string is written as an inline string (`data_type = "s"`), and one
that a spreadsheet would read as a formula or a DDE call when retyped (leading = + - @, tab, CR) also
gets the quote prefix, so it stays text in Excel and LibreOffice. The bytes depend only on the content
(fixed document dates, fixed zip timestamps).
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from quality_pipeline.fixed_zip import with_fixed_times
from quality_pipeline.report import fmt
from quality_pipeline.report.tables import Table

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
FIXED_TIME = datetime(2000, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
HEADER_FILL = PatternFill("solid", fgColor="1858B0")
SUBHEADER_FILL = PatternFill("solid", fgColor="EEF3FC")
INVALID_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def put(cell, value, number_format: str | None = None) -> None:
    """Write one value; a string is always stored as text, never as a formula."""
    if isinstance(value, str):
        # drop what XML cannot hold; XML reads a CR as LF anyway, so write LF
        text = ILLEGAL_CHARACTERS_RE.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
        cell.value = text
        cell.data_type = "s"
        if text.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True
        return
    if isinstance(value, bool):
        value = "是" if value else "否"
        cell.value, cell.data_type = value, "s"
        return
    cell.value = value
    if number_format and isinstance(value, int | float):
        cell.number_format = number_format


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _sheet_title(name: str, used: set[str]) -> str:
    title = name.translate(INVALID_SHEET_CHARS)[:31] or "Sheet"
    base, n = title, 2
    while title in used:
        title = f"{base[:28]}_{n}"
        n += 1
    used.add(title)
    return title


def _cell_value(value, kind: str):
    if kind == "met":
        return fmt.MET_TEXT.get(value, fmt.DASH) if value is not None else None
    return value


def add_table(wb: Workbook, table: Table, used: set[str]) -> None:
    ws = wb.create_sheet(_sheet_title(table.sheet, used))
    columns = table.columns
    for j, column in enumerate(columns, start=1):
        head = ws.cell(row=1, column=j)
        put(head, column.zh)
        head.font, head.fill = Font(bold=True, color="FFFFFF"), HEADER_FILL
        head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sub = ws.cell(row=2, column=j)
        put(sub, column.en)
        sub.font, sub.fill = Font(italic=True, color="5B6778", size=9), SUBHEADER_FILL
    widths = [max(_width(c.zh), _width(c.en)) for c in columns]
    for i, row in enumerate(table.rows, start=3):
        for j, column in enumerate(columns, start=1):
            value = _cell_value(row.get(column.key), column.kind)
            cell = ws.cell(row=i, column=j)
            put(cell, value, fmt.excel_format(column.kind, row.get("_unit"), value))
            if row.get("_total"):
                cell.font = Font(bold=True)
            widths[j - 1] = max(widths[j - 1], _width(fmt.text(value, column.kind, row.get("_unit"))))
    if table.note:
        put(ws.cell(row=len(table.rows) + 4, column=1), table.note)
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 48)
    ws.freeze_panes = "A3"


def cover_sheet(wb: Workbook, title: str, lines: list[tuple[str, str]], tables: list[Table]) -> None:
    ws = wb.active
    ws.title = "说明"
    put(ws.cell(row=1, column=1), title)
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    row = 3
    for label, value in lines:
        put(ws.cell(row=row, column=1), label)
        put(ws.cell(row=row, column=2), value)
        row += 1
    row += 1
    put(ws.cell(row=row, column=1), "工作表 Sheets")
    ws.cell(row=row, column=1).font = Font(bold=True)
    for table in tables:
        row += 1
        put(ws.cell(row=row, column=1), table.sheet)
        put(ws.cell(row=row, column=2), f"{table.title_zh} / {table.title_en}")
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 80


def workbook_bytes(title: str, cover: list[tuple[str, str]], tables: list[Table]) -> bytes:
    wb = Workbook()
    cover_sheet(wb, title, cover, tables)
    used = {"说明"}
    for table in tables:
        add_table(wb, table, used)
    wb.properties.title = title
    wb.properties.creator = "quality_pipeline.report"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return with_fixed_times(buffer.getvalue(), ZIP_TIME)
