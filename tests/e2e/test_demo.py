"""`make demo`'s steps for real (`python -m quality_pipeline.demo.tour`, which the Makefile calls): seeds, every
DAG, a reported quarter and its correction; then the warehouse the DAGs left is the generator's ground truth,
every example query has rows and the last quarter is intact."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from quality_pipeline.demo.truth import Truth
from quality_pipeline.dictionary import EXAMPLES_DIR
from quality_pipeline.warehouse.writer import open_published
from tests.support.truth_check import assert_files_match, assert_indicators_match, assert_row_issues_match

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo(tmp_path_factory, airflow_db):
    root = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "QUALITY_LANDING_DIR": str(root / "landing"),
           "QUALITY_WAREHOUSE": str(root / "warehouse" / "quality.duckdb"),
           "QUALITY_REPORTS_DIR": str(root / "reports")}
    done = subprocess.run([sys.executable, "-m", "quality_pipeline.demo.tour", "--landing", str(root / "landing")],
                          capture_output=True, text=True, env=env, timeout=1800)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    con = open_published(Path(env["QUALITY_WAREHOUSE"]))
    report = subprocess.run([sys.executable, "-m", "quality_pipeline.report"], capture_output=True, text=True,
                            env=env, timeout=600)  # what make demo runs next
    assert report.returncode == 0, report.stdout[-3000:] + report.stderr[-3000:]
    yield done.stdout, con, json.loads((root / "demo_truth.json").read_text(encoding="utf-8")), root / "reports"
    con.close()


def test_the_demo_says_what_it_does_step_by_step(demo):
    out, _, _, _ = demo
    steps = [line for line in out.splitlines() if line.startswith("[")]
    assert [s[:5] for s in steps] == [f"[{n}/6]" for n in range(1, 7)]
    assert "planted defects" in out and "truth:" in out and "answer key" in out
    assert "seeds " in out and "sample data" in out


def test_every_dag_run_by_make_run_reproduces_the_ground_truth(demo):
    """Every ingest DAG and quarterly_indicators, run by Airflow's test runner (`make run`), over two deliveries
    (round 1, then the corrected sampling sheet): the files, their rejected and flagged rows and the indicators
    are the generator's."""
    _, _, _, reports = demo
    truth = Truth.from_json(reports.parent / "demo_truth.json")
    warehouse = SimpleNamespace(warehouse=reports.parent / "warehouse" / "quality.duckdb")
    assert {f.round for f in truth.files} == {1, 2} and len(truth.files) > 30  # round 1, then the correction
    assert_files_match(warehouse, truth)
    assert assert_row_issues_match(warehouse, truth) >= 10
    assert assert_indicators_match(warehouse, truth) >= 200


def test_the_reported_quarter_is_restated_and_the_last_keeps_its_figures(demo):
    _, con, truth, _ = demo
    assert con.execute("SELECT DISTINCT quarter FROM marts.indicator_vintages").fetchall() == [("2026Q2",)]
    restated = con.execute("SELECT DISTINCT quarter FROM marts.indicator_restatements").fetchall()
    assert restated == [("2026Q2",)]
    expected = next(r for r in truth["indicators"] if (r["quarter"], r["indicator"], r["scope"]) ==
                    ("2026Q3", "sampling_pass_rate", "district"))
    row = con.execute("SELECT numerator, denominator, round(value, 2) FROM marts.quarterly_indicators WHERE "
                      "quarter = '2026Q3' AND indicator = 'sampling_pass_rate' AND scope = 'district'").fetchone()
    assert row == (expected["numerator"], expected["denominator"], round(expected["value"], 2)) == (105, 116, 90.52)
    assert con.execute("SELECT count(*) FROM ref.standards").fetchone()[0] > 0


@pytest.mark.parametrize("path", sorted(EXAMPLES_DIR.glob("*.sql")), ids=lambda p: p.name)
def test_every_example_query_returns_rows_on_the_demo(demo, path):
    _, con, _, _ = demo
    rows = con.execute(path.read_text(encoding="utf-8")).fetchall()
    assert rows, f"{path.name} returns nothing on the demo warehouse"


def test_the_demo_report_is_marked_sample_data_and_shows_the_stock(demo):
    import openpyxl

    _, _, _, reports = demo
    html = (reports / "2026Q3" / "report.html").read_text(encoding="utf-8")
    assert '<div class="banner sample" role="note"><strong>示例数据 · sample data</strong>' in html
    assert "质量强区指标报告（示例数据）</h1>" in html and 'id="stock"' in html
    cover = openpyxl.load_workbook(reports / "2026Q3" / "report.xlsx")["说明"]
    assert cover["A1"].value.endswith("（示例数据）") and cover["A3"].value == "示例数据 Sample data"
