"""The rule "a cumulative figure never falls": the previous month's value, from the warehouse and the file."""

from __future__ import annotations

import duckdb
import pandas as pd

from quality_pipeline.feeds import load_feed
from quality_pipeline.parsing.frame import prev_name
from quality_pipeline.validation import never_falls

PROJECTS = load_feed("remediation_projects")


def test_the_previous_value_comes_from_the_latest_earlier_month_of_the_warehouse_or_the_file():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core")
    con.execute("CREATE TABLE core.remediation_projects (project_no TEXT, report_month DATE, "
                "completed_investment DOUBLE, progress_pct DOUBLE)")
    con.execute("INSERT INTO core.remediation_projects VALUES ('P1', '2026-01-01', 100, 40), ('P1', '2026-02-01', 150, 50)")
    frame = pd.DataFrame({
        "project_no": ["P1", "P1", "P2"],
        "report_month": pd.to_datetime(["2026-03-01", "2026-04-01", "2026-04-01"]),
        "completed_investment": [120.0, 200.0, 10.0],
        "progress_pct": [45.0, 60.0, 5.0],
    })
    out = never_falls.previous_values(con, PROJECTS, frame)
    assert out[prev_name("completed_investment")].tolist()[:2] == [150.0, 120.0]
    assert out[prev_name("progress_pct")].tolist()[:2] == [50.0, 45.0]
    assert out[prev_name("progress_pct")].isna().tolist() == [False, False, True]
    assert never_falls.not_fallen(out["progress_pct"], out[prev_name("progress_pct")]).tolist()[:2] == [False, True]


def test_a_feed_without_never_falling_columns_is_left_alone():
    frame = pd.DataFrame({"x": [1]})
    assert never_falls.previous_values(duckdb.connect(), load_feed("product_sampling"), frame) is frame
    assert never_falls.columns(PROJECTS) == ["completed_investment", "progress_pct"]
