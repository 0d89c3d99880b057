"""The demo-extract generator: deterministic, messy in every documented way, honest in its ground truth."""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from pathlib import Path

import openpyxl
import pytest

from quality_pipeline.demo import Truth, generate, write_large_sampling_csv
from quality_pipeline.demo.__main__ import main
from quality_pipeline.demo.indicators import assessment, black_odorous
from quality_pipeline.demo.uscc import check_char
from quality_pipeline.feeds import all_feeds, load_feed
from quality_pipeline.region import load_region
from quality_pipeline.settings import DEFAULT_REGION_FILE

ROWS = 24
RATE = 0.12
INDICATORS = {
    "sampling_batches", "sampling_pass_rate", "sampling_refusals", "sampling_followup_open",
    "enforcement_inspection_person_times", "enforcement_entities_inspected", "enforcement_cases",
    "anticounterfeit_cases", "enforcement_penalties_yuan", "enforcement_transferred_cases",
    "enforcement_missed_transfers", "remediation_investment_rate", "remediation_projects_completed",
    "water_bodies_not_black_rate",
}


@pytest.fixture(scope="module")
def round_one(tmp_path_factory) -> tuple[Path, Truth]:
    landing = tmp_path_factory.mktemp("r1") / "landing"
    return landing, generate(landing, rows_per_quarter=ROWS, defect_rate=RATE)


@pytest.fixture(scope="module")
def round_two(tmp_path_factory) -> tuple[Path, Truth, Truth]:
    landing = tmp_path_factory.mktemp("r2") / "landing"
    first = generate(landing, rows_per_quarter=ROWS, defect_rate=RATE)
    return landing, first, generate(landing, rows_per_quarter=ROWS, defect_rate=RATE, round=2)


def _grid(landing: Path, f) -> list[list]:
    """The data sheet of a file as a list of rows (None for empty cells)."""
    path = landing / f.path
    if f.format == "xlsx":
        ws = openpyxl.load_workbook(path)[f.data_sheet]
        return [list(r) for r in ws.iter_rows(values_only=True)]
    text = path.read_bytes().decode(f.encoding)
    return [[c if c != "" else None for c in row] for row in csv.reader(io.StringIO(text))]


def _norm_header(cell) -> str:
    text = "".join(unicodedata.normalize("NFKC", str(cell)).split())
    return re.sub(r"\((万元|元)\)$", "", text)


def _is_blank(row) -> bool:
    return all(c is None for c in row)


def _non_data(row) -> bool:
    first = next((str(c).strip() for c in row if c is not None), "")
    return _is_blank(row) or first in ("合计", "总计") or first.startswith(("注：", "填表人："))


