"""The per-file tasks of the ingest DAGs: prepare needs no warehouse, and discover → prepare → publish leaves
the warehouse exactly as the one-process ingest does."""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path

import pytest

import quality_pipeline.loading.files as files_module
from quality_pipeline.demo import generate
from quality_pipeline.feeds import all_feeds
from quality_pipeline.loading.files import (
    discover_work,
    in_delivery_order,
    prepare_work,
    publish_pending,
    publish_work,
    read_publish_order,
    run_folder,
    write_publish_order,
)
from quality_pipeline.loading.ingest import ingest_feed
from quality_pipeline.warehouse.writer import open_published, writer_lock
from tests.support.extracts import sampling_row, write_sampling_csv

FEED = "product_sampling"
FEEDS = tuple(f.name for f in all_feeds() if f.name != "units")
AUDIT = ("SELECT feed, path, status, reason_code, rows_read, rows_loaded, rows_held, rows_rejected, duplicates_dropped, "
         "rows_flagged, details FROM audit.files ORDER BY path")


def _tables(settings) -> dict[str, list]:
    con = open_published(settings.warehouse)
    try:
        out = {"audit.files": con.execute(AUDIT).fetchall()}
        for table in ("audit.quarantine", "audit.row_flags"):
            out[table] = con.execute(f"SELECT feed, path, row_number, rule, value FROM {table} "  # noqa: S608
                                     "ORDER BY ALL").fetchall()
        out["audit.validations"] = con.execute(
            "SELECT feed, file_id, path, suite, expectation, \"column\", rule, severity, success, observed_value, "
            "unexpected_count FROM audit.validations ORDER BY ALL").fetchall()
        out["marts.dirty_quarters"] = con.execute("SELECT quarter, feed, file_id FROM marts.dirty_quarters "
                                                  "ORDER BY ALL").fetchall()
        for feed in FEEDS:  # every value of every row (the kept parts of one process, the written ones of tasks)
            for schema in ("raw", "core"):
                out[f"{schema}.{feed}"] = con.execute(
                    f"SELECT * EXCLUDE (_run_id, _loaded_at) FROM {schema}.{feed} ORDER BY ALL").fetchall()  # noqa: S608
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    root = tmp_path_factory.mktemp("landing")
    generate(root, seed=11, quarters=1, rows_per_quarter=20, defect_rate=0.15, messy=True)
    return root


def test_file_tasks_leave_the_warehouse_as_one_process_does(quality_env, gate, landing, tmp_path):
    in_one = replace(quality_env, landing_dir=tmp_path / "one" / "landing", warehouse=tmp_path / "one" / "w.duckdb")
    shutil.copytree(landing, in_one.landing_dir)
    today = date(2026, 11, 30)
    for feed in FEEDS:
        ingest_feed(feed, run_id="one", settings=in_one, gate=gate, today=today)

    split = replace(quality_env, landing_dir=tmp_path / "split" / "landing", warehouse=tmp_path / "split" / "w.duckdb")
    shutil.copytree(landing, split.landing_dir)
    results = []
    for feed in FEEDS:  # feed by feed, as each feed's files are ordered against its previous delivery
        settled, work = discover_work((feed,), run_id="split", settings=split)
        assert work, feed
        results.extend(asdict(r) for r in settled)
        # every file prepared while another task holds the writer: prepare never waits for the warehouse
        held, release = threading.Event(), threading.Event()

        def hold(settings=split, held=held, release=release):
            with writer_lock(settings.work_dir):
                held.set()
                release.wait(600)

        holder = threading.Thread(target=hold)
        holder.start()
        held.wait(60)
        try:
            prepared = [prepare_work(item, run_id="split", settings=split, gate=gate, today=today) for item in work]
        finally:
            release.set()
            holder.join()
        assert all(p.get("staged") for p in prepared)
        # publish tasks start in any order: the last file's task publishes its feed's earlier files first, and
        # theirs then return what was recorded, so the warehouse is as one process reading the files in turn
        ordered = in_delivery_order(work, prepared)
        by_path = {p["path"]: publish_work(p, run_id="split", settings=split, gate=gate, today=today)
                   for p in reversed(ordered)}
        results.extend(by_path[p["path"]] for p in ordered)
    assert all(results)
    assert not any(run_folder(split, "split").glob("*-*")), "a published file's staged folder is removed"
    assert _tables(split) == _tables(in_one)
    statuses = {r["status"] for r in results}
    assert "loaded" in statuses and len(results) == len(_tables(split)["audit.files"])
    assert all(_tables(split)[f"raw.{feed}"] for feed in FEEDS)
    for settings in (split, in_one):  # each file read is recorded as it is on disk, so it is not hashed again
        assert _disk_identity(settings) == _recorded_identity(settings)


