"""Quarter status and the year to date: `indicators/periods.py` and the annual rows of the indicator SQL.

The indicator SQL runs on small in-memory inputs (as in test_indicator_sql.py); "today" is always given,
never read from the clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from quality_pipeline.indicators import periods
from quality_pipeline.indicators.compute import compute, compute_annual, refresh
from quality_pipeline.indicators.quality_index import load_index_config, part_score
from quality_pipeline.region import load_region
from quality_pipeline.report.data import latest_closed
from quality_pipeline.settings import DEFAULT_INDEX_FILE
from tests.unit.test_indicator_sql import REGION, batch, body_samples, inspection, load, report

DEC_1 = dt.date(2026, 12, 1)


def annual(con, today=DEC_1, region=REGION) -> pd.DataFrame:
    return compute_annual(con, region, DEFAULT_INDEX_FILE, today)


def year_row(table, year, indicator, scope="district") -> pd.Series:
    hit = table[(table["year"] == year) & (table["indicator"] == indicator) & (table["scope"] == scope)]
    assert len(hit) == 1, f"{year} {indicator} {scope}: {len(hit)} rows"
    return hit.iloc[0]


# --- periods.py -------------------------------------------------------------------------------


@pytest.mark.parametrize(("period", "today", "grace", "expected"), [
    ("2026Q3", dt.date(2026, 9, 15), 20, "provisional"),  # open
    ("2026Q3", dt.date(2026, 10, 20), 20, "provisional"),  # the last day of grace
    ("2026Q3", dt.date(2026, 10, 21), 20, "closed"),
    ("2026Q3", dt.date(2026, 10, 1), 0, "closed"),  # no grace: closed the day after it ends
    ("2026Q4", DEC_1, 20, "provisional"),
    ("2099Q1", DEC_1, 20, "provisional"),  # a quarter in the future is never closed
    ("2025", DEC_1, 20, "closed"),
    ("2026", DEC_1, 20, "provisional"),
    ("2026", dt.date(2027, 1, 21), 20, "closed"),
])
def test_status(period, today, grace, expected):
    assert periods.status(period, today, grace) == expected


def test_elapsed_share_and_the_latest_closed_quarter():
    assert periods.elapsed_share("2026Q4", DEC_1) == pytest.approx(62 / 92)
    assert periods.elapsed_share("2026Q3", DEC_1) == 1.0
    assert periods.elapsed_share("2027Q1", DEC_1) == 0.0
    assert periods.elapsed_share("2026", dt.date(2026, 6, 30)) == pytest.approx(181 / 365)
    statuses = {q: periods.current_status(q, None, DEC_1, 20) for q in ("2026Q2", "2026Q3", "2026Q4", "2099Q1")}
    assert latest_closed(statuses) == "2026Q3"  # a stray future quarter is never the latest
    assert periods.current_status("2026Q3", "closed", dt.date(2026, 10, 5), 20) == "closed"  # closed stays closed
    assert periods.current_status("2026Q3", "provisional", DEC_1, 20) == "closed"  # its grace has passed since
    assert latest_closed({"2026Q4": "provisional"}) is None
    with pytest.raises(ValueError, match="2026Q3"):
        periods.bounds("2026-Q3")


def test_grace_days_come_from_the_region_file(tmp_path):
    path = tmp_path / "region.yaml"
    path.write_text("code: '1'\nname: 某区\nstreets: [甲]\ndelivery_grace_days: 5\n", encoding="utf-8")
    assert load_region(path).grace_days == 5
    path.write_text("code: '1'\nname: 某区\nstreets: [甲]\n", encoding="utf-8")
    assert load_region(path).grace_days == 20
    path.write_text("code: '1'\nname: 某区\nstreets: [甲]\ndelivery_grace_days: -1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="delivery_grace_days"):
        load_region(path)


# --- quarterly rows carry their status --------------------------------------------------------


def test_every_quarterly_row_carries_its_status_as_of_today(con):
    load(con, "product_sampling", [batch("S1", "2026-09-30", "合格"), batch("S2", "2026-10-02", "合格")])
    table = compute(con, REGION, DEFAULT_INDEX_FILE, today=dt.date(2026, 10, 20))
    assert dict(zip(table["quarter"], table["period_status"], strict=False)) == {
        "2026Q3": "provisional", "2026Q4": "provisional"}
    table = compute(con, REGION, DEFAULT_INDEX_FILE, today=DEC_1)
    statuses = table.groupby("quarter")["period_status"].unique().map(list).to_dict()
    assert statuses == {"2026Q3": ["closed"], "2026Q4": ["provisional"]}
    short_grace = dataclasses.replace(REGION, grace_days=0)
    table = compute(con, short_grace, DEFAULT_INDEX_FILE, today=dt.date(2026, 10, 1))
    assert set(table[table["quarter"] == "2026Q3"]["period_status"]) == {"closed"}


def test_a_partial_refresh_restamps_the_quarters_it_did_not_recompute(con):
    load(con, "product_sampling", [batch("S1", "2026-09-30", "合格"), batch("S2", "2026-12-01", "合格")])
    refresh(con, REGION, DEFAULT_INDEX_FILE, today=dt.date(2026, 10, 5))
    refresh(con, REGION, DEFAULT_INDEX_FILE, quarters=["2026Q4"], today=DEC_1)
    rows = dict(con.execute("SELECT DISTINCT quarter, period_status FROM marts.quarterly_indicators").fetchall())
    assert rows == {"2026Q3": "closed", "2026Q4": "provisional"}
    years = con.execute("SELECT DISTINCT year, period_status, through_quarter FROM marts.annual_indicators").fetchall()
    assert years == [(2026, "provisional", "2026Q4")]


# --- the year to date -------------------------------------------------------------------------


def test_the_year_pass_rate_is_over_the_year_batches_not_an_average_of_quarters(con):
    load(con, "product_sampling", [
        batch("S1", "2026-01-05", "合格", "金砂街道"),  # Q1: 1 of 1
        *[batch(f"T{i}", "2026-04-05", "合格" if i < 6 else "不合格", "金砂街道", "整改中") for i in range(10)],
        batch("S2", "2026-05-01", "拒检"),
        batch("S3", "2025-12-31", "不合格"),  # another year
    ])
    table = annual(con)
    rate = year_row(table, 2026, "sampling_pass_rate")
    assert (rate["numerator"], rate["denominator"]) == (7, 11)
    assert rate["value"] == pytest.approx(100 * 7 / 11, abs=1e-4)  # the mean of quarters would be 80
    assert rate["target"] == 93 and rate["target_met"] is False and rate["on_track"] is False
    assert year_row(table, 2026, "sampling_pass_rate", "金砂街道")["denominator"] == 11
    assert year_row(table, 2026, "sampling_refusals")["value"] == 1
    followups = year_row(table, 2026, "sampling_followup_open")
    assert (followups["value"], followups["target"], followups["target_met"]) == (4, 0, False)
    assert year_row(table, 2025, "sampling_pass_rate")["value"] == 0
    assert year_row(table, 2025, "sampling_pass_rate")["period_status"] == "closed"
    assert year_row(table, 2026, "sampling_pass_rate")["through_quarter"] == "2026Q2"


@pytest.mark.parametrize(("officers", "on_track"), [(1000, True), (984, True), (983, False)])
def test_person_times_on_track_against_the_target_prorated_to_the_elapsed_share(con, officers, on_track):
    """Data through 2026Q2: the year is 181/365 elapsed, so the pro-rated target is 4,000 × 181/365 ≈ 1983.6."""
    load(con, "enforcement_inspections", [inspection("I1", "2026-02-01", 1000, "金砂街道"),
                                          inspection("I2", "2026-06-30", officers, "东方街道")])
    row = year_row(annual(con), 2026, "enforcement_inspection_person_times")
    assert row["value"] == 1000 + officers
    assert row["target"] == 4000 and row["target_met"] is False
    assert row["on_track"] is on_track
    street = year_row(annual(con), 2026, "enforcement_inspection_person_times", "金砂街道")
    assert street["target"] == pytest.approx(4000 / len(REGION.streets))


def test_a_running_quarter_prorates_to_today(con):
    """One inspection in the open quarter: the year runs through 2026Q4, elapsed to 1 December (335/365)."""
    load(con, "enforcement_inspections", [inspection("I1", "2026-03-01", 3600), inspection("I2", "2026-11-02", 71)])
    row = year_row(annual(con), 2026, "enforcement_inspection_person_times")
    assert row["through_quarter"] == "2026Q4" and row["period_status"] == "provisional"
    assert row["on_track"] is False  # 3,671 < 4,000 × 335/365 ≈ 3,671.2
    row = year_row(annual(con, today=dt.date(2026, 11, 30)), 2026, "enforcement_inspection_person_times")
    assert row["on_track"] is True  # 4,000 × 334/365 ≈ 3,660.3


def test_remediation_at_its_latest_month_of_the_year(con):
    load(con, "remediation_projects", [
        report("P1", "2025-11", 100, 10),
        report("P1", "2026-02", 100, 40),
        report("P1", "2026-05", 100, 70, actual_finish="2026-05-20"),
        report("P2", "2025-12", 300, 30),  # no report in 2026: carried at its latest month
    ])
    table = annual(con)
    rate = year_row(table, 2026, "remediation_investment_rate")
    assert (rate["numerator"], rate["denominator"], rate["value"]) == (100, 400, 25.0)
    assert year_row(table, 2026, "remediation_projects_completed")["value"] == 1
    assert year_row(table, 2025, "remediation_investment_rate")["value"] == 10.0


def test_a_water_body_sampled_across_quarters_is_assessed_over_the_year(con):
    """Three points on three dates, one per quarter: assessed in no quarter, assessed over the year."""
    load(con, "water_quality", [
        *body_samples("A涌", 1, month="2026-01"),
        *[{**s, "point_id": "A涌-2"} for s in body_samples("A涌", 1, month="2026-04")],
        *[{**s, "point_id": "A涌-3"} for s in body_samples("A涌", 1, month="2026-07")],
    ])
    quarters = compute(con, REGION, DEFAULT_INDEX_FILE, today=DEC_1)
    assert set(quarters[quarters["indicator"] == "water_bodies_not_black_rate"]["denominator"]) == {0}
    rate = year_row(annual(con), 2026, "water_bodies_not_black_rate")
    assert (rate["numerator"], rate["denominator"], rate["value"]) == (1, 1, 100.0)


def test_the_year_index_scores_the_year_parts_against_the_quarters_elapsed(con):
    load(con, "product_sampling", [batch(f"S{i}", "2026-02-01", "合格" if i else "不合格") for i in range(20)])
    load(con, "enforcement_inspections", [inspection("I1", "2026-05-01", 1500)])
    row = year_row(annual(con), 2026, "quality_competitiveness_index")
    parts = load_index_config(DEFAULT_INDEX_FILE)["parts"]
    scale = 4 * 181 / 365  # data through 2026Q2
    expected = (0.4 * part_score(95.0, parts["sampling_pass_rate"], 17, "district")
                + 0.2 * part_score(1500, parts["enforcement_inspection_person_times"], 17, "district", scale)
                + 0.2 * part_score(1, parts["sampling_followup_open"], 17, "district", scale)) / 0.8
    assert row["value"] == pytest.approx(expected, abs=1e-4)
    assert 1500 < 1000 * scale  # the person-times part is short of its year-to-date target
    assert row["target"] == 85 and row["on_track"] == (row["value"] >= 85)
