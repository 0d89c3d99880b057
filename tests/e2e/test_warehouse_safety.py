"""Write-audit-publish under stress: held deliveries, re-deliveries, re-runs, kill -9 and a concurrent reader."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from quality_pipeline.feeds import all_feeds
from quality_pipeline.loading.ingest import ingest_feed
from quality_pipeline.warehouse import lake
from quality_pipeline.warehouse.migrations import MIGRATIONS_DIR, available, migrate
from quality_pipeline.warehouse.writer import WarehouseReadOnly, open_published, write_session
from tests.support.extracts import sampling_row, write_sampling_csv
from tests.support.forked import Forker

FEED = "product_sampling"


def _fingerprint(path, warehouse=None) -> dict[str, str]:
    """A content hash of every table, ignoring load timestamps (`warehouse`: whose data files a working copy lists)."""
    con = open_published(path, warehouse=warehouse)
    try:
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema IN ('raw', 'audit', 'marts') AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
        out = {}
        for (name,) in tables:
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_catalog = current_database() "
                "AND table_schema || '.' || table_name = ? "
                "AND column_name NOT IN ('_loaded_at', 'processed_at', 'validated_at') ORDER BY ordinal_position",
                [name]).fetchall()]
            quoted = ", ".join(f'"{c}"' for c in cols)
            rows = con.execute(f"SELECT {quoted} FROM {name} ORDER BY ALL").fetchall()  # noqa: S608 - catalog names
            out[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return out
    finally:
        con.close()


Q2_DAY = "2026-05-06"  # a file of another quarter than sampling_row's 2026Q3: it restates no key of the first file


def _count(settings, sql: str, params=None):
    con = open_published(settings.warehouse)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _landing_file(settings, name, rows, mtime):
    return write_sampling_csv(settings.landing_dir / FEED / name, rows, mtime=mtime)


def test_held_delivery_is_not_published_until_released(quality_env, gate):
    s = quality_env
    _landing_file(s, "good.csv", [sampling_row(i) for i in range(10)], 1_000)
    # another quarter's sheet: a period snapshot of 2026Q2, so it withdraws nothing of 2026Q3 when released
    bad_rows = [sampling_row(100 + i, day=Q2_DAY) for i in range(6)] + [sampling_row(200 + i, day="not a date")
                                                                        for i in range(4)]
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

    # sampling sheets are period snapshots: the corrected sheet restates the quarter whole
    corrected = [sampling_row(i, conclusion="不合格") for i in range(3)] + [sampling_row(i) for i in range(3, 10)]
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
    from quality_pipeline.orchestration.tasks import refresh_indicators

    refresh_indicators()
    first = _fingerprint(s.warehouse)
    ingest_feed(FEED, run_id="r1", settings=s, gate=gate)
    refresh_indicators()
    assert _fingerprint(s.warehouse) == first


_WRITER = textwrap.dedent("""
    from quality_pipeline.loading.ingest import ingest_feed
    ingest_feed("product_sampling", run_id="killed")
""")


@pytest.fixture(scope="module")
def writers():
    """The writers killed below are forked from one process that imported the pipeline (and Great Expectations,
    which the ingest writer validates with) once, instead of each starting Python and importing it again: a child
    is a process of its own, with the test's environment, that runs `_WRITER` or `_SESSION` as `python -c` would."""
    with Forker("quality_pipeline.loading.ingest", "quality_pipeline.warehouse.writer", "great_expectations") as forker:
        yield forker


def _start_paused_writer(writers: Forker, tmp_path, pause_at: str, script: str = _WRITER):
    signal_file = tmp_path / f"paused-{pause_at}"
    env = dict(os.environ, QUALITY_FAULT_PAUSE_AT=pause_at, QUALITY_FAULT_SIGNAL=str(signal_file))
    proc = writers.start(script, env=env)
    deadline = time.monotonic() + 180
    while not signal_file.exists():
        assert proc.poll() is None, "writer exited before reaching the fault point"
        assert time.monotonic() < deadline, "writer never reached the fault point"
        time.sleep(0.2)
    return proc, signal_file


