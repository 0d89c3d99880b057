"""Units of amounts and quantities: in the header in any form, in a unit row, in a title; unknown ones refuse."""

from __future__ import annotations

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quality_pipeline.feeds import load_feed, unit_families
from quality_pipeline.parsing.coerce import typed_frame
from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.frame import ROW_COLUMN
from quality_pipeline.parsing.headers import find_header
from quality_pipeline.parsing.reader import read_extract
from quality_pipeline.parsing.units import column_scales
from quality_pipeline.region import Region

CASES = load_feed("enforcement_cases")
PROJECTS = load_feed("remediation_projects")
WATER = load_feed("water_quality")
REGION = Region(code="0", name="区", streets=("金砂街道",))
CASE_HEAD = ["案件编号", "立案日期", "违法行为类型", "当事人名称"]
CASE_ROW = ["C1", "2026-07-01", "其他", "某公司"]


def _csv(path, rows):
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _fine(tmp_path, header: str, cell: str = "12", above: list[list[str]] = ()) -> float:
    path = _csv(tmp_path / "cases.csv", [*above, [*CASE_HEAD, header], [*CASE_ROW, cell]])
    return typed_frame(read_extract(path, CASES), REGION)["fine"].tolist()[0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("罚款金额(万)", 120_000.0),
        ("罚款金额（单位：万元）", 120_000.0),
        ("罚款金额（千元）", 12_000.0),
        ("罚款金额/万元", 120_000.0),
        ("罚款金额 / 亿元", 1_200_000_000.0),
        ("罚款金额【万元】", 120_000.0),
        ("罚款金额单位：万元", 120_000.0),
        ("罚款金额（人民币元）", 12.0),
        ("罚款金额", 12.0),
    ],
)
def test_unit_in_the_header_in_any_form_scales_the_amount(tmp_path, header, expected):
    assert _fine(tmp_path, header) == expected


@pytest.mark.parametrize(("header", "unit"), [("罚款金额(美元)", "美元"), ("罚款金额/百元", "百元"),
                                             ("罚款金额（单位：港币）", "港币")])
def test_unknown_unit_in_the_header_rejects_the_file_naming_column_and_unit(tmp_path, header, unit):
    with pytest.raises(ExtractRejected) as err:
        _fine(tmp_path, header)
    assert err.value.code == "unknown_unit"
    assert "罚款金额" in err.value.reason and unit in err.value.reason and " / " in err.value.reason


def test_unit_row_below_the_header_scales_and_is_not_a_data_row(tmp_path):
    path = _csv(tmp_path / "p.csv", [
        ["项目编号", "报告期", "水体名称", "计划总投资", "累计完成投资", "形象进度"],
        ["", "", "", "万元", "（万元）", "%"],
        ["XM1", "2026-10", "某河", "350", "120.5", "40"],
    ])
    raw = read_extract(path, PROJECTS)
    frame = typed_frame(raw, REGION)
    assert raw.rows_read == 1 and raw.frame[ROW_COLUMN].tolist() == [3]
    assert frame["planned_investment"].tolist() == [3_500_000.0]
    assert frame["completed_investment"].tolist() == [1_205_000.0]


def test_unit_row_in_xlsx_is_read_too(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["项目编号", "报告期", "水体名称", "计划总投资", "累计完成投资"])
    ws.append([None, None, None, "万元", "万元"])
    ws.append(["XM1", "2026-10", "某河", 350, 120])
    path = tmp_path / "p.xlsx"
    wb.save(path)
    raw = read_extract(path, PROJECTS)
    assert raw.rows_read == 1 and raw.frame[ROW_COLUMN].tolist() == [3]
    assert typed_frame(raw, REGION)["planned_investment"].tolist() == [3_500_000.0]


def test_title_unit_scales_amounts_and_an_office_line_is_not_a_unit(tmp_path):
    above = [["填报单位：金平区市场监督管理局", "", "", "", ""], ["单位：万元", "", "", "", ""]]
    assert _fine(tmp_path, "罚款金额", above=above) == 120_000.0
    assert _fine(tmp_path, "罚款金额", above=[["填报单位：金平区", "", "", "", ""]]) == 12.0


@pytest.mark.parametrize(
    ("header", "above"),
    [("罚款金额(元)", [["单位：万元", "", "", "", ""]]), ("罚款金额(万元)", [["（金额单位：千元）", "", "", "", ""]])],
)
def test_two_units_that_disagree_reject_the_file(tmp_path, header, above):
    with pytest.raises(ExtractRejected) as err:
        _fine(tmp_path, header, above=above)
    assert err.value.code == "unit_conflict" and "罚款金额" in err.value.reason


