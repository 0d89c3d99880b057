"""Delivery semantics per feed: a period snapshot restates its periods whole (keys it no longer lists are
withdrawn, by tombstones in raw.*), an increment only adds; the batch check compares a snapshot with the
period it restates, and never holds an increment for being small."""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import pytest

from quality_pipeline.feeds import INCREMENT, PERIOD_SNAPSHOT, _check_delivery, all_feeds, load_feed
from quality_pipeline.loading import ingest
from quality_pipeline.loading.ingest import period_shrink
from quality_pipeline.loading.outcomes import decide_batch
from quality_pipeline.validation.suites import MIN_KEYS_VS_PERIOD, batch_suite
from quality_pipeline.warehouse.writer import open_published
from tests.support.extracts import sampling_row, write_sampling_csv

TODAY = date(2026, 11, 20)
INSPECTION_HEADER = "检查编号,检查日期,检查类型,所属街道,出动执法人次,检查户次"


def test_each_feed_declares_the_semantics_its_grain_implies():
    declared = {f.name: (f.delivery, f.period) for f in all_feeds()}
    assert declared == {
        "product_sampling": (PERIOD_SNAPSHOT, "quarter"),
        "enforcement_cases": (PERIOD_SNAPSHOT, "quarter"),
        "remediation_projects": (PERIOD_SNAPSHOT, "month"),
        "enforcement_inspections": (INCREMENT, None),
        "water_quality": (INCREMENT, None),
    }


@pytest.mark.parametrize("change, message", [
    ({"delivery": "snapshot"}, "delivery must be"),
    ({"delivery": PERIOD_SNAPSHOT, "period": None}, "needs period"),
    ({"delivery": PERIOD_SNAPSHOT, "period": "week"}, "needs period"),
    ({"delivery": INCREMENT, "period": "quarter"}, "period snapshots only"),
    ({"event_date": "product_name"}, "not a date"),
])
def test_a_wrong_declaration_is_refused(change, message):
    feed = dataclasses.replace(load_feed("product_sampling"), **change)
    with pytest.raises(ValueError, match=message):
        _check_delivery(feed)


def test_the_period_that_shrinks_most_is_named_with_both_counts():
    assert period_shrink({"2026Q3": 9}, {"2026Q3": 10}) == {
        "keys_vs_period": 0.9, "period": "2026Q3", "file_keys": 9, "period_keys": 10}
    assert period_shrink({"2026Q2": 1, "2026Q3": 40}, {"2026Q2": 30, "2026Q3": 38})["period"] == "2026Q2"
    assert period_shrink({"2026Q4": 5}, {"2026Q3": 38}) is None  # a new period: nothing to compare with
    assert period_shrink({}, {"2026Q3": 38}) is None


def test_only_snapshots_have_a_size_rule_and_no_rule_compares_with_the_previous_delivery():
    for feed in all_feeds():
        rules = {e["meta"]["rule"]: e for e in batch_suite(feed)["expectations"]}
        assert "row_drop" not in rules and not any("previous" in e["kwargs"]["column"] for e in rules.values())
        if feed.delivery == PERIOD_SNAPSHOT:
            assert rules["period_drop"]["kwargs"] == {"column": "keys_vs_period", "min_value": MIN_KEYS_VS_PERIOD}
            assert rules["period_drop"]["meta"]["severity"] == "hold"
        else:
            assert "period_drop" not in rules


def _summary(**values) -> pd.DataFrame:
    base = {"rows_read": 10, "rejected_share": 0.0, "keys_vs_period": None, "columns_dropped": 0,
            "sheet_conflicts": 0}
    return pd.DataFrame([{**base, **values}])


def test_the_hold_reason_names_the_period_and_both_counts_in_both_languages(gate):
    shrink = period_shrink({"2026Q3": 3}, {"2026Q3": 40})
    outcomes = gate.validate("product_sampling.batch", _summary(keys_vs_period=shrink["keys_vs_period"]), {})
    decision = decide_batch(outcomes, releasing=False, parameters=shrink)
    assert (decision.status, decision.reason_code) == ("held", "period_drop")
    zh, en = decision.reason.split(" / ")
    assert "2026Q3" in zh and "3 个" in zh and "40 个" in zh
    assert "quarter 2026Q3 with 3 keys where it had 40" in en
    small_fix = period_shrink({"2026Q3": 9}, {"2026Q3": 10})
    outcomes = gate.validate("product_sampling.batch", _summary(keys_vs_period=small_fix["keys_vs_period"]), {})
    assert decide_batch(outcomes, releasing=False, parameters=small_fix).status == "loaded"


