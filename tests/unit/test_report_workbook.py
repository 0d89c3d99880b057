"""The report workbook: strings never become formulas, and equal content gives equal bytes."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl

from quality_pipeline.report.tables import Column, Table
from quality_pipeline.report.workbook import workbook_bytes

HOSTILE = ['=HYPERLINK("http://x","y")', "=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1",
           "=cmd|' /C calc'!A0", "a\x00b\x1fc"]


def _table() -> Table:
    rows = [{"name": value, "amount": i * 1.5, "met": i % 2 == 0} for i, value in enumerate(HOSTILE)]
    rows.append({"name": "=SUM(B3:B5)", "amount": None, "met": None, "_total": True})
    return Table("t", "表[1]:*?/\\", "测试表", "Test table", [
        Column("name", "=名称", "=Name"), Column("amount", "金额", "Amount", "dec1"),
        Column("met", "是否达标", "Met", "met"),
    ], rows, note="=note")


def _load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_no_cell_is_a_formula_and_every_string_survives_as_text():
    data = workbook_bytes("=标题", [("=label", "+value")], [_table()])
    wb = _load(data)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    sheet = wb.worksheets[1]
    assert sheet.title == "表_1______"
    names = [c.value for c in sheet["A"][2:2 + len(HOSTILE) + 1]]
    # characters XML cannot hold are dropped, and a CR (which XML turns into LF anyway) is written as LF
    assert names == [*HOSTILE[:6], "\n=1+1", HOSTILE[7], "abc", "=SUM(B3:B5)"]
    for cell in sheet["A"][2:2 + len(HOSTILE)]:
        assert cell.data_type == "s"
        assert cell.quotePrefix == cell.value.startswith(("=", "+", "-", "@", "\t", "\n"))
    assert sheet["A1"].value == "=名称" and sheet["A1"].quotePrefix
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.endswith(".xml"):
                assert not re.search(rb"<f[ >]", archive.read(name)), name


def test_numbers_stay_numbers_and_met_reads_in_chinese():
    sheet = _load(workbook_bytes("t", [], [_table()])).worksheets[1]
    assert (sheet["B4"].value, sheet["B4"].data_type, sheet["B4"].number_format) == (1.5, "n", "#,##0.0")
    assert [sheet["C3"].value, sheet["C4"].value] == ["达标", "未达标"]


def test_the_same_tables_give_the_same_bytes():
    assert workbook_bytes("t", [("a", "b")], [_table()]) == workbook_bytes("t", [("a", "b")], [_table()])
