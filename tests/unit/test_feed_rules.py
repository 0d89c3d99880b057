"""Every rule of extracts.md, broken once: the row is rejected or flagged as the contract says.

Each case writes a small CSV (a valid base row plus the broken one) and runs the real
path: read → typed frame → the feed's GX suite → row decisions.
"""

from __future__ import annotations

import datetime as dt

import pytest

from quality_pipeline.feeds import load_feed
from quality_pipeline.loading.ingest import row_parameters
from quality_pipeline.loading.outcomes import decide_rows
from quality_pipeline.parsing.coerce import typed_frame
from quality_pipeline.parsing.frame import prev_name
from quality_pipeline.parsing.reader import read_extract
from quality_pipeline.region import load_region
from quality_pipeline.settings import DEFAULT_REGION_FILE

REGION = load_region(DEFAULT_REGION_FILE)

BASE = {
    "product_sampling": {
        "抽样单编号": "S1", "抽查级别": "区抽", "抽样环节": "流通", "产品类别": "电工", "行业代码": "38",
        "产品名称": "插座", "受检单位": "甲公司", "统一社会信用代码": "91350100M000100Y43", "所在街道": "金砂",
        "抽样日期": "2026-07-03", "检验结论": "不合格", "不合格项目": "标志", "后处理状态": "整改中",
    },
    "enforcement_cases": {
        "案件编号": "C1", "案件来源": "投诉举报", "立案日期": "2026-07-01", "处罚决定日期": "2026-07-20",
        "结案日期": "2026-08-01", "违法行为类型": "生产销售伪劣产品", "当事人名称": "甲公司",
        "统一社会信用代码": "91350100M000100Y43", "所属街道": "金砂街道", "货值金额": "1,000", "罚款金额": "500",
        "是否移送司法机关": "否", "案件状态": "结案",
    },
    "enforcement_inspections": {
        "检查编号": "I1", "检查日期": "2026-07-01", "所属街道": "东方", "出动执法人次": "4", "检查户次": "10",
        "发现问题数": "1", "立案数": "0",
    },
    "remediation_projects": {
        "项目编号": "P1", "报告期": "2026-07", "水体名称": "梅溪河", "所在街道": "月浦", "整治前等级": "轻度",
        "整治措施": "控源截污、生态修复", "计划总投资(万元)": "100", "累计完成投资(万元)": "50",
        "开工日期": "2026-01-01", "计划完工日期": "2027-06-30", "实际完工日期": "", "形象进度": "50%", "治理状态": "治理中",
    },
    "water_quality": {
        "水体名称": "梅溪河", "监测点位": "W1", "采样日期": "2026-07-01", "透明度(cm)": "30", "溶解氧(mg/L)": "3",
        "氧化还原电位(mV)": "60", "氨氮(mg/L)": "2", "水深(cm)": "80",
    },
}

# (feed, column header, bad value, expected decision, rule)
CASES = [
    ("product_sampling", "抽样单编号", "", "rejected", "required"),
    ("product_sampling", "产品名称", "/", "rejected", "required"),
    ("product_sampling", "抽样日期", "2026-02-30", "rejected", "type"),
    ("product_sampling", "抽样日期", "2099-01-01", "rejected", "not_future"),
    ("product_sampling", "抽样日期", "1900-01-01", "rejected", "window"),
    ("product_sampling", "抽样日期", "1999-12-31", "rejected", "window"),
    ("product_sampling", "抽样日期", "12345", "rejected", "window"),
    ("product_sampling", "抽样日期", "2099-01-01", "rejected", "window"),
    ("enforcement_cases", "立案日期", "2099-03-01", "rejected", "window"),
    ("enforcement_cases", "结案日期", "2099-03-01", "rejected", "window"),
    ("enforcement_inspections", "检查日期", "2099-03-01", "rejected", "window"),
    ("remediation_projects", "报告期", "1999-12", "rejected", "window"),
    ("remediation_projects", "报告期", "2026.1", "rejected", "type"),
    ("remediation_projects", "计划完工日期", "2099-01-01", "rejected", "window"),
    ("water_quality", "采样日期", "1900-01-01", "rejected", "window"),
    ("product_sampling", "检验结论", "基本合格", "rejected", "allowed"),
    ("product_sampling", "抽查级别", "乡抽", "rejected", "allowed"),
    ("product_sampling", "抽样环节", "仓储", "rejected", "allowed"),
    ("product_sampling", "行业代码", "51", "rejected", "range"),
    ("product_sampling", "后处理状态", "已关闭", "rejected", "allowed"),
    ("product_sampling", "统一社会信用代码", "91350100M000100Y44", "flagged", "uscc_check"),
    ("product_sampling", "所在街道", "外区街道", "flagged", "unknown_street"),
    ("product_sampling", "不合格项目", "", "flagged", "required_when"),
    ("enforcement_cases", "立案日期", "无", "rejected", "required"),
    ("enforcement_cases", "违法行为类型", "虚假宣传", "rejected", "allowed"),
    ("enforcement_cases", "案件来源", "巡查", "rejected", "allowed"),
    ("enforcement_cases", "货值金额", "-5", "rejected", "range"),
    ("enforcement_cases", "罚款金额", "五百", "rejected", "type"),
    ("enforcement_cases", "是否移送司法机关", "也许", "rejected", "type"),
    ("enforcement_cases", "案件状态", "挂起", "rejected", "allowed"),
    ("enforcement_cases", "处罚决定日期", "2026-06-01", "flagged", "not_before"),
    ("enforcement_cases", "结案日期", "2026-06-30", "flagged", "not_before"),
    ("enforcement_cases", "统一社会信用代码", "9135 0100 m000 100y4x", "flagged", "uscc_check"),
    ("enforcement_inspections", "出动执法人次", "0", "rejected", "range"),
    ("enforcement_inspections", "出动执法人次", "501", "rejected", "range"),
    ("enforcement_inspections", "出动执法人次", "2.5", "rejected", "type"),
    ("enforcement_inspections", "检查户次", "-1", "rejected", "range"),
    ("enforcement_inspections", "所属街道", "龙湖", "flagged", "unknown_street"),
    ("remediation_projects", "报告期", "2026-13", "rejected", "type"),
    ("remediation_projects", "计划总投资(万元)", "0", "rejected", "range"),
    ("remediation_projects", "累计完成投资(万元)", "130", "rejected", "at_most_times"),
    ("remediation_projects", "形象进度", "120%", "rejected", "range"),
    ("remediation_projects", "整治措施", "控源截污、清淤疏浚", "rejected", "allowed"),
    ("remediation_projects", "整治前等级", "中度", "rejected", "allowed"),
    ("remediation_projects", "治理状态", "停工", "rejected", "allowed"),
    ("remediation_projects", "实际完工日期", "2025-12-01", "flagged", "not_before"),
    ("water_quality", "溶解氧(mg/L)", "25", "rejected", "range"),
    ("water_quality", "氧化还原电位(mV)", "-700", "rejected", "range"),
    ("water_quality", "水深(cm)", "0", "rejected", "range"),
    ("water_quality", "采样日期", "", "rejected", "required"),
    ("water_quality", "透明度(cm)", "很浑", "rejected", "type"),
]