def _recorded_identity(settings) -> dict[str, tuple]:
    """(size, mtime_ns, inode) of every file whose bytes were hashed, as audit.files records them."""
    con = open_published(settings.warehouse)
    try:
        return {path: tuple(rest) for path, *rest in con.execute(
            "SELECT path, size_bytes, mtime_ns, inode FROM audit.files "
            "WHERE sha256 NOT LIKE 'refused:%' AND sha256 NOT LIKE 'ignored:%'").fetchall()}
    finally:
        con.close()


def _disk_identity(settings) -> dict[str, tuple]:
    out = {}
    for path in _recorded_identity(settings):
        info = os.stat(settings.landing_dir / path)
        out[path] = (info.st_size, info.st_mtime_ns, info.st_ino)
    return out


def test_one_process_reads_a_new_file_once_to_hash_and_copy_it(quality_env, gate, monkeypatch):
    """The snapshot's own hash decides whether a file was seen: a new file is not hashed in the landing folder
    first. A copy of bytes already loaded is still recorded as a duplicate, and its snapshot removed."""
    import quality_pipeline.loading.ingest as ingest_module

    s = quality_env
    write_sampling_csv(s.landing_dir / FEED / "a.csv", [sampling_row(1), sampling_row(2)], mtime=1_000)
    hashed = []
    monkeypatch.setattr(ingest_module, "sha256_of", lambda path: hashed.append(path) or "0" * 64)
    assert [r.status for r in ingest_feed(FEED, run_id="r1", settings=s, gate=gate)] == ["loaded"]
    shutil.copy2(s.landing_dir / FEED / "a.csv", s.landing_dir / FEED / "b.csv")
    results = ingest_feed(FEED, run_id="r2", settings=s, gate=gate)
    assert [(r.path, r.status) for r in results] == [(f"{FEED}/b.csv", "duplicate")]
    assert hashed == []
    assert not [p for p in s.work_dir.rglob("snapshot-*")]


def test_a_file_seen_with_the_same_path_size_mtime_and_inode_is_not_hashed_again(quality_env, gate):
    """A night hashes only what changed on disk. The price, by design: a file rewritten in place to the same
    size with its modification time put back is taken for the one already seen."""
    s = quality_env
    path = write_sampling_csv(s.landing_dir / FEED / "a.csv", [sampling_row(1)], mtime=1_000)
    assert [r.status for r in ingest_feed(FEED, run_id="r1", settings=s, gate=gate)] == ["loaded"]
    first = os.stat(path)

    write_sampling_csv(path, [sampling_row(2)], mtime=1_000)  # other bytes, same inode, size and mtime
    again = os.stat(path)
    assert (again.st_ino, again.st_size, again.st_mtime_ns) == (first.st_ino, first.st_size, first.st_mtime_ns)
    assert discover_work((FEED,), run_id="r2", settings=s) == ([], [])  # not hashed: nothing to read

    # one nanosecond later: hashed again, and read as the new delivery it is
    os.utime(path, ns=(first.st_mtime_ns + 1, first.st_mtime_ns + 1))
    assert [w["path"] for w in discover_work((FEED,), run_id="r3", settings=s)[1]] == [f"{FEED}/a.csv"]

    # the same bytes under a new inode (copied over, same size and mtime): hashed again, seen, nothing to read,
    # and its new inode recorded, so the night after does not hash it either
    write_sampling_csv(path, [sampling_row(1)], mtime=1_000)
    replacement = path.with_name(".a.csv.new")
    shutil.copy2(path, replacement)
    os.replace(replacement, path)
    moved = os.stat(path)
    assert moved.st_ino != first.st_ino and moved.st_mtime_ns == first.st_mtime_ns
    assert discover_work((FEED,), run_id="r4", settings=s) == ([], [])
    assert _recorded_identity(s) == {f"{FEED}/a.csv": (moved.st_size, moved.st_mtime_ns, moved.st_ino)}
    published = os.stat(s.warehouse).st_ino
    assert discover_work((FEED,), run_id="r5", settings=s) == ([], [])
    assert os.stat(s.warehouse).st_ino == published  # a night with nothing new publishes nothing


