"""Reading delivered files: header detection, aliases and units, non-data rows, encodings, broken files."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from quality_pipeline.feeds import load_feed
from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.frame import EXTRA_COLUMN, ROW_COLUMN
from quality_pipeline.parsing.headers import normalise_header
from quality_pipeline.parsing.reader import read_extract

SAMPLING = load_feed("product_sampling")
CASES = load_feed("enforcement_cases")
HEADER = "抽样单编号,产品名称,产品类别,受检单位,抽样日期,检验结论"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("罚款金额(万元)", ("罚款金额", "万元")),
        ("罚款金额（元）", ("罚款金额", "元")),
        (" 计划总投资\n（万元） ", ("计划总投资", "万元")),
        ("透明度(cm)", ("透明度", "cm")),
        ("抽样单\u3000编号", ("抽样单编号", None)),
        ("计划总投资万元", ("计划总投资", "万元")),
    ],
)
def test_header_normalisation(cell, expected):
    assert normalise_header(cell) == expected


def _csv(path, lines, encoding="utf-8"):
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_titles_totals_notes(tmp_path, encoding):
    path = _csv(tmp_path / "抽检.csv", [
        "金平区2026年第三季度产品质量监督抽查结果汇总表,,,,,",
        ",,,,,",
        HEADER,
        "S1,电线,电工,甲公司,2026-07-03,合格",
        ",,,,,",
        "S2,插座,电工,乙公司,2026/7/5,不合格",
        "合计,,,,,2",
        "注：本表由区市场监管局填报,,,,,",
        "填表人：张三,,,,,",
    ], encoding)
    raw = read_extract(path, SAMPLING)
    assert raw.encoding == encoding
    assert raw.frame["sample_no"].tolist() == ["S1", "S2"]
    assert raw.frame[ROW_COLUMN].tolist() == [4, 6]
    assert raw.skipped == {"totals": 1, "notes": 2}


def test_alias_headers_units_and_extra_columns(tmp_path):
    path = _csv(tmp_path / "cases.csv", [
        "案号,立案时间,案由,当事人,罚款（万元）,没收违法所得(元),办案人员",
        "C1,2026-07-01,其他,某公司,1.5,300,李四",
    ])
    raw = read_extract(path, CASES)
    assert {"case_no", "filing_date", "violation_type", "party_name", "fine", "confiscation"} <= set(raw.frame)
    assert raw.multipliers["fine"] == 10_000 and raw.multipliers["confiscation"] == 1
    assert raw.frame.at[0, EXTRA_COLUMN] == '{"办案人员": "李四"}'


def test_table_wide_unit_line_applies_to_money_columns(tmp_path):
    path = _csv(tmp_path / "cases.csv", [
        "行政处罚案件台账,,,,",
        "单位：万元,,,,",
        "案件编号,立案日期,违法行为类型,当事人名称,罚款金额",
        "C1,2026-07-01,其他,某公司,2",
    ])
    assert read_extract(path, CASES).multipliers["fine"] == 10_000


def test_xlsx_data_sheet_not_first_with_merged_title_and_cells(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "填表说明"
    wb.active["A1"] = "请按要求填写"
    ws = wb.create_sheet("数据")
    ws["A1"] = "金平区抽检结果"
    ws.merge_cells("A1:F1")
    ws.append(["抽样单编号", "产品名称", "产品类别", "受检单位", "抽样日期", "检验\n结论"])
    ws.append(["S1", "电线", "电工", "甲公司", 46086, "合格"])
    ws.append(["S2", "插座", None, "乙公司", dt.datetime(2026, 3, 6), "P"])
    ws.merge_cells("C3:C4")  # 产品类别 merged over both data rows
    path = tmp_path / "book.xlsx"
    wb.save(path)
    raw = read_extract(path, SAMPLING)
    assert raw.sheets == ["数据"]
    assert raw.frame["product_category"].tolist() == ["电工", "电工"]
    assert raw.frame[ROW_COLUMN].tolist() == [3, 4]
    assert raw.frame["sampling_date"].tolist()[0] == 46086


@pytest.mark.parametrize(
    ("name", "content", "code", "words"),
    [
        ("a.xlsx", b"\x00junk\xff" * 10, "not_xlsx", "xlsx"),
        ("a.csv", b"", "empty", "为空"),
        ("a.txt", b"hello", "unsupported_type", ".txt"),
        ("a.csv", "名称,数量\n甲,1\n".encode(), "no_header", "表头"),
        ("a.csv", "抽样单编号,产品名称,产品类别,受检单位,抽样日期\nS1,a,b,c,2026-01-01\n".encode(),
         "missing_required_column", "缺少必填列：检验结论"),
        ("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "encrypted_or_xls", "密码"),
    ],
)
def test_broken_files_get_a_reason_a_clerk_can_act_on(tmp_path, name, content, code, words):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ExtractRejected) as err:
        read_extract(path, SAMPLING)
    assert err.value.code == code
    assert words in err.value.reason and " / " in err.value.reason


def test_header_only_file_reads_zero_rows(tmp_path):
    raw = read_extract(_csv(tmp_path / "h.csv", [HEADER]), SAMPLING)
    assert raw.rows_read == 0


def test_text_only_is_promised_only_when_every_cell_is_text(tmp_path):
    """`text_only` lets typing skip the text conversion, so it must never be claimed for a cell that is not text."""
    csv_path = _csv(tmp_path / "s.csv", [HEADER, "BS1, 电饭锅 ,电工,甲公司,2026-01-05,合格", "BS2,插座,电工,,,无"])
    raw = read_extract(csv_path, SAMPLING)
    cells = raw.frame.drop(columns=[ROW_COLUMN]).to_numpy().ravel()
    assert raw.text_only
    assert all(v is None or isinstance(v, str) for v in cells)
    assert raw.frame["inspected_unit"].tolist() == ["甲公司", None]

    ragged = _csv(tmp_path / "r.csv", [HEADER, "BS1,电饭锅,电工,甲公司,2026-01-05,合格,多余", "BS2,插座"])
    assert all(v is None or isinstance(v, str) for v in read_extract(ragged, SAMPLING).frame["product_name"])

    book = openpyxl.Workbook()
    book.active.append(HEADER.split(","))
    book.active.append(["BS1", "电饭锅", "电工", "甲公司", dt.date(2026, 1, 5), "合格"])
    book.save(tmp_path / "s.xlsx")
    assert not read_extract(tmp_path / "s.xlsx", SAMPLING).text_only


@pytest.mark.parametrize(("name", "skipped"), [
    ("上季度(参考)", True), ("备份", True), ("抽检结果 - 副本", True), ("Sheet1 (2)", True), ("copy of data", True),
    ("OLD", True), ("原表", True), ("上期数据", True), ("抽检结果", False), ("Golden", False), ("2026年第三季度", False),
])
def test_sheets_named_as_copies_or_references_are_skipped(tmp_path, name, skipped):
    wb = openpyxl.Workbook()
    wb.active.title = name
    wb.active.append(HEADER.split(","))
    wb.active.append(["S1", "电线", "电工", "甲公司", "2026-07-03", "合格"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    if not skipped:
        assert read_extract(path, SAMPLING).sheets == [name]
        return
    with pytest.raises(ExtractRejected) as err:
        read_extract(path, SAMPLING)
    assert err.value.code == "only_copy_sheets" and name in err.value.reason
