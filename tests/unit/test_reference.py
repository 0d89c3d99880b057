"""Reference data kept by hand: the seeds' own checks, versioned all-or-nothing loads, and stock figures."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from quality_pipeline.reference import SEEDS_DIR, SeedError, load_reference, read_seeds, stock_figures
from quality_pipeline.reference.seeds import SPECS, plus_years

TODAY = dt.date(2026, 11, 25)
COLUMNS = {spec.name: spec.columns for spec in SPECS}
STANDARDS = [
    ["GB/T 30001-2020", "国家", "复合包装膜 通用技术条件", "甲公司", "主导", "2020-03-01"],
    ["QB/T 2001-2015", "行业", "电动玩具车 技术条件", "乙公司", "参与", "2015-06-01"],
    ["DB44/T 501-2024", "地方", "牛肉丸 生产技术规范", "丙公司", "主导", "2024-09-30"],
    ["T/GDPPA 007-2025", "团体", "凹版塑料油墨 品质评价", "甲公司", "主导", "2025-07-01"],
]
BRANDS = [
    ["甲公司", "金示", "驰名商标", "2010-05-01", ""],
    ["乙公司", "鮀城", "著名商标", "2018-12-31", ""],
    ["丙公司", "海湾牌牛肉丸", "省名牌产品", "2022-05-01", "2025-05-01"],
    ["丙公司", "海湾牌牛肉丸", "省名牌产品", "2025-05-01", "2028-05-01"],
    ["甲公司", "韩江牌复合包装膜", "省名牌产品", "2024-02-29", "2027-02-28"],
]
CONSTRUCTION = [
    ["2025Q2", "40", "98.5", "1"],
    ["2025Q3", "0", "", "0"],
    ["2026Q3", "44", "96.9", "3"],
]


def write_seeds(directory: Path, version: str = "t1", **tables: list[list[str]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "VERSION").write_text(version + "\n", encoding="utf-8")
    defaults = {"standards": STANDARDS, "brands": BRANDS, "construction_quality": CONSTRUCTION}
    for name, rows in {**defaults, **tables}.items():
        with open(directory / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(COLUMNS[name])
            writer.writerows(rows)
    return directory


@pytest.fixture
def seeds(tmp_path) -> Path:
    return write_seeds(tmp_path / "seeds")


def table(con, name: str) -> list[tuple]:
    return con.execute(f"SELECT * FROM ref.{name} ORDER BY ALL").fetchall()  # noqa: S608


# --- the committed seeds --------------------------------------------------------------------------


def test_the_committed_seeds_pass_their_checks_and_load_whole(con):
    result = load_reference(con, run_id="run-1")
    for spec in SPECS:
        with open(SEEDS_DIR / f"{spec.name}.csv", encoding="utf-8-sig") as fh:
            expected = sum(1 for _ in csv.DictReader(fh))
        assert result["rows"][spec.name] == expected
        assert con.execute(f"SELECT count(*) FROM ref.{spec.name}").fetchone()[0] == expected  # noqa: S608
    version = (SEEDS_DIR / "VERSION").read_text(encoding="utf-8").strip()
    assert result == {**result, "version": version, "load_id": 1, "changed": True}
    recorded = con.execute("SELECT seed, version, length(sha256), loaded_by_run FROM ref.seed_versions "
                           "ORDER BY seed").fetchall()
    assert recorded == [(name, version, 64, "run-1") for name in ("brands", "construction_quality", "standards")]


def test_the_committed_brand_stock_is_the_reported_one(con):
    load_reference(con)
    figures = stock_figures(con, dt.date(2026, 6, 30))
    assert figures["brands"] == {"驰名商标": 4, "著名商标": 44, "省名牌产品": 15}
    assert figures["standards"]["total"] - figures["standards"]["by_level"]["团体"] > 120


# --- versioned, all-or-nothing loads ---------------------------------------------------------------


def test_loading_the_same_version_and_bytes_again_changes_nothing(con, seeds):
    first = load_reference(con, seeds, today=TODAY)
    again = load_reference(con, seeds, today=TODAY)
    assert again == {**first, "changed": False}
    assert con.execute("SELECT count(*) FROM ref.seed_versions").fetchone()[0] == 3


def test_a_new_version_replaces_every_table(con, seeds):
    load_reference(con, seeds, today=TODAY)
    write_seeds(seeds, "t2", standards=STANDARDS[:2], construction_quality=CONSTRUCTION[:1])
    result = load_reference(con, seeds, today=TODAY, run_id="run-2")
    assert result["changed"] and result["load_id"] == 2 and result["version"] == "t2"
    assert [r[0] for r in table(con, "standards")] == ["GB/T 30001-2020", "QB/T 2001-2015"]
    assert [r[0] for r in table(con, "construction_quality")] == ["2025Q2"]
    assert con.execute("SELECT max_by(version, load_id), count(*) FROM ref.seed_versions").fetchone() == ("t2", 6)


def test_a_changed_file_under_the_same_version_is_refused(con, seeds):
    load_reference(con, seeds, today=TODAY)
    write_seeds(seeds, "t1", standards=STANDARDS[:2])
    with pytest.raises(SeedError, match="standards.csv: .*bump warehouse/seeds/VERSION"):
        load_reference(con, seeds, today=TODAY)
    assert len(table(con, "standards")) == len(STANDARDS)


def test_a_bad_seed_does_not_replace_the_loaded_good_one(con, seeds):
    load_reference(con, seeds, today=TODAY)
    before = {name: table(con, name) for name in ("standards", "brands", "construction_quality", "seed_versions")}
    broken = [*BRANDS, ["丁公司", "岐峰", "著名商标", "2019-03-01", ""]]
    write_seeds(seeds, "t2", standards=STANDARDS[:1], brands=broken)
    with pytest.raises(SeedError, match="brands.csv line 7, column awarded_date"):
        load_reference(con, seeds, today=TODAY)
    assert {name: table(con, name) for name in before} == before


def test_a_database_failure_mid_load_rolls_everything_back(con, seeds):
    load_reference(con, seeds, today=TODAY)
    write_seeds(seeds, "t2", standards=STANDARDS[:1])
    # the last table written refuses the rows: standards and brands, already replaced, must come back
    con.execute("ALTER TABLE ref.construction_quality ADD COLUMN extra INTEGER DEFAULT 0")
    con.execute("ALTER TABLE ref.construction_quality ALTER COLUMN extra SET NOT NULL")
    con.execute("ALTER TABLE ref.construction_quality ALTER COLUMN extra DROP DEFAULT")
    with pytest.raises(duckdb.Error):
        load_reference(con, seeds, today=TODAY)
    assert len(table(con, "standards")) == len(STANDARDS)
    assert con.execute("SELECT max(load_id) FROM ref.seed_versions").fetchone()[0] == 1


def test_a_utf8_bom_as_excel_writes_it_is_fine(con, seeds):
    path = seeds / "brands.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_reference(con, seeds, today=TODAY)["rows"]["brands"] == len(BRANDS)


# --- the checks: each names the file, line and column ----------------------------------------------


def _with(rows: list[list[str]], index: int, column: int, value: str) -> list[list[str]]:
    out = [list(r) for r in rows]
    out[index][column] = value
    return out


BROKEN = [
    ("standards", _with(STANDARDS, 0, 1, "省级"), "standards.csv line 2, column level: 「省级」不在允许值"),
    ("standards", _with(STANDARDS, 0, 1, "行业"), "standards.csv line 2, column level: 编号 GB/T 30001-2020 对应国家标准"),
    ("standards", _with(STANDARDS, 1, 5, "2016-01-10"), "standards.csv line 3, column published_date: 发布年份 2016"),
    ("standards", _with(STANDARDS, 1, 5, "2015-13-01"), "standards.csv line 3, column published_date: 「2015-13-01」不是"),
    ("standards", _with(STANDARDS, 1, 5, "2015/6/1"), "standards.csv line 3, column published_date"),
    ("standards", _with(STANDARDS, 0, 0, "GB-T 30001:2020"), "standards.csv line 2, column standard_no"),
    ("standards", _with(STANDARDS, 0, 4, "牵头"), "standards.csv line 2, column role"),
    ("standards", _with(STANDARDS, 2, 2, ""), "standards.csv line 4, column title: 必填项为空"),
    ("standards", [*STANDARDS, STANDARDS[0]], "standards.csv line 6, column standard_no: 与第 2 行重复"),
    ("standards", [*STANDARDS, ["GB/T 30002-2026", "国家", "t", "e", "主导", "2026-12-01"]],
     "standards.csv line 6, column published_date: 2026-12-01 晚于今天"),
    ("brands", _with(BRANDS, 2, 4, "2025-04-30"), "brands.csv line 4, column expires_date: 省名牌产品有效期3年，应为 2025-05-01"),
    ("brands", _with(BRANDS, 2, 4, ""), "brands.csv line 4, column expires_date"),
    ("brands", _with(BRANDS, 1, 3, "2019-01-01"), "brands.csv line 3, column awarded_date: 著名商标认定已于2018年取消"),
    ("brands", _with(BRANDS, 0, 4, "2013-05-01"), "brands.csv line 2, column expires_date: 驰名商标没有有效期"),
    ("brands", _with(BRANDS, 0, 2, "中华老字号"), "brands.csv line 2, column kind"),
    ("brands", [*BRANDS, BRANDS[3]], "brands.csv line 7, column enterprise,brand,kind,awarded_date: 与第 5 行重复"),
    ("construction_quality", _with(CONSTRUCTION, 0, 2, "101"), "construction_quality.csv line 2, column acceptance_pass_rate"),
    ("construction_quality", _with(CONSTRUCTION, 0, 2, ""), "construction_quality.csv line 2, column acceptance_pass_rate: 必填"),
    ("construction_quality", _with(CONSTRUCTION, 0, 0, "2025-Q2"), "construction_quality.csv line 2, column quarter"),
    ("construction_quality", _with(CONSTRUCTION, 0, 0, "2027Q1"), "construction_quality.csv line 2, column quarter: 2027Q1 尚未开始"),
    ("construction_quality", _with(CONSTRUCTION, 1, 1, "-3"), "construction_quality.csv line 3, column projects_inspected"),
    ("construction_quality", _with(CONSTRUCTION, 1, 3, "1.5"), "construction_quality.csv line 3, column quality_awards"),
    ("construction_quality", [*CONSTRUCTION, ["2025Q4", "3"]], "construction_quality.csv line 5: 有 2 个字段"),
    ("construction_quality", [], "construction_quality.csv: 没有数据行"),
]


@pytest.mark.parametrize(("seed", "rows", "message"), BROKEN, ids=[m.split(": ")[0] + f" #{i}" for i, (_, _, m) in
                                                                    enumerate(BROKEN)])
def test_a_broken_value_is_named_by_file_line_and_column(tmp_path, seed, rows, message):
    seeds = write_seeds(tmp_path / "seeds", **{seed: rows})
    with pytest.raises(SeedError) as caught:
        read_seeds(seeds, TODAY)
    assert any(p.startswith(message) for p in caught.value.problems), caught.value.problems


def test_headers_must_be_exact(tmp_path):
    seeds = write_seeds(tmp_path / "seeds")
    path = seeds / "standards.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("lead_enterprise", "enterprise", 1), encoding="utf-8")
    with pytest.raises(SeedError) as caught:
        read_seeds(seeds, TODAY)
    assert caught.value.problems == [
        "standards.csv line 1: 缺少列 lead_enterprise / missing column(s) ['lead_enterprise']",
        "standards.csv line 1: 未知列 enterprise / unknown column(s) ['enterprise']",
    ]


def test_every_problem_of_every_file_is_reported_at_once(tmp_path):
    seeds = write_seeds(tmp_path / "seeds", standards=_with(STANDARDS, 0, 4, "牵头"),
                        brands=_with(BRANDS, 0, 2, "老字号"))
    (seeds / "VERSION").unlink()
    with pytest.raises(SeedError) as caught:
        read_seeds(seeds, TODAY)
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "VERSION", "standards.csv line 2, column role", "brands.csv line 2, column kind"]
    assert "3 problem(s)" in str(caught.value)


def test_three_years_after_29_february_is_28_february():
    assert plus_years(dt.date(2024, 2, 29), 3) == dt.date(2027, 2, 28)
    assert plus_years(dt.date(2022, 5, 1), 3) == dt.date(2025, 5, 1)


# --- stock figures ----------------------------------------------------------------------------------


def test_a_provincial_brand_title_lapses_after_three_years(con, seeds):
    load_reference(con, seeds, today=TODAY)
    assert stock_figures(con, dt.date(2025, 4, 30))["brands"] == {"驰名商标": 1, "著名商标": 1, "省名牌产品": 2}
    # the 2022-05-01 title has expired by 2025-06-01; its renewal of 2025-05-01 counts instead
    assert stock_figures(con, dt.date(2025, 5, 1))["brands"]["省名牌产品"] == 2
    june = stock_figures(con, dt.date(2025, 6, 1))
    valid = con.execute("SELECT awarded_date FROM ref.brands WHERE kind = '省名牌产品' AND awarded_date <= ? "
                        "AND ? < expires_date ORDER BY 1", [dt.date(2025, 6, 1)] * 2).fetchall()
    assert valid == [(dt.date(2024, 2, 29),), (dt.date(2025, 5, 1),)]
    assert june["brands"] == {"驰名商标": 1, "著名商标": 1, "省名牌产品": 2}
    assert stock_figures(con, dt.date(2027, 3, 1))["brands"]["省名牌产品"] == 1
    assert stock_figures(con, dt.date(2030, 1, 1))["brands"] == {"驰名商标": 1, "著名商标": 1, "省名牌产品": 0}


def test_standards_count_from_publication_by_level(con, seeds):
    load_reference(con, seeds, today=TODAY)
    figures = stock_figures(con, dt.date(2024, 12, 31))["standards"]
    assert figures == {"by_level": {"国家": 1, "行业": 1, "地方": 1, "团体": 0}, "total": 3, "led": 2}
    assert stock_figures(con, dt.date(2010, 1, 1))["standards"]["total"] == 0


def test_construction_quality_is_the_latest_return_up_to_the_quarter(con, seeds):
    load_reference(con, seeds, today=TODAY)
    figures = stock_figures(con, dt.date(2026, 6, 30))
    assert figures["construction_quality"] == {"quarter": "2025Q3", "projects_inspected": 0,
                                               "acceptance_pass_rate": None, "quality_awards": 0}
    assert stock_figures(con, dt.date(2026, 9, 30))["construction_quality"]["quarter"] == "2026Q3"
    assert stock_figures(con, dt.date(2025, 3, 31))["construction_quality"] is None
    assert figures["as_of"] == "2026-06-30" and figures["seed_version"] == "t1"


def test_stock_figures_before_any_load_are_zero(con):
    figures = stock_figures(con, dt.date(2026, 6, 30))
    assert figures["seed_version"] is None and figures["standards"]["total"] == 0
    assert set(figures["brands"].values()) == {0}


def test_load_task_writes_the_published_warehouse(quality_env):
    from quality_pipeline.orchestration.tasks import load_reference_data
    from quality_pipeline.warehouse.writer import read_only

    first = load_reference_data(run_id="manual__1")
    assert first["changed"] and load_reference_data(run_id="manual__2")["changed"] is False
    con = read_only(quality_env)
    try:
        assert con.execute("SELECT DISTINCT loaded_by_run FROM ref.seed_versions").fetchall() == [("manual__1",)]
    finally:
        con.close()