def _decide(tmp_path, feed_name, rows, gate):
    headers = list(BASE[feed_name])
    lines = [",".join(headers)] + [",".join(f'"{r[h]}"' for h in headers) for r in rows]
    path = tmp_path / f"{feed_name}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw = read_extract(path, load_feed(feed_name))
    frame = typed_frame(raw, REGION)
    for col in load_feed(feed_name).columns:
        if col.never_falls:
            frame[prev_name(col.name)] = None
    params = row_parameters(REGION, dt.date.today())
    return decide_rows(gate.validate(f"{feed_name}.rows", frame, params), params)


@pytest.mark.parametrize("feed_name", sorted(BASE))
def test_base_rows_are_clean(tmp_path, gate, feed_name):
    decisions = _decide(tmp_path, feed_name, [BASE[feed_name]], gate)
    assert dict(decisions.rejected) == {} and dict(decisions.flagged) == {}


@pytest.fixture(scope="module")
def broken(tmp_path_factory, gate) -> dict[int, tuple[int, object]]:
    """Every case of CASES as one row of its feed's file: (row number, decisions of that file), by case.

    One validation per feed instead of one per case (a GX validation costs about a second whatever its size):
    each file holds the clean base row first, then one row per case, each under a key of its own, so the
    rows cannot meet as duplicates or conflicts and each case still fails on its own row."""
    folder = tmp_path_factory.mktemp("feed_rules")
    out = {}
    for feed_name in sorted(BASE):
        feed = load_feed(feed_name)
        key_col = feed.column(feed.key[0]).header
        rows, numbers = [BASE[feed_name]], {}
        for number, (case_feed, header, value, _, _) in enumerate(CASES):
            if case_feed != feed_name:
                continue
            bad = dict(BASE[feed_name])
            bad[header] = value
            if key_col != header:
                bad[key_col] = f"{bad[key_col]}X{number}"  # a distinct key
            numbers[number] = len(rows)
            rows.append(bad)
        decisions = _decide(folder, feed_name, rows, gate)
        out.update({number: (row, decisions) for number, row in numbers.items()})
    return out


@pytest.mark.parametrize(("number", "feed_name", "header", "value", "decision", "rule"),
                         [(n, *c) for n, c in enumerate(CASES)], ids=[f"{c[0]}-{c[1]}-{c[4]}" for c in CASES])
def test_rule_broken(broken, number, feed_name, header, value, decision, rule):
    row, decisions = broken[number]
    found = decisions.rejected if decision == "rejected" else decisions.flagged
    other = decisions.flagged if decision == "rejected" else decisions.rejected
    assert row in found, (row, dict(decisions.rejected), dict(decisions.flagged))
    assert rule in {i.rule for i in found[row]}
    assert all(i.reason and " / " in i.reason for i in found[row])
    if rule == "window":  # the reason names the column and the window
        reason = next(i.reason for i in found[row] if i.rule == "window")
        assert header in reason and "2000-01-01" in reason and "{" not in reason
    assert 0 not in other and 0 not in found  # the clean base row stays clean beside it


def test_same_key_different_values_both_rejected(tmp_path, gate):
    other = dict(BASE["product_sampling"], 产品名称="电线")
    decisions = _decide(tmp_path, "product_sampling", [BASE["product_sampling"], other], gate)
    assert sorted(decisions.rejected) == [0, 1]
    assert {i.rule for i in decisions.rejected[0]} == {"conflict"}


def test_conclusion_spellings_map_to_canonical(tmp_path, gate):
    rows = [dict(BASE["product_sampling"], 抽样单编号=f"S{i}", 检验结论=v, 不合格项目="x")
            for i, v in enumerate(["P", "符合", "F", "不符合", "拒检"])]
    decisions = _decide(tmp_path, "product_sampling", rows, gate)
    assert dict(decisions.rejected) == {}
