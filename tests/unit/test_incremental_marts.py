"""The current-version tables and the incremental marts equal a full recomputation from raw, after every step.

core.<feed> is a table kept in step with raw.<feed> by `loading.current` in the transaction that publishes,
releases or withdraws a file; `marts.dirty_quarters` records the quarters that changed, and
`indicators.compute.refresh` recomputes only those (and the years they and `today` touch). After each
delivery, correction, period-snapshot tombstone, withdrawal and release below, every core table equals the
current versions ranked afresh from raw (`warehouse/templates/core_table.sql` over every key), and both mart
tables equal a full recomputation, row for row. A property-based sequence does the same for the core tables
on random versions, tombstones and withdrawals.
"""

from __future__ import annotations

import datetime as dt
import os

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quality_pipeline.feeds import all_feeds, load_feed
from quality_pipeline.feeds.schema import current_versions
from quality_pipeline.indicators import compute as compute_module
from quality_pipeline.indicators.compute import (
    ANNUAL_COLUMNS,
    COLUMNS,
    compute,
    compute_annual,
    dirty_quarters,
    refresh,
)
from quality_pipeline.loading import current, ingest
from quality_pipeline.loading.current import carried_forward
from quality_pipeline.loading.decisions import withdraw_file
from quality_pipeline.region import load_region
from quality_pipeline.settings import load_settings
from quality_pipeline.warehouse.feed_schema import build
from quality_pipeline.warehouse.migrations import migrate
from quality_pipeline.warehouse.writer import write_session
from tests.support.extracts import sampling_row, write_sampling_csv

TODAY = dt.date(2026, 11, 20)
PROJECTS_HEADER = "项目编号,报告期,水体名称,计划总投资,累计完成投资,形象进度"
INSPECTION_HEADER = "检查编号,检查日期,检查类型,所属街道,出动执法人次,检查户次"


def _core_equals_a_rebuild(con: duckdb.DuckDBPyConnection) -> None:
    for feed in all_feeds():
        columns = ", ".join(c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'core' AND table_name = ? "
            "ORDER BY column_index", [feed.name]).fetchall())
        kept = con.execute(f"SELECT {columns} FROM core.{feed.name} ORDER BY ALL").fetchall()  # noqa: S608
        afresh = con.execute(f"SELECT {columns} FROM ({current_versions(feed)}) ORDER BY ALL").fetchall()  # noqa: S608
        assert kept == afresh, feed.name


def _sorted(frame: pd.DataFrame, columns: list[str], by: list[str]) -> pd.DataFrame:
    out = frame[columns].sort_values(by).reset_index(drop=True)
    return out.astype(object).where(out.notna(), None)