def test_quantities_scale_by_their_declared_units(tmp_path):
    path = _csv(tmp_path / "w.csv", [
        ["水体名称", "监测点位", "采样日期", "透明度(m)", "水深（毫米）", "溶解氧(mg/l)"],
        ["某河", "P1", "2026-07-01", "0.35", "1200", "2.5"],
    ])
    frame = typed_frame(read_extract(path, WATER), REGION)
    assert frame["transparency_cm"].tolist() == [35.0]
    assert frame["depth_cm"].tolist() == [120.0]
    assert frame["do_mg_l"].tolist() == [2.5]
    bad = _csv(tmp_path / "w2.csv", [["水体名称", "监测点位", "采样日期", "透明度(英尺)"], ["某河", "P1", "2026-07-01", "1"]])
    with pytest.raises(ExtractRejected, match="英尺"):
        read_extract(bad, WATER)


# --- property: every header spelling with a unit is scaled right, or refused -------------------------

_YUAN = unit_families()["yuan"].scales
_FORMS = ["{h}({u})", "{h}（{u}）", "{h}[{u}]", "{h}【{u}】", "{h}/{u}", "{h} / {u}", "{h}（单位：{u}）",
          "{h}(单位:{u})", "{h}\n({u})", "{h}单位：{u}"]
_UNKNOWN = ["美元", "百元", "角", "港币", "万美元", "USD", "吨", "元/吨"]


@given(
    spelling=st.sampled_from(load_feed("enforcement_cases").column("fine").spellings),
    form=st.sampled_from(_FORMS),
    unit=st.sampled_from([*_YUAN, *_UNKNOWN]),
)
def test_property_header_unit_scales_or_refuses(spelling, form, unit):
    header = [*CASE_HEAD, form.format(h=spelling, u=unit)]
    match = find_header([header, [*CASE_ROW, "12"]], CASES)
    assert match is not None and "fine" in match.matched
    try:
        scales = column_scales(CASES, match.written_units(CASES), match.matched)
    except ExtractRejected as exc:
        assert unit in _UNKNOWN and unit in exc.reason
        return
    assert unit in _YUAN and scales["fine"] == _YUAN[unit]


def test_a_slash_splits_off_a_unit_only_for_columns_with_units():
    row = [*CASE_HEAD, "当事人名称/地址", "罚款金额/万元"]
    match = find_header([row], CASES)
    names = {row[pos]: name for pos, name in match.columns.items()}
    assert names["罚款金额/万元"] == "fine" and "当事人名称/地址" not in names


def test_an_unknown_unit_in_a_unit_row_rejects_but_a_word_in_a_data_row_is_data(tmp_path):
    head = ["项目编号", "报告期", "水体名称", "计划总投资", "累计完成投资"]
    unknown = _csv(tmp_path / "u.csv", [head, ["", "", "", "美元", "美元"], ["XM1", "2026-10", "某河", "3", "1"]])
    with pytest.raises(ExtractRejected) as err:
        read_extract(unknown, PROJECTS)
    assert err.value.code == "unknown_unit" and "美元" in err.value.reason
    wordy = _csv(tmp_path / "w.csv", [head, ["甲", "十月", "某河", "待定", "若干"], ["XM1", "2026-10", "某河", "3", "1"]])
    raw = read_extract(wordy, PROJECTS)
    assert raw.rows_read == 2 and raw.multipliers["planned_investment"] == 1.0


def test_sheets_in_different_units_reject_the_workbook(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "城区"
    wb.active.append(["项目编号", "报告期", "水体名称", "计划总投资(万元)", "累计完成投资(万元)"])
    wb.active.append(["XM1", "2026-10", "某河", 3, 1])
    ws = wb.create_sheet("郊区")
    ws.append(["项目编号", "报告期", "水体名称", "计划总投资(元)", "累计完成投资(元)"])
    ws.append(["XM2", "2026-10", "某河", 30000, 10000])
    path = tmp_path / "p.xlsx"
    wb.save(path)
    with pytest.raises(ExtractRejected) as err:
        read_extract(path, PROJECTS)
    assert err.value.code == "unit_conflict" and "计划总投资" in err.value.reason


def test_region_date_window_defaults_and_leap_day():
    from datetime import date

    window = REGION.date_window(date(2028, 2, 29))
    assert window == {"window_start": date(2000, 1, 1), "today": date(2028, 2, 29), "plan_end": date(2038, 2, 28)}