def test_an_increment_is_never_held_for_being_small(gate):
    for feed in ("enforcement_inspections", "water_quality"):
        outcomes = gate.validate(f"{feed}.batch", _summary(rows_read=1), {})
        assert decide_batch(outcomes, releasing=False).status == "loaded"


# --- in a warehouse ---------------------------------------------------------------------------------------


def _rows(con_path, sql: str, *args) -> list[tuple]:
    con = open_published(con_path)
    try:
        return con.execute(sql, list(args)).fetchall()
    finally:
        con.close()


def _load(env, gate, feed: str, run: str) -> dict[str, ingest.FileResult]:
    return {r.path: r for r in ingest.ingest_feed(feed, run_id=run, settings=env, gate=gate, today=TODAY)}


def test_a_restated_quarter_withdraws_the_key_it_no_longer_lists(quality_env, gate):
    folder = quality_env.landing_dir / "product_sampling"
    write_sampling_csv(folder / "q3.csv", [sampling_row(n) for n in range(10)], mtime=1_000)
    write_sampling_csv(folder / "q2.csv", [sampling_row(n, day="2026-05-06") for n in range(20, 30)], mtime=1_100)
    assert {r.status for r in _load(quality_env, gate, "product_sampling", "r1").values()} == {"loaded"}

    # the corrected sheet drops S00004 (annulled): 10 → 9, loaded, the key withdrawn; Q2 untouched
    write_sampling_csv(folder / "q3-fix.csv", [sampling_row(n) for n in range(10) if n != 4], mtime=2_000)
    fix = _load(quality_env, gate, "product_sampling", "r2")["product_sampling/q3-fix.csv"]
    assert (fix.status, fix.rows_loaded, fix.keys_withdrawn) == ("loaded", 9, 1)
    core = "SELECT sample_no FROM core.product_sampling WHERE sampling_date >= '2026-07-01' ORDER BY 1"
    assert [k for (k,) in _rows(quality_env.warehouse, core)] == [f"S{n:05d}" for n in range(10) if n != 4]
    assert _rows(quality_env.warehouse, "SELECT count(*) FROM core.product_sampling WHERE sampling_date < '2026-07-01'"
                 ) == [(10,)]
    tomb = _rows(quality_env.warehouse, "SELECT r.sample_no, r.sampling_date, f.path, r.conclusion FROM "
                 "raw.product_sampling r JOIN audit.files f ON f.file_id = r._file_id WHERE r._withdrawn")
    assert tomb == [("S00004", date(2026, 7, 3), "product_sampling/q3-fix.csv", None)]
    details = _rows(quality_env.warehouse, "SELECT details->>'$.keys_withdrawn', details->'$.restated_periods' "
                    "FROM audit.files WHERE path = 'product_sampling/q3-fix.csv'")
    assert details == [("1", '{"2026Q3":9}')]

    # delivered again, the key is back: a newer version beats the tombstone
    write_sampling_csv(folder / "q3-again.csv", [sampling_row(n, product="插头") for n in range(10)], mtime=3_000)
    again = _load(quality_env, gate, "product_sampling", "r3")["product_sampling/q3-again.csv"]
    assert (again.status, again.keys_withdrawn) == ("loaded", 0)
    assert len(_rows(quality_env.warehouse, core)) == 10


