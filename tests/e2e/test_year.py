"""The year to date from a real warehouse: demo extracts → ingest → indicators, on a given day.

Annual rows are checked against the demo generator's ground truth (computed from its true records, year by
year), the targets and on-track flags against an independent reading of docs/indicators.md, and a mid-quarter
delivery (one inspection dated in the open quarter) must move the year to date but not the default quarter.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from quality_pipeline.cli import show_indicators
from quality_pipeline.report import build_report
from tests.support.truth_check import annual, assert_annual_match, assert_indicators_match, close, indicators

FEEDS = ("product_sampling", "enforcement_cases", "enforcement_inspections", "remediation_projects",
         "water_quality")
DEC_1 = dt.date(2026, 12, 1)
ANNUAL_TARGETS = {"enforcement_inspection_person_times": 4000, "sampling_pass_rate": 93,
                  "sampling_followup_open": 0, "enforcement_missed_transfers": 0,
                  "water_bodies_not_black_rate": 90, "quality_competitiveness_index": 85}
AT_MOST = {"sampling_followup_open", "enforcement_missed_transfers"}
COUNTS = {"enforcement_inspection_person_times", "sampling_followup_open", "enforcement_missed_transfers"}


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """Four quarters of demo extracts (2025Q4-2026Q3) loaded and computed on 1 December 2026."""
    from quality_pipeline.demo import generate
    from quality_pipeline.orchestration.tasks import ingest, refresh_indicators
    from quality_pipeline.settings import load_settings

    base = tmp_path_factory.mktemp("year")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QUALITY_LANDING_DIR", str(base / "landing"))
        mp.setenv("QUALITY_WAREHOUSE", str(base / "warehouse" / "quality.duckdb"))
        mp.setenv("QUALITY_REPORTS_DIR", str(base / "reports"))
        settings = load_settings()
        truth = generate(settings.landing_dir, seed=5, quarters=4, rows_per_quarter=40, defect_rate=0.03)
        summary = ingest(FEEDS, run_id="year-tests")
        assert {f["status"] for f in summary["files"]} <= {"loaded", "duplicate"}
        refresh_indicators(today=DEC_1)
        yield settings, truth, mp


def _share_of_year(through_quarter: str, year: int) -> float:
    q = int(through_quarter[-1])
    end = dt.date(year, 12, 31) if q == 4 else dt.date(year, 3 * q + 1, 1) - dt.timedelta(days=1)
    last = min(end, DEC_1)
    return ((last - dt.date(year, 1, 1)).days + 1) / ((dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1)


def test_annual_rows_match_the_generator_truth(year):
    settings, truth, _ = year
    assert {t["year"] for t in truth.annual} == {"2025", "2026"}
    assert assert_annual_match(settings, truth) >= 100
    assert assert_indicators_match(settings, truth) >= 200


def test_years_run_through_their_latest_quarter_and_carry_status(year):
    settings, _, _ = year
    rows = annual(settings)
    assert {(k[0], r["through_quarter"], r["period_status"]) for k, r in rows.items()} == {
        ("2025", "2025Q4", "closed"), ("2026", "2026Q3", "provisional")}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:  # on 1 December all four quarters closed
        assert con.execute("SELECT quarter, any_value(period_status) FROM marts.quarterly_indicators "
                           "GROUP BY quarter ORDER BY quarter").fetchall() == [
            ("2025Q4", "closed"), ("2026Q1", "closed"), ("2026Q2", "closed"), ("2026Q3", "closed")]


def test_year_counts_and_rates_add_up_from_the_year_events(year):
    settings, _, _ = year
    rows, quarterly = annual(settings), indicators(settings)
    for indicator in ("enforcement_inspection_person_times", "enforcement_cases", "sampling_batches"):
        by_quarters = sum(v[0] for (q, i, s), v in quarterly.items() if q.startswith("2026") and i == indicator
                          and s == "district")
        assert close(rows[("2026", indicator, "district")]["value"], by_quarters), indicator
    rate = rows[("2026", "sampling_pass_rate", "district")]
    parts = [v for (q, i, s), v in quarterly.items() if q.startswith("2026") and i == "sampling_pass_rate"
             and s == "district"]
    assert close(rate["numerator"], sum(p[1] for p in parts)) and close(rate["denominator"], sum(p[2] for p in parts))
    assert close(rate["value"], 100 * rate["numerator"] / rate["denominator"])


def test_targets_met_and_on_track_as_the_definitions_say(year):
    settings, _, _ = year
    for (y, indicator, scope), row in annual(settings).items():
        if scope != "district":
            continue
        target = ANNUAL_TARGETS.get(indicator)
        assert row["target"] == target, indicator
        if target is None or row["value"] is None:
            assert row["on_track"] is None
            continue
        pace = target * _share_of_year(row["through_quarter"], int(y)) if indicator in COUNTS else target
        if indicator in AT_MOST:
            assert (row["target_met"], row["on_track"]) == (row["value"] <= target, row["value"] <= pace)
        else:
            assert (row["target_met"], row["on_track"]) == (row["value"] >= target, row["value"] >= pace - 1e-9)


def test_a_mid_quarter_delivery_moves_the_year_but_not_the_default_quarter(year, capsys):
    from quality_pipeline.orchestration.tasks import ingest, refresh_indicators

    settings, _, _ = year
    before = annual(settings)[("2026", "enforcement_inspection_person_times", "district")]["value"]
    quarter_before = {k: v for k, v in indicators(settings).items() if k[0] == "2026Q3"}
    folder = settings.landing_dir / "enforcement" / "inspections"
    (folder / "2026年11月执法检查记录.csv").write_text(
        "检查编号,检查日期,检查类型,所属街道,出动执法人次,检查户次\nJC-2026-11-0001,2026-11-02,日常检查,金砂街道,6,3\n",
        encoding="utf-8")
    summary = ingest(("enforcement_inspections",), run_id="mid-quarter")
    if [f["status"] for f in summary["files"]] == ["held"]:  # a one-row top-up trips the batch rule today
        summary = ingest(("enforcement_inspections",), run_id="mid-quarter-release",
                         release=[summary["files"][0]["path"]])
    assert [f["status"] for f in summary["files"]] == ["loaded"]
    refresh_indicators(today=DEC_1)

    row = annual(settings)[("2026", "enforcement_inspection_person_times", "district")]
    assert (row["value"], row["through_quarter"], row["period_status"]) == (before + 6, "2026Q4", "provisional")
    assert {k: v for k, v in indicators(settings).items() if k[0] == "2026Q3"} == quarter_before
    assert show_indicators(None, "district", today=DEC_1) == 0
    assert capsys.readouterr().out.lstrip().startswith("2026Q3 · district")
    assert build_report(today=DEC_1).quarter == "2026Q3"
    q4 = build_report("2026Q4", today=DEC_1).html.read_text(encoding="utf-8")
    assert 'data-period-status="provisional"' in q4 and "季度未结束" in q4