def test_same_arguments_give_identical_bytes(tmp_path):
    truths = [generate(tmp_path / name / "landing", rows_per_quarter=8, quarters=2) for name in ("a", "b")]
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b and files_a
    for rel in files_a:
        a, b = tmp_path / "a" / rel, tmp_path / "b" / rel
        assert a.read_bytes() == b.read_bytes(), rel
        assert a.stat().st_mtime == b.stat().st_mtime
    truths[0].to_json(tmp_path / "a.json")
    truths[1].to_json(tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def _columns_by_header(feed) -> dict[str, object]:
    return {_norm_header(s): c for c in feed.columns for s in c.spellings}


VALUE_PATTERNS = {  # (column type, pattern) per kind of written value
    "date iso": ("date", r"\d{4}-\d{2}-\d{2}"), "date slash": ("date", r"\d{4}/\d{1,2}/\d{1,2}"),
    "date dot": ("date", r"\d{4}\.\d{1,2}\.\d{1,2}"), "date cn": ("date", r"\d{4}年\d{1,2}月\d{1,2}日"),
    "date compact": ("date", r"20\d{6}"), "month dash": ("month", r"20\d{2}-\d{2}"),
    "month cn": ("month", r"\d{4}年\d{1,2}月"), "month compact": ("month", r"20\d{4}"),
    "thousands": ("money", r"-?\d{1,3}(,\d{3})+(\.\d+)?"), "full-width digits": (None, r"[０-９]+"),
    "万元 value": ("money", r"\d+(\.\d+)?万元"), "人次 value": ("integer", r"\d+人次"),
    "lower-case uscc": ("uscc", r"(?=.*[a-z])[0-9a-z]{18}"),
    "space-broken uscc": ("uscc", r"[0-9A-Za-z]{6} [0-9A-Za-z]{6} [0-9A-Za-z]{6}"),
}


def test_every_kind_of_mess_occurs(round_one):
    landing, truth = round_one
    region = load_region(DEFAULT_REGION_FILE)
    short_streets = {s.removesuffix("街道") for s in region.streets}
    seen: set[str] = set()
    for f in truth.files:
        feed = load_feed(f.feed)
        by_header = _columns_by_header(feed)
        grid = _grid(landing, f)
        header = grid[f.header_row - 1]
        above, body = grid[: f.header_row - 1], grid[f.header_row:]
        if any(str(c).startswith(region.name) and str(c).endswith("表") for r in above for c in r if c):
            seen.add("title row")
        if any(_is_blank(r) for r in grid):
            seen.add("blank row")
        texts = [str(c) for c in header if c is not None]
        aliases = {a for c in feed.columns for a in c.aliases}
        checks = {
            "alias header": any(_norm_header(t) in aliases for t in texts),
            "header spaces": any(t != t.strip() or " " in t.strip() for t in texts),
            "full-width bracket": any("（" in t for t in texts),
            "header line break": any("\n" in t for t in texts),
            "万元 header": any("万元" in t for t in texts),
            "元 header": any(re.search(r"[(（]元[)）]", t) for t in texts),
        }
        seen |= {name for name, hit in checks.items() if hit}
        data = [r for r in body if not _non_data(r)]
        if len({tuple(r) for r in data}) < len(data):
            seen.add("duplicate rows")
        columns = [by_header.get(_norm_header(h)) if h is not None else None for h in header]
        for row in body:
            first = next((str(c).strip() for c in row if c is not None), "")
            seen |= {"totals row"} if first in ("合计", "总计") else set()
            seen |= {"notes footer"} if first.startswith("注：") else set()
            seen |= {"filler footer"} if first.startswith("填表人：") else set()
            if _non_data(row):
                continue
            for col, cell in zip(columns, row, strict=False):
                if col is None or cell is None:
                    continue
                if isinstance(cell, int) and col.type == "date" and 30000 < cell < 60000:
                    seen.add("excel serial")
                if not isinstance(cell, str):
                    continue
                text = cell.strip(" \u3000\xa0")
                seen |= {"ideographic space"} if "\u3000" in cell else set()
                seen |= {"nbsp"} if "\xa0" in cell else set()
                for name, (kind, pattern) in VALUE_PATTERNS.items():
                    if kind in (None, col.type) and re.fullmatch(pattern, text):
                        seen.add(name)
                if not col.required and text in ("/", "—", "-", "无", "暂无"):
                    seen.add(f"null {text}")
                if col.type == "street":
                    seen |= {"street with suffix"} if text in region.streets else set()
                    seen |= {"street without suffix"} if text in short_streets else set()
                if col.name == "conclusion" and text in ("P", "F", "符合", "不符合"):
                    seen.add(f"conclusion {text}")
        if f.format == "xlsx":
            wb = openpyxl.load_workbook(landing / f.path)
            if any(r.min_row == 1 and r.max_col > 1 for r in wb[f.data_sheet].merged_cells.ranges):
                seen.add("merged title")
            if wb.sheetnames[0] != f.data_sheet and "填表说明" in wb.sheetnames:
                seen.add("data sheet not first")
    expected = {
        "title row", "blank row", "merged title", "notes footer", "filler footer", "totals row",
        "data sheet not first", "alias header", "header spaces", "full-width bracket", "header line break",
        "万元 header", "元 header", "excel serial", "ideographic space", "nbsp", "street with suffix",
        "street without suffix", "duplicate rows", *VALUE_PATTERNS,
        *(f"null {n}" for n in ["/", "—", "-", "无", "暂无"]),
        *(f"conclusion {w}" for w in ["P", "F", "符合", "不符合"]),
    }
    assert expected - seen == set()


def test_csv_encodings_vary(round_one):
    landing, truth = round_one
    csvs = [f for f in truth.files if f.format == "csv"]
    assert {f.encoding for f in csvs} == {"utf-8", "utf-8-sig", "gb18030"}
    for f in csvs:
        data = (landing / f.path).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") == (f.encoding == "utf-8-sig")
        if f.encoding == "gb18030":
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
            data.decode("gbk")  # desktop exports only hold what GBK can encode


def test_rows_are_accounted_for(round_one):
    landing, truth = round_one
    rules = set()
    for f in truth.files:
        assert f.rows_read == f.rows_loaded + f.rows_rejected + f.duplicates_dropped
        assert f.rows_rejected == len(f.rejected)
        grid = _grid(landing, f)
        body = [n for n, r in enumerate(grid, start=1) if n > f.header_row and not _non_data(r)]
        assert len(body) == f.rows_read, f.path
        numbers = [i.row_number for i in f.rejected + f.flagged]
        assert len(numbers) == len(set(numbers)) and set(numbers) <= set(body), f.path
        assert all(i.sheet == f.data_sheet for i in f.rejected + f.flagged)
        rules |= {(i.rule, "rejected") for i in f.rejected} | {(i.rule, "flagged") for i in f.flagged}
    assert {r for r, k in rules if k == "rejected"} >= {"required", "type", "allowed", "range", "conflict"}
    assert {r for r, k in rules if k == "flagged"} >= {"uscc_check", "unknown_street", "not_before"}


def test_indicators_cover_every_quarter(round_one):
    _, truth = round_one
    district = {(r["quarter"], r["indicator"]) for r in truth.indicators if r["scope"] == "district"}
    assert district == {(q, i) for q in truth.quarters for i in INDICATORS}
    streets = {r["scope"] for r in truth.indicators} - {"district"}
    assert streets and streets <= set(truth.region["streets"])
    for r in truth.indicators:
        if r["indicator"].endswith("_rate") and r["denominator"]:
            assert r["value"] == pytest.approx(100 * r["numerator"] / r["denominator"])
    water = [r for r in truth.indicators if r["indicator"] == "water_bodies_not_black_rate"]
    assert any(r["numerator"] < r["denominator"] for r in water) and any(r["numerator"] for r in water)


def test_clean_files_have_no_defects(tmp_path):
    truth = generate(tmp_path / "landing", rows_per_quarter=8, quarters=1, defect_rate=0, messy=False)
    assert all(not f.rejected and not f.flagged and f.duplicates_dropped == 0 for f in truth.files)
    # the header follows only the generator's mark (the first row of every demo file)
    assert all(f.header_row == 2 and f.encoding in (None, "utf-8") for f in truth.files)


def test_round_two_adds_resent_corrected_and_broken_files(round_two):
    landing, first, second = round_two
    assert {f.path for f in first.files} < {f.path for f in second.files}
    new = [f for f in second.files if f.round == 2]
    reasons = {f.reason: f for f in new if f.status == "rejected"}
    assert set(reasons) == {"unreadable", "empty", "no_rows", "no_header", "missing_column",
                            "unsupported_format"}
    assert reasons["missing_column"].reason_keyword == "检验结论"
    assert (landing / reasons["empty"].path).stat().st_size == 0
    assert (landing / reasons["unsupported_format"].path).suffix == ".txt"
    resent = next(f for f in new if f.status == "duplicate")
    assert (landing / resent.path).read_bytes() == (landing / resent.duplicate_of).read_bytes()
    last_first = max(os.stat(landing / f.path).st_mtime for f in first.files)
    assert all(os.stat(landing / f.path).st_mtime > last_first for f in new)
    assert any(f.status == "loaded" and f.rows_loaded for f in new)
    assert first.indicators != second.indicators


def test_another_region_changes_streets_and_titles(tmp_path):
    region_file = tmp_path / "region.yaml"
    region_file.write_text("code: '990101'\nname: 测试区\nstreets: [甲岭, 乙湾, 丙港]\n", encoding="utf-8")
    region = load_region(region_file)
    truth = generate(tmp_path / "landing", rows_per_quarter=8, quarters=1, region=region)
    texts = []
    for f in truth.files:
        texts += [str(c) for row in _grid(tmp_path / "landing", f) for c in row if c is not None]
    assert any(t.startswith("测试区") and "抽查结果" in t for t in texts)
    assert not any("金平" in t or "金砂" in t for t in texts)
    scopes = {r["scope"] for r in truth.indicators} - {"district"}
    assert scopes and scopes <= set(region.streets)


def test_merged_body_cells_are_recorded(tmp_path):
    truth = generate(tmp_path / "landing", rows_per_quarter=30, quarters=1, merged_body=True)
    merges = [(f, m) for f in truth.files for m in f.merged_cells]
    assert merges
    f, merge = merges[0]
    ws = openpyxl.load_workbook(tmp_path / "landing" / f.path)[merge["sheet"]]
    body = [r for r in ws.merged_cells.ranges
            if r.min_row == merge["first_row"] and r.max_row == merge["last_row"]]
    assert body and ws.cell(merge["first_row"], body[0].min_col).value == merge["value"]
    assert not generate(tmp_path / "plain", rows_per_quarter=30, quarters=1).files[0].merged_cells


def test_check_characters_follow_the_standard():
    assert check_char("91440300MA5FXXXX0") in "0123456789ABCDEFGHJKLMNPQRTUWXY"
    assert "91350100M000100Y4" + check_char("91350100M000100Y4") == "91350100M000100Y43"


def test_large_csv_streams_about_100_bytes_a_row(tmp_path):
    info = write_large_sampling_csv(tmp_path / "big.csv", rows=5000, seed=3)
    lines = (tmp_path / "big.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5001 and info["rows"] == 5000 == sum(info["conclusions"].values())
    assert 70 <= info["bytes"] / 5000 <= 140


def test_cli_writes_truth_beside_the_landing_folder(tmp_path, capsys):
    landing = tmp_path / "data" / "landing"
    assert main(["--landing", str(landing), "--rows", "8", "--quarters", "1"]) == 0
    truth = Truth.from_json(tmp_path / "data" / "demo_truth.json")
    assert truth.files and not (landing / "demo_truth.json").exists()
    out = capsys.readouterr().out
    assert all(feed.name in out for feed in all_feeds())
    assert "planted defects" in out and "answer key" in out  # the output explains itself


def test_a_correction_restates_only_the_quarter_it_corrects(tmp_path):
    plain = generate(tmp_path / "landing", rows_per_quarter=20, quarters=3)
    corrected = generate(tmp_path / "landing", rows_per_quarter=20, quarters=3, correct="2026Q2")
    added = [f for f in corrected.files if f.path not in {g.path for g in plain.files}]
    assert [f.path for f in added] == ["product_sampling/2026年第二季度抽检结果更正.xlsx"]
    assert (tmp_path / "landing" / added[0].path).is_file()
    assert added[0].mtime > max(f.mtime for f in plain.files)  # sent after every other file
    before = {(r["quarter"], r["indicator"], r["scope"]): r for r in plain.indicators}
    after = {(r["quarter"], r["indicator"], r["scope"]): r for r in corrected.indicators}
    changed = {k[0] for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {"2026Q2"}
    with pytest.raises(ValueError, match="no product-sampling file of 2024Q1"):
        generate(tmp_path / "other", rows_per_quarter=20, quarters=3, correct="2024Q1")


def test_shallow_water_judges_transparency_by_depth():
    sample = {"transparency_cm": 12.0, "do_mg_l": 5.0, "orp_mv": 120, "nh3n_mg_l": 1.0, "depth_cm": 20}
    assert not black_odorous(sample)  # 12 cm is at least 40% of 20 cm
    assert black_odorous({**sample, "transparency_cm": 7.0})
    assert black_odorous({**sample, "depth_cm": 60})
    assert black_odorous({**sample, "depth_cm": None, "nh3n_mg_l": 9.0})


def test_bodies_need_three_points_and_three_dates_and_at_most_ten_percent_black():
    from datetime import date

    clear = {"water_body": "甲河", "transparency_cm": 40.0, "do_mg_l": 5.0, "orp_mv": 120, "nh3n_mg_l": 1.0,
             "depth_cm": 80}
    samples = [{**clear, "point_id": f"甲河{p}#", "sample_date": date(2026, 7, d)}
               for p in range(4) for d in (3, 9, 20)]
    assert assessment(samples) == {"甲河": True}
    samples[0] = {**samples[0], "do_mg_l": 1.0}  # 1 of 12 black: still not black-odorous
    assert assessment(samples) == {"甲河": True}
    samples[1] = {**samples[1], "do_mg_l": 1.0}
    assert assessment(samples) == {"甲河": False}
    assert assessment([s for s in samples if s["point_id"] in ("甲河0#", "甲河1#")]) == {"甲河": None}
    assert assessment([s for s in samples if s["sample_date"].day != 20]) == {"甲河": None}