def test_a_run_s_files_reach_readers_in_one_copy_out(quality_env, gate):
    """publish_file commits each file to the writer's working copy without copying the warehouse out;
    `publish_pending` then publishes all of them in one rename, and nothing more when called again. Files
    committed but never copied out (the copy-out task killed) are published by the writer's next session."""
    s = quality_env
    for n in (1, 2):
        write_sampling_csv(s.landing_dir / FEED / f"{n}.csv", [sampling_row(n)], mtime=1_000 + n)
    _, work = discover_work((FEED,), run_id="r1", settings=s)
    assert len(work) == 2
    before = os.stat(s.warehouse).st_ino
    prepared = [prepare_work(item, run_id="r1", settings=s, gate=gate) for item in work]
    for item in in_delivery_order(work, prepared):
        assert publish_work(item, run_id="r1", settings=s, gate=gate, copy_out=False)["status"] == "loaded"
        assert os.stat(s.warehouse).st_ino == before  # readers still see the warehouse as it was
    assert _recorded_identity(s) == {}
    publish_pending(s)
    copied = os.stat(s.warehouse).st_ino
    assert copied != before and set(_recorded_identity(s)) == {f"{FEED}/1.csv", f"{FEED}/2.csv"}
    publish_pending(s)
    assert os.stat(s.warehouse).st_ino == copied  # nothing new committed: nothing copied

    write_sampling_csv(s.landing_dir / FEED / "3.csv", [sampling_row(3)], mtime=1_003)
    _, work = discover_work((FEED,), run_id="r2", settings=s)
    [item] = in_delivery_order(work, [prepare_work(w, run_id="r2", settings=s, gate=gate) for w in work])
    publish_work(item, run_id="r2", settings=s, gate=gate, copy_out=False)
    assert f"{FEED}/3.csv" not in _recorded_identity(s)
    assert discover_work((FEED,), run_id="r3", settings=s) == ([], [])  # the next session publishes it
    assert f"{FEED}/3.csv" in _recorded_identity(s)


def _three_prepared(s, gate, run_id: str) -> list[dict]:
    for n in (1, 2, 3):
        write_sampling_csv(s.landing_dir / FEED / f"{n}.csv", [sampling_row(n)], mtime=1_000 + n)
    _, work = discover_work((FEED,), run_id=run_id, settings=s)
    ordered = in_delivery_order(work, [prepare_work(item, run_id=run_id, settings=s, gate=gate) for item in work])
    write_publish_order(s, run_id, ordered)
    assert [i["path"] for i in read_publish_order(s, run_id)] == [f"{FEED}/{n}.csv" for n in (1, 2, 3)]
    return ordered


@pytest.fixture
def sessions(monkeypatch) -> list[int]:
    """The write sessions `publish_work` opens (one entry each)."""
    opened: list[int] = []
    real = files_module.write_session

    def counting(*args, **kwargs):
        opened.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(files_module, "write_session", counting)
    return opened


def test_the_first_publish_task_publishes_every_file_of_the_run_in_one_session(quality_env, gate, sessions):
    """On a DuckLake catalog a write session costs about 100 ms: the first publish task of a run publishes
    every file in the run's publish order in its one session (each in its own transaction), and the other
    tasks return what it recorded, with their own Data Docs, without opening the warehouse."""
    s = quality_env
    ordered = _three_prepared(s, gate, "r1")
    sessions.clear()  # discovery's
    gate_of = lambda item: gate  # noqa: E731
    first = publish_work(ordered[0], run_id="r1", settings=s, gate_of=gate_of, copy_out=False)
    assert len(sessions) == 1 and first["status"] == "loaded" and "batch_docs" in first
    results = [publish_work(item, run_id="r1", settings=s, gate_of=gate_of, copy_out=False) for item in ordered]
    assert len(sessions) == 1, "the other tasks found their results recorded"
    assert [r["status"] for r in results] == ["loaded"] * 3 and all("batch_docs" in r for r in results)
    assert not any(run_folder(s, "r1").glob(f"{FEED}-*")), "each published file's staged folder is removed"
    publish_pending(s)
    con = open_published(s.warehouse)
    try:
        assert con.execute("SELECT path, status FROM audit.files ORDER BY delivery_seq").fetchall() == [
            (f"{FEED}/{n}.csv", "loaded") for n in (1, 2, 3)]  # in delivery order, whichever task ran first
    finally:
        con.close()


