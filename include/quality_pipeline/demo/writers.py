"""Serialises laid-out sheets to CSV or xlsx bytes, byte-identical for identical input."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.writer.excel import ExcelWriter

from quality_pipeline.demo.layout import Sheet
from quality_pipeline.demo.mess import Cell, number_text
from quality_pipeline.fixed_zip import with_fixed_times

FIXED_TIME = datetime(2026, 1, 1, 8, 0, 0)
ZIP_TIME = (2026, 1, 1, 8, 0, 0)


def csv_bytes(rows: list[list], encoding: str) -> bytes:
    """One physical line per row (no cell may hold a line break), CRLF as Excel writes it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        cells = ["" if c is None else c if isinstance(c, str) else number_text(c) for c in row]
        if any("\n" in c or "\r" in c for c in cells):
            raise ValueError("CSV cells must not contain line breaks")
        writer.writerow(cells if len(cells) > 1 or cells[0] else ["", ""])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(sheets: list[Sheet]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for spec in sheets:
        ws = workbook.create_sheet(spec.name)
        for r, row in enumerate(spec.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = ws.cell(row=r, column=c)
                if isinstance(value, Cell):
                    cell.value, cell.number_format = value.value, value.number_format
                else:
                    cell.value = value
                    if isinstance(value, date | datetime):
                        cell.number_format = "yyyy-mm-dd"
                if isinstance(value, str) and "\n" in value:
                    cell.alignment = Alignment(wrap_text=True)
        for min_row, min_col, max_row, max_col in spec.merges:
            ws.merge_cells(start_row=min_row, start_column=min_col, end_row=max_row, end_column=max_col)
            ws.cell(row=min_row, column=min_col).font = bold
    workbook.properties.creator = "demo"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    return with_fixed_times(buffer.getvalue(), ZIP_TIME)


