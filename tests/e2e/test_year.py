"""The reporting year as an office lives it, from a real warehouse: monthly deliveries → ingest → indicators.

The demo generator's extracts of four quarters (2025Q4-2026Q3) arrive in the order they were sent: first
those sent by 15 August 2026 (2026Q3 is open: a mid-quarter state), then the rest, then a corrected 2026Q2
sampling sheet that annuls a tested batch (a period snapshot: the batch is withdrawn, the pass rate's
denominator falls by one), a test file delivered by mistake (withdrawn through the ingest DAG's `withdraw`
param) and a two-row top-up of an inspection log (an increment: never held for being small). Quarterly and
annual rows, statuses, withdrawals and restatements are checked against the generator's ground truth, the
targets and on-track flags against an independent reading of docs/indicators.md.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from quality_pipeline.cli import show_indicators
from quality_pipeline.report import build_report
from quality_pipeline.warehouse.writer import open_published
from tests.support.demo import use_folder
from tests.support.truth_check import annual, assert_annual_match, assert_indicators_match, close, indicators

FEEDS = ("product_sampling", "enforcement_cases", "enforcement_inspections", "remediation_projects",
         "water_quality")
DEC_1 = dt.date(2026, 12, 1)
AUG_15 = dt.date(2026, 8, 15)
ANNUAL_TARGETS = {"enforcement_inspection_person_times": 4000, "sampling_pass_rate": 93,
                  "sampling_followup_open": 0, "enforcement_missed_transfers": 0,
                  "water_bodies_not_black_rate": 90, "quality_competitiveness_index": 85}
AT_MOST = {"sampling_followup_open", "enforcement_missed_transfers"}
COUNTS = {"enforcement_inspection_person_times", "sampling_followup_open", "enforcement_missed_transfers"}
DEMO = {"seed": 5, "quarters": 4, "rows_per_quarter": 40, "defect_rate": 0.03}
BY = "year-test"


def _deliver(staging, landing, files, until: dt.datetime | None = None) -> list[str]:
    """Copy the staged files sent by `until` (all, without it) into the landing folder, modification time kept."""
    sent = []
    for f in files:
        if until is None or dt.datetime.fromisoformat(f.mtime) <= until:
            target = landing / f.path
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(staging / f.path, target)
                sent.append(f.path)
    return sent


def _query(settings, sql: str, *args) -> list[tuple]:
    with open_published(settings.warehouse) as con:
        return con.execute(sql, list(args)).fetchall()


@pytest.fixture(scope="module")
def year(tmp_path_factory, airflow_db):
    """The year delivered in two steps, corrected, topped up, a file withdrawn through the DAG; computed on
    1 December 2026. Yields (settings, truth, mid-quarter observations, round-1 truth)."""
    from airflow.dag_processing.dagbag import DagBag

    from quality_pipeline.demo import generate
    from quality_pipeline.indicators.vintages import publish_vintage
    from quality_pipeline.orchestration.tasks import ingest, refresh_indicators
    from quality_pipeline.warehouse.writer import write_session
    from tests.support import DAGS_DIR

    base = tmp_path_factory.mktemp("year")
    with pytest.MonkeyPatch.context() as mp:
        settings = use_folder(mp, base)
        plain = generate(base / "plain", **DEMO)  # the truth before the correction and the late files
        truth = generate(base / "staging", **DEMO, correct="2026Q2", drop_keys=1, wrong_file=True,
                         small_top_up=True)
        files = sorted(truth.files, key=lambda f: (f.mtime, f.path))
        mid_day = dt.datetime.combine(AUG_15, dt.time(23, 59), dt.timezone(dt.timedelta(hours=8)))
        assert _deliver(base / "staging", settings.landing_dir, files, mid_day)
        first = ingest(FEEDS, run_id="year-mid-august")
        assert {f["status"] for f in first["files"]} == {"loaded"}
        refresh_indicators(today=AUG_15)
        mid = {"quarters": _query(settings, "SELECT quarter, any_value(period_status) FROM "
                                  "marts.quarterly_indicators GROUP BY quarter ORDER BY quarter"),
               "annual": _query(settings, "SELECT DISTINCT year, through_quarter, period_status FROM "
                                "marts.annual_indicators ORDER BY year")}
        with write_session(settings) as con:  # 2026Q2 as reported: the vintage the correction will restate
            publish_vintage(con, "2026Q2", "close-2026Q2")
        mid["default"] = _default_quarter(AUG_15)

        _deliver(base / "staging", settings.landing_dir, files)
        rest = ingest(FEEDS, run_id="year-rest")
        mid["rest"] = {f["path"]: (f["status"], f["keys_withdrawn"]) for f in rest["files"]}
        wrong = next(f for f in truth.files if f.withdraw)
        bag = DagBag(str(DAGS_DIR))
        run = bag.dags["ingest_enforcement"].test(run_conf={
            "withdraw": [wrong.path], "reason": wrong.withdraw, "feeds": ["enforcement_inspections"], "by": BY})
        mid["withdraw_run"] = str(getattr(run.state, "value", run.state))
        refresh_indicators(today=DEC_1)
        yield settings, truth, mid, plain


def _default_quarter(today: dt.date) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert show_indicators(None, "district", today=today) == 0
    return out.getvalue().lstrip().split(" ", 1)[0]


def _share_of_year(through_quarter: str, year: int) -> float:
    q = int(through_quarter[-1])
    end = dt.date(year, 12, 31) if q == 4 else dt.date(year, 3 * q + 1, 1) - dt.timedelta(days=1)
    last = min(end, DEC_1)
    return ((last - dt.date(year, 1, 1)).days + 1) / ((dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1)


def test_mid_quarter_the_open_quarter_is_provisional_and_not_the_default(year):
    _, _, mid, _ = year
    assert mid["quarters"] == [("2025Q4", "closed"), ("2026Q1", "closed"), ("2026Q2", "closed"),
                               ("2026Q3", "provisional")]
    assert mid["annual"] == [(2025, "2025Q4", "closed"), (2026, "2026Q3", "provisional")]
    assert mid["default"] == "2026Q2"


def test_the_late_files_load_the_correction_withdraws_and_the_top_up_is_not_held(year):
    settings, truth, mid, _ = year
    correction = next(f for f in truth.files if f.dropped)
    top_up = next(f for f in truth.files if "补报" in f.path and f.feed == "enforcement_inspections")
    wrong = next(f for f in truth.files if f.withdraw)
    assert mid["rest"][correction.path] == ("loaded", len(correction.dropped)) and len(correction.dropped) == 1
    assert mid["rest"][top_up.path] == ("loaded", 0) and top_up.rows_loaded == 2
    assert mid["rest"][wrong.path] == ("loaded", 0)
    assert {status for status, _ in mid["rest"].values()} == {"loaded"}
    dropped = correction.dropped[0]
    assert _query(settings, "SELECT count(*) FROM core.product_sampling WHERE sample_no = ?", dropped) == [(0,)]
    assert _query(settings, "SELECT f.path FROM raw.product_sampling r JOIN audit.files f ON f.file_id = r._file_id "
                  "WHERE r.sample_no = ? AND r._withdrawn", dropped) == [(correction.path,)]


def test_the_wrong_file_is_withdrawn_through_the_dag_and_stays_in_raw(year):
    settings, truth, mid, _ = year
    wrong = next(f for f in truth.files if f.withdraw)
    assert mid["withdraw_run"] == "success"
    assert _query(settings, "SELECT status, decision, decided_by, decision_reason, decided_at IS NOT NULL, "
                  "decided_run_id LIKE 'manual__%' FROM audit.files WHERE path = ?", wrong.path) == [
        ("withdrawn", "withdrawn", BY, wrong.withdraw, True, True)]
    assert _query(settings, "SELECT count(*) FROM raw.enforcement_inspections r JOIN audit.files f ON "
                  "f.file_id = r._file_id WHERE f.path = ?", wrong.path) == [(wrong.rows_loaded,)]
    assert _query(settings, "SELECT count(*) FROM core.enforcement_inspections WHERE inspection_no LIKE 'TEST%'"
                  ) == [(0,)]


def test_the_correction_restates_the_reported_quarter_with_one_batch_fewer(year):
    settings, truth, _, plain = year
    reported = {(r["indicator"], r["scope"]): r for r in plain.indicators if r["quarter"] == "2026Q2"}
    now = {(r["indicator"], r["scope"]): r for r in truth.indicators if r["quarter"] == "2026Q2"}
    rate = ("sampling_pass_rate", "district")
    assert now[rate]["denominator"] == reported[rate]["denominator"] - 1
    rows = _query(settings, "SELECT change, reported_denominator, current_denominator FROM "
                  "marts.indicator_restatements WHERE quarter = '2026Q2' AND indicator = ? AND scope = ?", *rate)
    assert rows == [("changed", reported[rate]["denominator"], now[rate]["denominator"])]
    annual_rows = _query(settings, "SELECT count(*) FROM marts.annual_indicator_restatements WHERE year = 2026 "
                         "AND indicator = 'sampling_pass_rate' AND scope = 'district'")
    assert annual_rows[0][0] >= 1  # the year to date as published with 2026Q2 is restated too


def test_annual_rows_match_the_generator_truth(year):
    settings, truth, _, _ = year
    assert {t["year"] for t in truth.annual} == {"2025", "2026"}
    assert assert_annual_match(settings, truth) >= 100
    assert assert_indicators_match(settings, truth) >= 200


def test_years_run_through_their_latest_quarter_and_carry_status(year):
    settings, _, _, _ = year
    rows = annual(settings)
    assert {(k[0], r["through_quarter"], r["period_status"]) for k, r in rows.items()} == {
        ("2025", "2025Q4", "closed"), ("2026", "2026Q3", "provisional")}
    with open_published(settings.warehouse) as con:  # on 1 December all four quarters closed
        assert con.execute("SELECT quarter, any_value(period_status) FROM marts.quarterly_indicators "
                           "GROUP BY quarter ORDER BY quarter").fetchall() == [
            ("2025Q4", "closed"), ("2026Q1", "closed"), ("2026Q2", "closed"), ("2026Q3", "closed")]


def test_year_counts_and_rates_add_up_from_the_year_events(year):
    settings, _, _, _ = year
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
    settings, _, _, _ = year
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

    settings, _, _, _ = year
    before = annual(settings)[("2026", "enforcement_inspection_person_times", "district")]["value"]
    quarter_before = {k: v for k, v in indicators(settings).items() if k[0] == "2026Q3"}
    folder = settings.landing_dir / "enforcement" / "inspections"
    (folder / "2026年11月执法检查记录.csv").write_text(
        "检查编号,检查日期,检查类型,所属街道,出动执法人次,检查户次\nJC-2026-11-0001,2026-11-02,日常检查,金砂街道,6,3\n",
        encoding="utf-8")
    summary = ingest(("enforcement_inspections",), run_id="mid-quarter")
    assert [f["status"] for f in summary["files"]] == ["loaded"]  # a one-row increment is never held
    refresh_indicators(today=DEC_1)

    row = annual(settings)[("2026", "enforcement_inspection_person_times", "district")]
    assert (row["value"], row["through_quarter"], row["period_status"]) == (before + 6, "2026Q4", "provisional")
    assert {k: v for k, v in indicators(settings).items() if k[0] == "2026Q3"} == quarter_before
    assert show_indicators(None, "district", today=DEC_1) == 0
    assert capsys.readouterr().out.lstrip().startswith("2026Q3 · district")
    assert build_report(today=DEC_1).quarter == "2026Q3"
    q4 = build_report("2026Q4", today=DEC_1).html.read_text(encoding="utf-8")
    assert 'data-period-status="provisional"' in q4 and "季度未结束" in q4