@pytest.mark.parametrize("pause_at", ["before_commit", "before_rename"])
def test_kill_9_leaves_last_good_state_and_next_run_completes(quality_env, gate, writers, tmp_path, pause_at):
    s = quality_env
    _landing_file(s, "first.csv", [sampling_row(i) for i in range(10)], 1_000)
    ingest_feed(FEED, run_id="r1", settings=s, gate=gate)
    good = _fingerprint(s.warehouse)
    _landing_file(s, "second.csv", [sampling_row(100 + i, day=Q2_DAY) for i in range(10)], 2_000)  # adds 2026Q2

    _kill_at(writers, tmp_path, pause_at)
    assert _fingerprint(s.warehouse) == good  # the published file never saw the killed run
    if pause_at == "before_commit":
        assert list((s.work_dir / "snapshots").iterdir())  # the killed session's private copy is left behind

    results = ingest_feed(FEED, run_id="r3", settings=s, gate=gate)
    if pause_at == "before_commit":
        assert [(r.path, r.status) for r in results] == [(f"{FEED}/second.csv", "loaded")]
    assert _count(s, "SELECT count(*) FROM core.product_sampling") == [(20,)]
    assert _count(s, "SELECT count(*) FROM audit.files") == [(2,)]
    _assert_no_leftovers(s)


def _kill_at(writers: Forker, tmp_path, pause_at: str, script: str = _WRITER) -> None:
    proc, _ = _start_paused_writer(writers, tmp_path, pause_at, script)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _assert_no_leftovers(settings) -> None:
    assert not list(settings.warehouse.parent.glob(".*.tmp"))
    assert not list((settings.work_dir / "snapshots").glob("*"))


_SESSION = textwrap.dedent("""
    from quality_pipeline.warehouse.writer import WarehouseReadOnly, open_published, write_session
    with write_session():
        pass
""")
_MIGRATIONS = [(version, path) for version, _, path in available()]
_MIGRATION_POINTS = [f"{step}_V{version:03d}" for version, _ in _MIGRATIONS for step in ("migration", "migrated")]
# The feeds' SQL runs after the migrations, feed by feed: inside the first and last feed's transaction, and after.
_FEEDS = [feed.name for feed in all_feeds()]
_FEED_SCHEMA_POINTS = [f"{step}_{feed}" for feed in (_FEEDS[0], _FEEDS[-1])
                       for step in ("feed_schema", "feed_schema_applied")]


@pytest.mark.parametrize("pause_at", ["before_commit", "before_rename", *_MIGRATION_POINTS, *_FEED_SCHEMA_POINTS])
def test_a_first_run_killed_anywhere_never_leaves_the_writer_stuck(quality_env, gate, writers, tmp_path, pause_at,
                                                                     caplog, monkeypatch):
    """Killed before anything was ever published; the next run must still load everything.

    A new warehouse starts as a copy of the empty catalog its first writer builds (with no template cached yet,
    as here, the migrations and the feeds' SQL run in that writer); each migration is checkpointed, so nothing
    is ever left that needs a rebuild.
    """
    s = quality_env
    monkeypatch.setenv("QUALITY_CACHE_DIR", str(tmp_path / "cache"))  # no template yet: the writer builds it
    _landing_file(s, "first.csv", [sampling_row(i) for i in range(10)], 1_000)
    _kill_at(writers, tmp_path, pause_at, _WRITER if pause_at in ("before_commit", "before_rename") else _SESSION)
    assert not s.warehouse.exists()

    with caplog.at_level("WARNING", logger="quality_pipeline.warehouse.writer"):
        results = ingest_feed(FEED, run_id="r2", settings=s, gate=gate)
    assert "could not be opened" not in caplog.text
    if pause_at != "before_rename":  # killed after its commit: the load is kept and only published now
        assert [(r.path, r.status) for r in results] == [(f"{FEED}/first.csv", "loaded")]
    assert _count(s, "SELECT count(*) FROM core.product_sampling") == [(10,)]
    assert _count(s, "SELECT count(*) FROM meta.schema_migrations") == [(len(_MIGRATIONS),)]
    assert _count(s, "SELECT count(*) FROM meta.feed_schema") == [(len(_FEEDS),)]
    _assert_no_leftovers(s)