def test_a_rejected_row_keeps_its_key_listed(quality_env, gate):
    """A key whose new row is rejected is not withdrawn: its previous version stands, as for an increment."""
    folder = quality_env.landing_dir / "product_sampling"
    write_sampling_csv(folder / "q3.csv", [sampling_row(n) for n in range(10)], mtime=1_000)
    _load(quality_env, gate, "product_sampling", "r1")
    rows = [sampling_row(n) for n in range(10)]
    rows[2][6] = "说不清"  # not an allowed conclusion: rejected
    write_sampling_csv(folder / "q3-fix.csv", rows, mtime=2_000)
    fix = _load(quality_env, gate, "product_sampling", "r2")["product_sampling/q3-fix.csv"]
    assert (fix.status, fix.rows_rejected, fix.keys_withdrawn) == ("loaded", 1, 0)
    assert _rows(quality_env.warehouse, "SELECT conclusion, _file_id FROM core.product_sampling WHERE "
                 "sample_no = 'S00002'")[0][0] == "合格"


def test_a_stray_row_restating_an_old_quarter_is_held_and_an_increment_top_up_is_not(quality_env, gate):
    folder = quality_env.landing_dir / "product_sampling"
    write_sampling_csv(folder / "q2.csv", [sampling_row(n, day="2026-05-06") for n in range(10)], mtime=1_000)
    _load(quality_env, gate, "product_sampling", "r1")
    write_sampling_csv(folder / "q3.csv", [sampling_row(n) for n in range(20, 40)] + [sampling_row(3, day="2026-06-30")],
                       mtime=2_000)
    held = _load(quality_env, gate, "product_sampling", "r2")["product_sampling/q3.csv"]
    assert (held.status, held.keys_withdrawn) == ("held", 0)
    assert "2026Q2" in held.reason and "1 keys where it had 10" in held.reason
    assert _rows(quality_env.warehouse, "SELECT count(*) FROM core.product_sampling") == [(10,)]

    inspections = quality_env.landing_dir / "enforcement" / "inspections"
    inspections.mkdir(parents=True)
    many = "\n".join(f"JC-{n:04d},2026-09-{1 + n % 28:02d},日常检查,金砂街道,4,2" for n in range(50))
    (inspections / "sep.csv").write_text(f"{INSPECTION_HEADER}\n{many}\n", encoding="utf-8")
    _load(quality_env, gate, "enforcement_inspections", "r3")
    (inspections / "top-up.csv").write_text(f"{INSPECTION_HEADER}\nJC-9999,2026-09-30,日常检查,金砂街道,6,3\n",
                                            encoding="utf-8")
    top_up = _load(quality_env, gate, "enforcement_inspections", "r4")["enforcement/inspections/top-up.csv"]
    assert (top_up.status, top_up.rows_loaded, top_up.keys_withdrawn) == ("loaded", 1, 0)
    assert _rows(quality_env.warehouse, "SELECT count(*), count(*) FILTER (_withdrawn) FROM raw.enforcement_inspections"
                 ) == [(51, 0)]


def test_a_monthly_report_restates_its_month_only(quality_env, gate):
    folder = quality_env.landing_dir / "remediation" / "projects"
    folder.mkdir(parents=True)
    header = "项目编号,报告期,水体名称,计划总投资,累计完成投资,形象进度"

    def report(name: str, month: str, projects: range, mtime: int) -> None:
        body = "\n".join(f"P{n:03d},{month},河涌{n},1000000,{100000 + n},{20 + n}" for n in projects)
        (folder / name).write_text(f"{header}\n{body}\n", encoding="utf-8")
        import os

        os.utime(folder / name, (mtime, mtime))

    report("aug.csv", "2026-08", range(6), 1_000)
    report("sep.csv", "2026-09", range(6), 1_100)
    loaded = _load(quality_env, gate, "remediation_projects", "r1")
    assert {r.status for r in loaded.values()} == {"loaded"}, [r.reason for r in loaded.values()]
    report("sep-fix.csv", "2026-09", range(5), 2_000)  # P005 dropped from September's report
    fix = _load(quality_env, gate, "remediation_projects", "r2")["remediation/projects/sep-fix.csv"]
    assert (fix.status, fix.keys_withdrawn) == ("loaded", 1)
    assert _rows(quality_env.warehouse, "SELECT strftime(report_month, '%Y-%m'), count(*) FROM "
                 "core.remediation_projects GROUP BY 1 ORDER BY 1") == [("2026-08", 6), ("2026-09", 5)]