def test_a_file_that_fails_in_the_first_session_is_left_to_its_own_task(quality_env, gate, sessions):
    """The first task publishes the files before the failing one; the failing file and those of its feed
    after it are left to their own tasks, which fail on it with its own traceback, as they did before."""
    s = quality_env
    ordered = _three_prepared(s, gate, "r1")
    (Path(ordered[1]["staged"]) / "manifest.json").unlink()  # the second file's staged folder is damaged
    sessions.clear()  # discovery's
    gate_of = lambda item: gate  # noqa: E731
    assert publish_work(ordered[0], run_id="r1", settings=s, gate_of=gate_of, copy_out=False)["status"] == "loaded"
    assert len(sessions) == 1
    for item in ordered[1:]:
        with pytest.raises(FileNotFoundError):
            publish_work(item, run_id="r1", settings=s, gate_of=gate_of, copy_out=False)
    publish_pending(s)
    assert set(_recorded_identity(s)) == {f"{FEED}/1.csv"}


def test_a_file_committed_by_a_task_that_stopped_before_recording_it_keeps_its_result(quality_env, gate, sessions):
    """A publish task killed between a file's commit and the record of its result (the first task of a run
    publishes many files): the file's own task finds it committed by this run and returns its result from
    audit.files, not a file skipped as published by another run."""
    s = quality_env
    ordered = _three_prepared(s, gate, "r1")
    gate_of = lambda item: gate  # noqa: E731
    with files_module.write_session(s, publish_after=False) as con:  # committed, staged folder still there
        committed = files_module._publish_one(con, ordered[0], run_id="r1", settings=s, gate=gate, today=None)
    first = publish_work(ordered[0], run_id="r1", settings=s, gate_of=gate_of, copy_out=False)
    assert {k: v for k, v in first.items() if k != "batch_docs"} == committed
    assert not Path(ordered[0]["staged"]).exists()
    for item in ordered[1:]:  # committed and cleaned up, then the record of what became of them lost
        files_module._marker(s, "r1", item).unlink()
    again = [publish_work(item, run_id="r1", settings=s, gate_of=gate_of, copy_out=False) for item in ordered[1:]]
    assert first["status"] == "loaded" and [r["status"] for r in again] == ["loaded", "loaded"]
    assert [r["rows_loaded"] for r in again] == [1, 1] and [r["path"] for r in again] == [
        f"{FEED}/2.csv", f"{FEED}/3.csv"]


def test_a_publish_order_that_cannot_be_recorded_leaves_each_file_to_its_own_session(quality_env, gate, caplog):
    """`in_delivery_order` on a host without the writer's staging folder: the order is still handed to the
    publish tasks (the task does not fail), the log says why each file gets a session of its own."""
    from quality_pipeline.orchestration.tasks import publish_order

    s = quality_env
    staging = run_folder(s, "r1").parent
    staging.parent.mkdir(parents=True, exist_ok=True)
    staging.write_text("not a folder", encoding="utf-8")  # no staging folder can be made here
    work = [{"feed": FEED, "path": f"{FEED}/{n}.csv"} for n in (1, 2)]
    prepared = [{**w, "staged": f"/elsewhere/{n}"} for n, w in enumerate(work)]
    with caplog.at_level("WARNING"):
        ordered = publish_order(work, prepared, run_id="r1")
    assert [o["path"] for o in ordered] == [w["path"] for w in work]
    assert "publish order not recorded" in caplog.text and read_publish_order(s, "r1") == []