def _marts_equal_a_full_recomputation(con: duckdb.DuckDBPyConnection, region) -> pd.DataFrame:
    """Refresh incrementally, then compare both mart tables with everything computed afresh; returns what the
    refresh wrote."""
    index_file = load_settings().index_file
    written = refresh(con, region, index_file, today=TODAY)
    assert dirty_quarters(con) == []
    quarterly = compute(con, region, index_file, TODAY)
    annual = compute_annual(con, region, index_file, TODAY, quarterly=quarterly)
    stored_q = con.execute("SELECT * FROM marts.quarterly_indicators").df()
    stored_y = con.execute("SELECT * FROM marts.annual_indicators").df()
    pd.testing.assert_frame_equal(_sorted(stored_q, COLUMNS, ["quarter", "indicator", "scope"]),
                                  _sorted(quarterly, COLUMNS, ["quarter", "indicator", "scope"]),
                                  check_dtype=False, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(_sorted(stored_y, ANNUAL_COLUMNS, ["year", "indicator", "scope"]),
                                  _sorted(annual, ANNUAL_COLUMNS, ["year", "indicator", "scope"]),
                                  check_dtype=False, check_exact=False, rtol=1e-12)
    return written


class Steps:
    def __init__(self, env, gate):
        self.env, self.gate, self.region = env, gate, load_region(env.region_file)
        self.mtime = 1_000

    def _next_mtime(self) -> int:
        self.mtime += 100
        return self.mtime

    def sampling(self, name: str, rows: list[list[str]]) -> None:
        write_sampling_csv(self.env.landing_dir / "product_sampling" / name, rows, mtime=self._next_mtime())

    def projects(self, name: str, month: str, projects: dict[str, int]) -> None:
        folder = self.env.landing_dir / "remediation" / "projects"
        folder.mkdir(parents=True, exist_ok=True)
        body = "\n".join(f"{p},{month},河涌{p},1000000,{done},{done // 20000}" for p, done in projects.items())
        (folder / name).write_text(f"{PROJECTS_HEADER}\n{body}\n", encoding="utf-8")
        os.utime(folder / name, (self._next_mtime(),) * 2)

    def inspections(self, name: str, rows: list[tuple[str, str, int]]) -> None:
        folder = self.env.landing_dir / "enforcement" / "inspections"
        folder.mkdir(parents=True, exist_ok=True)
        body = "\n".join(f"{no},{day},日常检查,金砂街道,{officers},2" for no, day, officers in rows)
        (folder / name).write_text(f"{INSPECTION_HEADER}\n{body}\n", encoding="utf-8")
        os.utime(folder / name, (self._next_mtime(),) * 2)

    def ingest(self, feed: str, run: str, release: tuple[str, ...] = ()) -> dict[str, str]:
        results = ingest.ingest_feed(feed, run_id=run, settings=self.env, gate=self.gate, today=TODAY,
                                     release=release)
        return {r.path: r.status for r in results}

    def withdraw(self, path: str, run: str) -> None:
        withdraw_file(self.env, path, reason="wrong district", actor="tester", run_id=run)

    def dirty(self) -> list[str]:
        with write_session(self.env) as con:
            return dirty_quarters(con)

    def check(self) -> list[str]:
        """Both equalities; returns the quarters the incremental refresh recomputed."""
        with write_session(self.env) as con:
            _core_equals_a_rebuild(con)
            written = _marts_equal_a_full_recomputation(con, self.region)
        return sorted(written["quarter"].unique())


def test_incremental_marts_equal_a_full_recomputation_after_every_step(quality_env, gate):
    s = Steps(quality_env, gate)

    # deliveries: two quarters of sampling, two monthly project reports, a month of inspections
    s.sampling("q3.csv", [sampling_row(n) for n in range(10)])
    s.sampling("q2.csv", [sampling_row(n, day="2026-05-06") for n in range(20, 30)])
    assert set(s.ingest("product_sampling", "r1").values()) == {"loaded"}
    s.projects("apr.csv", "2026-04", {"P001": 100_000, "P002": 200_000})
    s.projects("may.csv", "2026-05", {"P001": 150_000, "P002": 250_000})
    assert set(s.ingest("remediation_projects", "r2").values()) == {"loaded"}
    s.inspections("sep.csv", [(f"JC-{n:03d}", f"2026-09-{1 + n:02d}", 3 + n) for n in range(12)])
    assert set(s.ingest("enforcement_inspections", "r3").values()) == {"loaded"}
    assert s.dirty() == ["2026Q2", "2026Q3"]
    assert s.check() == ["2026Q2", "2026Q3"]
    assert s.dirty() == [] and s.check() == []  # nothing dirty: nothing recomputed

    # a correction: S00003 fails now, S00005 moves from 2026Q3 to 2026Q4 (touching both quarters)
    fixed = [sampling_row(n, conclusion="不合格" if n == 3 else "合格") for n in range(10) if n != 5]
    s.sampling("q3-fix.csv", [*fixed, sampling_row(5, day="2026-10-08")])
    assert set(s.ingest("product_sampling", "r4").values()) == {"loaded"}
    assert s.dirty() == ["2026Q3", "2026Q4"]
    assert s.check() == ["2026Q3", "2026Q4"]

    # a period snapshot without S00004: a tombstone withdraws the key
    s.sampling("q3-fix2.csv", [r for r in fixed if r[0] != "S00004"])
    assert set(s.ingest("product_sampling", "r5").values()) == {"loaded"}
    assert s.dirty() == ["2026Q3"]
    assert s.check() == ["2026Q3"]

    # the inspection JC-002 re-delivered with more officers and moved back into June (an increment)
    s.inspections("sep-fix.csv", [("JC-002", "2026-06-20", 40)])
    assert set(s.ingest("enforcement_inspections", "r6").values()) == {"loaded"}
    assert s.dirty() == ["2026Q2", "2026Q3"]
    assert s.check() == ["2026Q2", "2026Q3"]

    # a project report months later: the quarters between carry May's figures forward
    s.projects("oct.csv", "2026-10", {"P001": 400_000, "P002": 300_000, "P003": 50_000})
    assert set(s.ingest("remediation_projects", "r7").values()) == {"loaded"}
    assert s.dirty() == ["2026Q2", "2026Q3", "2026Q4"]
    assert s.check() == ["2026Q2", "2026Q3", "2026Q4"]

    # withdrawals: the tombstoning sheet (S00004 and the others' earlier versions come back), and the late
    # project report (the carried-forward quarters after May go)
    s.withdraw("product_sampling/q3-fix2.csv", "r8")
    s.withdraw("remediation/projects/oct.csv", "r8")
    assert s.dirty() == ["2026Q2", "2026Q3", "2026Q4"]
    assert s.check() == ["2026Q2", "2026Q3", "2026Q4"]
    with write_session(quality_env) as con:
        assert con.execute("SELECT count(*) FROM core.product_sampling WHERE sample_no = 'S00004'").fetchone() == (1,)
        assert con.execute("SELECT max(quarter) FROM marts.quarterly_indicators "
                           "WHERE indicator = 'remediation_investment_rate'").fetchone() == ("2026Q2",)

    # a Q2 sheet with one key of ten is held; released, it withdraws the other nine
    s.sampling("q2-one.csv", [sampling_row(20, day="2026-05-06", conclusion="不合格")])
    assert s.ingest("product_sampling", "r9") == {"product_sampling/q2-one.csv": "held"}
    assert s.dirty() == [] and s.check() == []
    assert s.ingest("product_sampling", "r10", release=("product_sampling/q2-one.csv",)) == {
        "product_sampling/q2-one.csv": "loaded"}
    assert s.dirty() == ["2026Q2"]
    assert s.check() == ["2026Q2"]

    # a forced full recomputation gives the same tables
    with write_session(quality_env) as con:
        before = con.execute("SELECT * FROM marts.quarterly_indicators ORDER BY ALL").fetchall()
        refresh(con, s.region, quality_env.index_file, today=TODAY, full=True)
        assert con.execute("SELECT * FROM marts.quarterly_indicators ORDER BY ALL").fetchall() == before


def test_a_refresh_that_fails_leaves_the_dirty_quarters_for_the_next(quality_env, gate, monkeypatch):
    """The dirty quarters are committed with the rows they describe, and cleared with the marts they fed: a
    refresh that dies inside its transaction leaves them (and the marts) as they were, and the next one
    recomputes them."""
    s = Steps(quality_env, gate)
    s.sampling("q3.csv", [sampling_row(n) for n in range(10)])
    s.ingest("product_sampling", "r1")

    def dies(*_args):
        raise RuntimeError("killed mid-refresh")

    with monkeypatch.context() as patch:
        patch.setattr(compute_module, "_restamp", dies)  # after the marts' rows are written, before the commit
        with write_session(quality_env) as con, pytest.raises(RuntimeError):
            refresh(con, s.region, quality_env.index_file, today=TODAY)
    assert s.dirty() == ["2026Q3"]
    with write_session(quality_env) as con:
        assert con.execute("SELECT count(*) FROM marts.quarterly_indicators").fetchone() == (0,)
    assert s.check() == ["2026Q3"]


@pytest.mark.parametrize(("changed", "before", "after", "expected"), [
    ({"2026Q2"}, "2026Q2", "2026Q2", {"2026Q2"}),
    ({"2026Q1"}, "2026Q3", "2026Q3", {"2026Q1", "2026Q2", "2026Q3"}),  # every later quarter
    ({"2027Q1"}, "2026Q2", "2027Q1", {"2026Q2", "2026Q3", "2026Q4", "2027Q1"}),  # the gap is filled
    ({"2026Q4"}, "2026Q4", "2026Q1", {"2026Q1", "2026Q2", "2026Q3", "2026Q4"}),  # the gap empties
    (set(), "2026Q4", "2026Q4", set()),
    ({"2026Q2"}, "2026Q2", None, {"2026Q2"}),  # the last report withdrawn
])
def test_a_carried_forward_change_touches_every_later_quarter(changed, before, after, expected):
    assert carried_forward(changed, before, after) == expected


# --- property: random versions, tombstones and withdrawals keep core equal to a rebuild ----------------------

_KEYS = st.sampled_from([*(f"S{n}" for n in range(6)), None])  # a key left empty is one key to the ranking
_DAYS = st.sampled_from([dt.date(2026, 2, 1), dt.date(2026, 5, 1), dt.date(2026, 8, 1)])
_STEP = st.one_of(
    st.tuples(st.just("deliver"), st.lists(st.tuples(_KEYS, _DAYS, st.booleans()), min_size=1, max_size=5)),
    st.tuples(st.just("withdraw"), st.integers(min_value=0, max_value=20)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_STEP, min_size=1, max_size=8))
def test_core_equals_a_rebuild_after_any_sequence(steps):
    """Each step delivers a file (rows and tombstones, a key possibly twice, moved between quarters) or withdraws
    an earlier one; after each, core.product_sampling equals a rebuild and the dirty quarters cover every
    quarter whose current rows changed."""
    feed = load_feed("product_sampling")
    con = duckdb.connect()
    migrate(con)
    files: list[int] = []
    for kind, arg in steps:
        before = _by_quarter(con)
        con.execute("BEGIN")
        if kind == "deliver":
            file_id = len(files) + 1
            files.append(file_id)
            con.execute("INSERT INTO audit.files (file_id, feed, path, sha256, status, run_id, processed_at, "
                        "delivery_seq) VALUES (?, 'product_sampling', ?, 'x', 'loaded', 'r', now(), ?)",
                        [file_id, f"f{file_id}.csv", file_id])
            for row, (key, day, tombstone) in enumerate(arg, start=1):
                con.execute("INSERT INTO raw.product_sampling (sample_no, sampling_date, conclusion, _file_id, "
                            "_run_id, _delivery_seq, _row_number, _loaded_at, _withdrawn) "
                            "VALUES (?, ?, '合格', ?, 'r', ?, ?, now(), ?)",
                            [key, day, file_id, file_id, 0 if tombstone else row, tombstone])
        elif files:
            file_id = files[arg % len(files)]
            con.execute("UPDATE audit.files SET status = 'withdrawn' WHERE file_id = ?", [file_id])
        else:
            con.execute("ROLLBACK")
            continue
        current.refresh_file(con, feed, file_id)
        con.execute("COMMIT")
        _core_equals_a_rebuild(con)
        after = _by_quarter(con)
        moved = {q for q in before.keys() | after.keys() if before.get(q) != after.get(q)}
        assert moved <= set(dirty_quarters(con))
        con.execute("DELETE FROM marts.dirty_quarters")
    con.close()


def _by_quarter(con) -> dict[str, list]:
    rows = con.execute("SELECT year(sampling_date) || 'Q' || quarter(sampling_date), sample_no, _file_id, "
                       "_row_number FROM core.product_sampling ORDER BY ALL").fetchall()
    out: dict[str, list] = {}
    for quarter, *rest in rows:
        out.setdefault(quarter, []).append(rest)
    return out


def test_a_newest_delivery_enters_core_without_its_rows_held_in_the_transactions_memory(tmp_path):
    """A newest delivery's rows go into core.<feed> as a plain INSERT, written to the database file as it goes;
    with RETURNING (the quarters it touched, one per row) DuckDB held every row in the transaction's memory,
    spilling beyond its limit (bench/results.md). The quarters are still all found."""
    feed = load_feed("product_sampling")
    rows = 2 * 122_880
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    build(con)  # the migrations and the feeds' SQL
    con.execute("INSERT INTO raw.product_sampling (sample_no, product_name, inspected_unit, sampling_date, "
                "conclusion, _file_id, _run_id, _delivery_seq, _row_number, _loaded_at, _withdrawn) "
                "SELECT 'S' || i, 'product ' || i, 'unit ' || i, DATE '2026-01-01' + CAST(i % 365 AS INTEGER), "
                "'合格', 1, 'r', 1, i + 2, now(), false FROM range(?) t(i)", [rows])
    con.execute("CHECKPOINT")
    con.execute("BEGIN TRANSACTION")
    quarters = current.refresh_file(con, feed, 1)
    held = con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) / 2 ** 20 FROM duckdb_memory() "
                       "WHERE tag = 'IN_MEMORY_TABLE'").fetchone()[0]
    con.execute("COMMIT")
    assert quarters == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert con.execute("SELECT count(*) FROM core.product_sampling").fetchone()[0] == rows
    _core_equals_a_rebuild(con)
    assert held < 8, f"{held:.0f} MB of the file's core rows held in memory by the transaction"
    con.close()