def _publish_older_warehouse(settings, tmp_path, upto: int, *, raw_row: bool = False) -> None:
    """A published warehouse made before this change: migrations below `upto`, one file row (and with `raw_row`
    one loaded sampling row), and the old `meta.schema_migrations` whose `DEFAULT current_timestamp` DuckDB
    1.5.5 cannot replay comments on."""
    old_dir = tmp_path / "old_migrations"
    old_dir.mkdir()
    for version, path in _MIGRATIONS:
        if version < upto:
            (old_dir / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    settings.warehouse.parent.mkdir(parents=True)
    con = duckdb.connect(str(settings.warehouse))
    con.execute("CREATE SCHEMA meta")
    con.execute("CREATE TABLE meta.schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                "checksum VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)")
    migrate(con, old_dir)
    con.execute("INSERT INTO audit.files (file_id, feed, path, sha256, status, run_id, processed_at) "
                "VALUES (nextval('audit.file_id_seq'), 'product_sampling', 'old.csv', 'abc', 'rejected', 'old', now())")
    if raw_row:
        con.execute("INSERT INTO raw.product_sampling (sample_no, _file_id, _run_id, _delivery_seq, _row_number, "
                    "_loaded_at) VALUES ('S1', 1, 'old', 1, 2, now())")
    con.close()


@pytest.mark.parametrize("pause_at", [p for p in _MIGRATION_POINTS if not p.endswith("V001")])
def test_an_upgrade_killed_in_any_migration_keeps_the_published_rows(quality_env, writers, tmp_path, pause_at,
                                                                       caplog):
    """On an older warehouse, V006 committed but not checkpointed leaves the log DuckDB 1.5.5 cannot replay:
    that working copy is rebuilt from the published file; at every other point it reopens as it is."""
    s = quality_env
    _publish_older_warehouse(s, tmp_path, upto=int(pause_at[-3:]))
    before = _fingerprint(s.warehouse)
    _kill_at(writers, tmp_path, pause_at, _SESSION)
    assert _fingerprint(s.warehouse) == before

    with caplog.at_level("WARNING", logger="quality_pipeline.warehouse.writer"), write_session(s) as con:
        assert con.execute("SELECT count(*) FROM meta.schema_migrations").fetchall() == [(len(_MIGRATIONS),)]
    assert _count(s, "SELECT path FROM audit.files") == [("old.csv",)]
    assert ("could not be opened" in caplog.text) == (pause_at == "migrated_V006")


@pytest.mark.parametrize("pause_at", _FEED_SCHEMA_POINTS)
def test_an_upgrade_killed_while_applying_the_feed_sql_keeps_the_rows_and_finishes(quality_env, writers, tmp_path,
                                                                                    pause_at, caplog):
    """A warehouse made by V001-V008 (with a loaded row) gets the feeds' SQL on its first session: killed inside
    a feed's transaction or before its checkpoint, the next session finishes it and every row is still there."""
    s = quality_env
    _publish_older_warehouse(s, tmp_path, upto=9, raw_row=True)
    before = _fingerprint(s.warehouse)
    _kill_at(writers, tmp_path, pause_at, _SESSION)
    assert _fingerprint(s.warehouse) == before

    with caplog.at_level("WARNING", logger="quality_pipeline.warehouse.writer"), write_session(s) as con:
        assert con.execute("SELECT count(*) FROM meta.feed_schema").fetchall() == [(len(_FEEDS),)]
        assert con.execute("SELECT sample_no FROM core.product_sampling").fetchall() == [("S1",)]
        comment = con.execute("SELECT comment FROM duckdb_tables() WHERE schema_name = 'core' "
                              "AND table_name = 'water_quality'").fetchone()[0]
    assert comment.startswith("水质监测：每个主键的当前版本")
    assert "could not be opened" not in caplog.text


@pytest.mark.parametrize("pause_at", ["convert_before_commit", "convert_before_rename", "convert_after_rename"])
def test_a_conversion_killed_anywhere_leaves_the_published_file_and_the_next_session_converts(
        quality_env, writers, tmp_path, pause_at, caplog):
    """A DuckDB-file warehouse (V001-V012, one file row and one raw row) is converted into the catalog on the first
    session: killed inside the copy's transaction, before the new catalog is renamed in, or after, the published
    file is as it was, and the next session converts (or finishes) and publishes the catalog with every row."""
    s = quality_env
    _publish_older_warehouse(s, tmp_path, upto=13, raw_row=True)
    before = _fingerprint(s.warehouse)
    _kill_at(writers, tmp_path, pause_at, _SESSION)
    assert _fingerprint(s.warehouse) == before
    assert (s.work_dir / "working.ducklake").exists() == (pause_at == "convert_after_rename")

    with caplog.at_level("WARNING", logger="quality_pipeline.warehouse.writer"), write_session(s) as con:
        # never below a number in use (a DuckDB sequence reopened reports one more than it handed out)
        assert con.execute("SELECT value >= 1 FROM meta.sequences WHERE name = 'audit.file_id'").fetchall() == [(True,)]
    assert lake.is_catalog(s.warehouse)
    assert _count(s, "SELECT path FROM audit.files") == [("old.csv",)]
    assert _count(s, "SELECT sample_no FROM raw.product_sampling") == [("S1",)]
    assert _count(s, "SELECT count(*) FROM meta.schema_migrations") == [(len(_MIGRATIONS),)]
    assert ("converting the DuckDB-file warehouse" in caplog.text) == (pause_at != "convert_after_rename")
    assert sorted(p.name for p in s.work_dir.iterdir() if p.suffix in (".duckdb", ".ducklake", ".wal")) == [
        "working.ducklake"]
    _assert_no_leftovers(s)


_UNREPLAYABLE = textwrap.dedent("""
    import os, sys, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("CREATE TABLE t (a INTEGER, at_ TIMESTAMP DEFAULT current_timestamp)")
    con.execute("CHECKPOINT")
    con.execute("COMMENT ON COLUMN t.a IS 'x'")
    os._exit(0)  # as kill -9 would: the comment stays in the log
""")


def test_a_working_copy_that_cannot_be_opened_is_rebuilt_from_the_published_catalog(quality_env, gate, caplog):
    s = quality_env
    _landing_file(s, "first.csv", [sampling_row(i) for i in range(10)], 1_000)
    ingest_feed(FEED, run_id="r1", settings=s, gate=gate)
    working = s.work_dir / "working.ducklake"
    working.write_bytes(working.read_bytes()[:100_000])  # a damaged catalog file
    _landing_file(s, "second.csv", [sampling_row(100 + i, day=Q2_DAY) for i in range(5)], 2_000)
    with caplog.at_level("WARNING", logger="quality_pipeline.warehouse.writer"):
        results = ingest_feed(FEED, run_id="r2", settings=s, gate=gate)
    assert [(r.path, r.status) for r in results] == [(f"{FEED}/second.csv", "loaded")]
    assert _count(s, "SELECT count(*) FROM core.product_sampling") == [(15,)]
    assert "could not be opened" in caplog.text and "rebuilt from" in caplog.text
    assert (s.work_dir / "broken-working.ducklake").exists()


def test_an_old_working_copy_duckdb_cannot_open_is_converted_from_the_published_file(quality_env, tmp_path, caplog):
    """Before the catalog: a DuckDB-file working copy with a log DuckDB 1.5.5 cannot replay is set aside and the
    published DuckDB file is converted instead."""
    s = quality_env
    _publish_older_warehouse(s, tmp_path, upto=13)  # V001-V012: the storage before the catalog
    s.work_dir.mkdir()
    working = s.work_dir / "working.duckdb"
    subprocess.run([sys.executable, "-c", _UNREPLAYABLE, str(working)], check=True)
    with pytest.raises(duckdb.Error, match="replaying WAL"):
        duckdb.connect(str(working))
    with caplog.at_level("WARNING", logger="quality_pipeline.warehouse.writer"), write_session(s):
        pass
    assert _count(s, "SELECT path FROM audit.files") == [("old.csv",)]
    assert "could not be opened" in caplog.text and "converted" in caplog.text
    assert (s.work_dir / "broken-working.duckdb.wal").exists() and not working.exists()


_READER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from quality_pipeline.warehouse.writer import open_published
    con = open_published(Path(sys.argv[1]))
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
    _landing_file(s, "second.csv", [sampling_row(100 + i, day=Q2_DAY) for i in range(15)], 2_000)
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


_ANALYST = textwrap.dedent("""
    import sys, time, duckdb
    from pathlib import Path
    from quality_pipeline.warehouse import lake
    con = duckdb.connect()
    lake.load(con)
    path = Path(sys.argv[1])  # attached read-write, against the advice
    con.execute(lake.attach_sql(path, "q", path, read_only=False))
    con.execute("USE q")
    con.execute("DELETE FROM raw.product_sampling WHERE sample_no = 'S00000'")
    con.execute("UPDATE audit.files SET status = 'rejected'")
    print("changed", flush=True)
    time.sleep(120)
""")


def test_an_analyst_who_wrote_to_the_published_file_and_died_changes_nothing_readers_see(quality_env, gate):
    s = quality_env
    _landing_file(s, "first.csv", [sampling_row(i) for i in range(10)], 1_000)
    ingest_feed(FEED, run_id="r1", settings=s, gate=gate)
    assert stat.S_IMODE(s.warehouse.stat().st_mode) == 0o444
    os.chmod(s.warehouse, 0o644)  # as a warehouse published before this change, or a user's chmod, leaves it
    analyst = subprocess.Popen([sys.executable, "-c", _ANALYST, str(s.warehouse)], stdout=subprocess.PIPE, text=True)
    assert analyst.stdout.readline().strip() == "changed"
    os.kill(analyst.pid, signal.SIGKILL)
    analyst.wait(timeout=30)
    wal = s.warehouse.with_name(s.warehouse.name + ".wal")
    assert wal.exists()  # the analyst's uncheckpointed changes

    _landing_file(s, "second.csv", [sampling_row(100 + i, day=Q2_DAY) for i in range(5)], 2_000)
    ingest_feed(FEED, run_id="r2", settings=s, gate=gate)
    assert not wal.exists()
    assert stat.S_IMODE(s.warehouse.stat().st_mode) == 0o444
    assert _count(s, "SELECT count(*) FROM core.product_sampling WHERE sample_no = 'S00000'") == [(1,)]
    assert _count(s, "SELECT path, status FROM audit.files ORDER BY file_id") == [
        (f"{FEED}/first.csv", "loaded"), (f"{FEED}/second.csv", "loaded")]
    assert _fingerprint(s.warehouse) == _fingerprint(s.work_dir / "working.ducklake", s.warehouse)

    with pytest.raises(WarehouseReadOnly, match=r"read-only.*make sql.*open_published"):
        open_published(s.warehouse, read_only=False)


def _published_identity(settings) -> tuple[int, int]:
    info = settings.warehouse.stat()
    return info.st_ino, info.st_mtime_ns


_AUDIT_ROW = ("INSERT INTO audit.validations (run_id, feed, file_id, path, suite, expectation, success, validated_at) "
              "VALUES ('r', 'product_sampling', 1, 'p', 's', 'e', true, now())")


def test_a_session_that_changed_nothing_publishes_nothing_and_any_commit_publishes(quality_env):
    """A no-op night must not copy the whole warehouse: reads, a rolled-back write and a write that touches
    no row leave the published file as it was (the same inode: not even renamed over); one committed audit
    row, or a published file someone replaced, publishes."""
    s = quality_env
    with write_session(s):
        pass  # the first session migrates a new warehouse: that is a change, published
    assert s.warehouse.exists()
    before = _published_identity(s)
    with write_session(s) as con:
        con.execute("SELECT count(*) FROM audit.files").fetchall()
        con.execute("DELETE FROM audit.validations WHERE run_id = 'no such run'")
        con.execute("BEGIN")
        con.execute(_AUDIT_ROW)
        con.execute("ROLLBACK")
    assert _published_identity(s) == before

    with write_session(s) as con:
        con.execute(_AUDIT_ROW)
    assert _published_identity(s) != before
    assert _count(s, "SELECT count(*) FROM audit.validations") == [(1,)]

    published = _published_identity(s)
    with write_session(s):
        pass
    assert _published_identity(s) == published

    os.chmod(s.warehouse, 0o644)
    s.warehouse.unlink()  # someone removed (or replaced) the published file: the next session publishes again
    with write_session(s):
        pass
    assert _count(s, "SELECT count(*) FROM audit.validations") == [(1,)]


def test_a_commit_whose_publish_was_killed_is_published_by_the_next_session_that_changes_nothing(quality_env,
                                                                                                   writers, tmp_path):
    s = quality_env
    with write_session(s):
        pass
    script = textwrap.dedent(f"""
        from quality_pipeline.warehouse.writer import write_session
        with write_session() as con:
            con.execute({_AUDIT_ROW!r})
    """)
    _kill_at(writers, tmp_path, "before_rename", script)
    assert _count(s, "SELECT count(*) FROM audit.validations") == [(0,)]
    with write_session(s):
        pass  # no write of its own, but the killed session's commit was never published
    assert _count(s, "SELECT count(*) FROM audit.validations") == [(1,)]
    _assert_no_leftovers(s)
