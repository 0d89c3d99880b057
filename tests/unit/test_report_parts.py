"""Pieces of the report that need no warehouse: quarters, labels, the chart data block, stock figures."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest

from quality_pipeline.indicators.quality_index import load_index_config
from quality_pipeline.region import Region
from quality_pipeline.report import fmt, quarters
from quality_pipeline.report.data import ReportData
from quality_pipeline.report.page import _json_for_script
from quality_pipeline.report.reference import stock_figures
from quality_pipeline.report.tables import streets_table
from quality_pipeline.settings import DEFAULT_INDEX_FILE


def test_quarter_codes():
    assert [quarters.end(q) for q in ("2026Q1", "2026Q2", "2026Q4")] == [
        date(2026, 3, 31), date(2026, 6, 30), date(2026, 12, 31)]
    assert quarters.start("2026Q3") == date(2026, 7, 1)
    assert (quarters.previous("2026Q1"), quarters.label_zh("2026Q3")) == ("2025Q4", "2026年第三季度")
    for bad in ("2026Q5", "2026-Q3", "26Q1", "2026Q3'; DROP"):
        with pytest.raises(ValueError):
            quarters.parse(bad)


def test_formatting():
    assert fmt.text(1234.5, "int") == "1,234" and fmt.text(94.8718, "pct") == "94.9"
    assert fmt.text(94.8718, "by_unit", "%") == "94.87"
    assert fmt.text(4000.0, "by_unit", "person-times") == "4,000"
    assert [fmt.text(None, "int"), fmt.text(True, "met"), fmt.text(False, "met")] == ["—", "达标", "未达标"]
    assert [fmt.signed(v, "%") for v in (1.234, -3.0, 0.0)] == ["+1.23", "−3.00", "±0.00"]


def test_the_chart_data_block_cannot_close_its_script_element():
    payload = {"charts": [{"categories": ["</script><script>alert(1)</script>", "a & b", "<!--"]}]}
    text = _json_for_script(payload)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == payload


def test_streets_rank_by_index_with_ties_sharing_a_rank():
    region = Region("1", "示例区", ("东湖街道", "西湖街道", "南湖街道", "北湖街道"))
    scores = {"东湖街道": 91.0, "西湖街道": 84.0, "南湖街道": 91.0}
    streets = [{"street": s, "indicator": "quality_competitiveness_index", "value": v, "numerator": None,
                "denominator": None, "target": 85.0, "target_met": v >= 85} for s, v in scores.items()]
    data = ReportData("2026Q3", region, load_index_config(DEFAULT_INDEX_FILE), {}, [], streets, [])
    rows = streets_table(data).rows
    assert [(r["rank"], r["street"], r["_band"]) for r in rows] == [
        (1, "东湖街道", "strong"), (1, "南湖街道", "strong"), (3, "西湖街道", "fair"),
        (None, "北湖街道", None)]


def test_stock_figures_come_from_ref_tables_when_they_exist():
    con = duckdb.connect()
    assert stock_figures(con, date(2026, 9, 30)) == []
    con.execute("CREATE SCHEMA ref")
    con.execute("CREATE TABLE ref.standards (standard_no VARCHAR, level VARCHAR, published_date DATE)")
    con.execute("INSERT INTO ref.standards VALUES ('GB 1', '国家', '2020-01-01'), "
                "('DB 2', '地方', '2021-01-01'), ('GB 3', '国家', '2026-10-01')")
    con.execute("CREATE TABLE ref.brands (kind VARCHAR, awarded_date DATE, expires_date DATE)")
    con.execute("INSERT INTO ref.brands VALUES ('驰名商标', '2010-01-01', NULL), "
                "('省名牌产品', '2022-01-01', '2025-01-01'), ('省名牌产品', '2024-06-01', '2027-06-01'), "
                "('著名商标', '2015-01-01', NULL)")
    # a table of another shape is skipped, not an error
    con.execute("CREATE TABLE ref.construction_quality (quarter VARCHAR, projects_inspected INTEGER)")
    figures = [(f.group_zh, f.label, f.value) for f in stock_figures(con, date(2026, 9, 30))]
    standards, brands = "主导或参与制定标准", "品牌存量"
    assert figures == [(standards, "国家", 1), (standards, "地方", 1), (brands, "驰名商标", 1),
                       (brands, "著名商标", 1), (brands, "省名牌产品", 1)]


def test_the_stock_section_shows_only_when_there_are_figures():
    from quality_pipeline.report.page import stock_section
    from quality_pipeline.report.reference import StockFigure

    data = ReportData("2026Q3", Region("1", "示例区", ("东湖街道",)), {}, {}, [], [], [])
    assert stock_section(data) == ""
    data.stock = [StockFigure("品牌存量", "Brand titles in force", "<b>驰名商标</b>", 4, "个")]
    html = stock_section(data)
    assert 'id="stock"' in html and "&lt;b&gt;驰名商标&lt;/b&gt;" in html and "<dd>4 个</dd>" in html


def test_labels_and_the_command_line_read_the_indicator_config(quality_env, capsys):
    """The Chinese label and unit of every indicator come from config/indicators.yaml, for the report and the CLI."""
    from quality_pipeline.cli import show_indicators
    from quality_pipeline.indicators.compute import indicator_config
    from quality_pipeline.report import labels
    from quality_pipeline.warehouse.migrations import migrate

    config = indicator_config()
    assert labels.INDICATORS == list(config)
    assert all(spec.get("label_zh") and spec.get("unit_zh") for spec in config.values())
    assert (labels.zh("sampling_pass_rate"), labels.unit_zh("enforcement_cases")) == ("抽检合格率", "件")
    assert labels.zh("not_an_indicator") == "not_an_indicator"

    quality_env.warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(quality_env.warehouse)) as con:
        migrate(con)
        con.execute("INSERT INTO marts.quarterly_indicators VALUES "
                    "('2026Q3', 'sampling_pass_rate', 'district', 90.5, 105, 116, 93, false, '%', 'closed')")
    assert show_indicators(None, "district", today=date(2026, 12, 1)) == 0
    out = capsys.readouterr().out
    assert "2026Q3" in out and "抽检合格率" in out and "105/116" in out and "NO" in out


def test_the_sample_seeds_mark_the_report_as_sample_data(tmp_path):
    """Loaded from the committed seeds (version …-sample) the report says 示例数据; the office's own do not."""
    import shutil

    from quality_pipeline.reference import SEEDS_DIR, load_reference
    from quality_pipeline.report.page import sample_banner
    from quality_pipeline.report.reference import sample_data_note
    from quality_pipeline.warehouse.migrations import migrate

    con = duckdb.connect()
    assert sample_data_note(con) is None  # no ref schema at all
    migrate(con)
    assert sample_data_note(con) is None  # no seeds loaded
    load_reference(con, run_id="t", today=date(2026, 11, 30))
    note = sample_data_note(con)
    assert note and "2026.11.1-sample" in note and "sample reference seeds" in note
    data = ReportData("2026Q3", Region("1", "示例区", ("东湖街道",)), {}, {}, [], [], [], sample_data=note)
    assert sample_banner(data).startswith('<div class="banner sample" role="note"><strong>示例数据 · sample data')

    own = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, own)
    (own / "VERSION").write_text("2026.12.1\n", encoding="utf-8")
    load_reference(con, own, run_id="t2", today=date(2026, 11, 30))
    assert sample_data_note(con) is None
    assert sample_banner(ReportData("2026Q3", Region("1", "示例区", ("东湖街道",)), {}, {}, [], [], [])) == ""
