"""Write-audit-publish under stress: held deliveries, re-deliveries, re-runs, kill -9 and a concurrent reader."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from quality_pipeline.loading.ingest import ingest_feed
from quality_pipeline.warehouse.migrations import MIGRATIONS_DIR, migrate
from quality_pipeline.warehouse.writer import write_session
from tests.support.extracts import sampling_row, write_sampling_csv

FEED = "product_sampling"


def _fingerprint(path) -> dict[str, str]:
    """A content hash of every table, ignoring load timestamps."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('raw', 'audit', 'marts') AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
        out = {}
        for (name,) in tables:
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema || '.' || table_name = ? "
                "AND column_name NOT IN ('_loaded_at', 'processed_at', 'validated_at') ORDER BY ordinal_position",
                [name]).fetchall()]
            quoted = ", ".join(f'"{c}"' for c in cols)
            rows = con.execute(f"SELECT {quoted} FROM {name} ORDER BY ALL").fetchall()  # noqa: S608 - catalog names
            out[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return out
    finally:
        con.close()


def _count(settings, sql: str, params=None):
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _landing_file(settings, name, rows, mtime):
    return write_sampling_csv(settings.landing_dir / FEED / name, rows, mtime=mtime)


def test_held_delivery_is_not_published_until_released(quality_env, gate):
    s = quality_env
    _landing_file(s, "good.csv", [sampling_row(i) for i in range(10)], 1_000)
    bad_rows = [sampling_row(100 + i) for i in range(6)] + [sampling_row(200 + i, day="not a date") for i in range(4)]
    _landing_file(s, "mostly_bad.csv", bad_rows, 2_000)
    results = {r.path: r for r in ingest_feed(FEED, run_id="r1", settings=s, gate=gate)}
    held = results[f"{FEED}/mostly_bad.csv"]
    assert held.status == "held" and "20%" in held.reason
    assert (held.rows_read, held.rows_held, held.rows_rejected, held.rows_loaded) == (10, 6, 4, 0)
    assert _count(s, "SELECT count(*) FROM core.product_sampling") == [(10,)]
    assert _count(s, "SELECT count(*) FROM audit.quarantine WHERE path LIKE '%mostly_bad%'") == [(4,)]

    again = ingest_feed(FEED, run_id="r2", settings=s, gate=gate)
    assert again == []  # held stays held: nothing new, nothing released
    released = ingest_feed(FEED, run_id="r3", settings=s, gate=gate, release=(f"{FEED}/mostly_bad.csv",))
    assert [(r.status, r.rows_loaded) for r in released] == [("loaded", 6)]
    assert _count(s, "SELECT count(*) FROM core.product_sampling") == [(16,)]
    assert _count(s, "SELECT status, released_run_id FROM audit.files WHERE path LIKE '%mostly_bad%'") == [("loaded", "r3")]
    assert _count(s, "SELECT count(*) FROM audit.quarantine WHERE path LIKE '%mostly_bad%'") == [(4,)]


def test_redelivery_is_a_noop_and_corrections_make_the_newest_current(quality_env, gate):
    s = quality_env
    first = _landing_file(s, "q3.csv", [sampling_row(i) for i in range(10)], 1_000)
    ingest_feed(FEED, run_id="r1", settings=s, gate=gate)
    before = _fingerprint(s.warehouse)

    (s.landing_dir / FEED / "q3 (copy).csv").write_bytes(first.read_bytes())
    results = ingest_feed(FEED, run_id="r2", settings=s, gate=gate)
    assert [(r.status, r.rows_loaded) for r in results] == [("duplicate", 0)]
    after = _fingerprint(s.warehouse)
    assert {k: v for k, v in after.items() if k != "audit.files"} == {
        k: v for k, v in before.items() if k != "audit.files"}

    corrected = [sampling_row(i, conclusion="不合格") for i in range(3)]
    _landing_file(s, "q3 更正.csv", corrected, 3_000)
    ingest_feed(FEED, run_id="r3", settings=s, gate=gate)
    current = dict(_count(s, "SELECT sample_no, conclusion FROM core.product_sampling"))
    assert [current[f"S{i:05d}"] for i in range(4)] == ["不合格", "不合格", "不合格", "合格"]
    history = _count(s, "SELECT r.conclusion, f.path, r._run_id FROM raw.product_sampling r "
                        "JOIN audit.files f ON f.file_id = r._file_id WHERE sample_no = 'S00000' ORDER BY r._delivery_seq")
    assert history == [("合格", f"{FEED}/q3.csv", "r1"), ("不合格", f"{FEED}/q3 更正.csv", "r3")]


def test_rerunning_leaves_identical_tables(quality_env, gate):
    s = quality_env
    _landing_file(s, "a.csv", [sampling_row(i) for i in range(20)] + [sampling_row(3)], 1_000)
    ingest_feed(FEED, run_id="r1", settings=s, gate=gate)
    from quality_pipeline.tasks import refresh_indicators

    refresh_indicators()
    first = _fingerprint(s.warehouse)
    ingest_feed(FEED, run_id="r1", settings=s, gate=gate)
    refresh_indicators()
    assert _fingerprint(s.warehouse) == first


_WRITER = textwrap.dedent("""
    from quality_pipeline.loading.ingest import ingest_feed
    ingest_feed("product_sampling", run_id="killed")
""")


def _start_paused_writer(tmp_path, pause_at: str) -> tuple[subprocess.Popen, object]:
    signal_file = tmp_path / f"paused-{pause_at}"
    env = dict(os.environ, QUALITY_FAULT_PAUSE_AT=pause_at, QUALITY_FAULT_SIGNAL=str(signal_file))
    proc = subprocess.Popen([sys.executable, "-c", _WRITER], env=env)
    deadline = time.monotonic() + 180
    while not signal_file.exists():
        assert proc.poll() is None, "writer exited before reaching the fault point"
        assert time.monotonic() < deadline, "writer never reached the fault point"
        time.sleep(0.2)
    return proc, signal_file


@pytest.mark.parametrize("pause_at", ["before_commit", "before_rename"])
def test_kill_9_leaves_last_good_state_and_next_run_completes(quality_env, gate, tmp_path, pause_at):
    s = quality_env
    _landing_file(s, "first.csv", [sampling_row(i) for i in range(10)], 1_000)
    ingest_feed(FEED, run_id="r1", settings=s, gate=gate)
    good = _fingerprint(s.warehouse)
    _landing_file(s, "second.csv", [sampling_row(100 + i) for i in range(10)], 2_000)

    proc, _ = _start_paused_writer(tmp_path, pause_at)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert _fingerprint(s.warehouse) == good  # the published file never saw the killed run

    results = ingest_feed(FEED, run_id="r3", settings=s, gate=gate)
    if pause_at == "before_commit":
        assert [(r.path, r.status) for r in results] == [(f"{FEED}/second.csv", "loaded")]
    assert _count(s, "SELECT count(*) FROM core.product_sampling") == [(20,)]
    assert _count(s, "SELECT count(*) FROM audit.files") == [(2,)]
    assert not list(s.warehouse.parent.glob(".*.tmp"))


_READER = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print(con.execute("SELECT count(*) FROM core.product_sampling").fetchone()[0], flush=True)
    sys.stdin.readline()  # hold the file open while the test loads more data
    print(con.execute("SELECT count(*) FROM core.product_sampling").fetchone()[0], flush=True)
    print(con.execute("SELECT count(*) FROM audit.files").fetchone()[0], flush=True)
""")


def test_a_reader_holding_the_warehouse_never_blocks_a_load_nor_sees_half_of_it(quality_env, gate):
    s = quality_env
    _landing_file(s, "first.csv", [sampling_row(i) for i in range(10)], 1_000)
    ingest_feed(FEED, run_id="r1", settings=s, gate=gate)
    reader = subprocess.Popen([sys.executable, "-c", _READER, str(s.warehouse)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "10"
    _landing_file(s, "second.csv", [sampling_row(100 + i) for i in range(15)], 2_000)
    results = ingest_feed(FEED, run_id="r2", settings=s, gate=gate)  # must not fail on the reader's lock
    assert [r.status for r in results] == ["loaded"]
    out, _ = reader.communicate("go\n", timeout=60)
    assert out.split() == ["10", "1"]  # the reader's snapshot is whole and unchanged
    assert _count(s, "SELECT count(*) FROM core.product_sampling") == [(25,)]


def test_a_warehouse_made_by_an_older_version_upgrades_in_place(quality_env, tmp_path):
    s = quality_env
    old_dir = tmp_path / "old_migrations"
    old_dir.mkdir()
    first = sorted(MIGRATIONS_DIR.glob("V001__*.sql"))[0]
    (old_dir / first.name).write_text(first.read_text(encoding="utf-8"), encoding="utf-8")
    s.work_dir.mkdir(parents=True)
    con = duckdb.connect(str(s.work_dir / "working.duckdb"))
    assert migrate(con, old_dir) == [1]
    con.execute("INSERT INTO audit.files (file_id, feed, path, sha256, status, run_id, processed_at) "
                "VALUES (1, 'product_sampling', 'x.csv', 'abc', 'rejected', 'old', now())")
    con.close()
    with write_session(s) as con:
        versions = [v for (v,) in con.execute("SELECT version FROM meta.schema_migrations ORDER BY 1").fetchall()]
        assert versions == list(range(1, len(sorted(MIGRATIONS_DIR.glob("*.sql"))) + 1))
        assert con.execute("SELECT path FROM audit.files").fetchall() == [("x.csv",)]


def test_reprocessing_a_file_replaces_what_it_delivered(quality_env, gate):
    s = quality_env
    _landing_file(s, "a.csv", [sampling_row(i) for i in range(5)], 1_000)
    ingest_feed(FEED, run_id="r1", settings=s, gate=gate)
    before = _fingerprint(s.warehouse)
    results = ingest_feed(FEED, run_id="r1", settings=s, gate=gate, reprocess=(f"{FEED}/a.csv",))
    assert [(r.status, r.rows_loaded) for r in results] == [("loaded", 5)]
    after = _fingerprint(s.warehouse)
    assert after["raw.product_sampling"] == before["raw.product_sampling"]
    assert _count(s, "SELECT count(*) FROM audit.files") == [(1,)]
