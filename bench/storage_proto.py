"""PROTOTYPE, not production code: the storage designs of issue 15 measured on the history of `make bench-history`.

    python bench/storage_proto.py [--history bench/data/history] [--work bench/data/proto] [--only a,b,c]

Nothing under include/ uses this file. It measures what the writer's storage does for one delivery, for a
night with nothing new, for a publish under readers, under kill -9, and for maintenance, in three designs:

(a) today's whole-file copy: the publish step of `warehouse.writer.publish` on the 3 GB file (copy, fsync,
    rename); the whole ingest through the real code is `make bench`'s small_delivery_3gb_s.
(b) DuckLake, local catalog: the history converted once into a lake (`<work>/lake`): raw.* and audit.* as
    DuckLake tables (Parquet under `data/`), a current-version table per feed (`current.<feed>`, one row per
    key, kept by delete + insert of the delivered keys), the catalog a small DuckDB file. The writer commits
    to its private catalog (`.writer/catalog.ducklake`), then publishes by copying that small file beside
    the published one and renaming it in; readers ATTACH the published catalog READ_ONLY and keep the
    snapshot of the file they opened.
(c) DuckLake, PostgreSQL catalog (127.0.0.1:5432, user postgres, database `quality_lake_bench`, dropped
    and made again): no publish at all (a commit is a new snapshot readers see), two writers appending at
    once, and two writers updating the same current table at once.

A delivery here is the writer's storage work for a 120-row product-sampling file, in SQL: read the staged
rows (the delivery CSV), the previous versions of the delivered keys, the new file id and delivery
sequence, the raw rows, the current-version rows (delete + insert), the audit.files row and 30 validation
rows, one commit, then the publish. Parsing and GX are not storage and are the same in every design; the
real ingest's figure for them is in `make bench`'s stage table.

Prints one JSON line per measurement and a final JSON summary; bench/results.md quotes it.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
PG_DB = "quality_lake_bench"
PG_DSN = f"postgres:dbname={PG_DB} host=127.0.0.1 port=5432 user=postgres"
KEYS = {"product_sampling": "sample_no", "enforcement_cases": "case_no", "enforcement_inspections": "inspection_no",
        "remediation_projects": "project_no, report_month", "water_quality": "point_id, sample_date"}
FAULTS = ("before_commit", "after_commit", "before_rename", "after_rename")


def extension(name: str) -> str:
    """The extension file shipped by the `duckdb-extension-<name>` wheel (no download: this machine has none)."""
    found = glob.glob(str(SITE / f"duckdb_extension_{name}" / "extensions" / "*" / f"{name}.duckdb_extension"))
    if not found:
        raise SystemExit(f"duckdb-extension-{name} is not installed (uv sync)")
    return found[0]


def connect():
    import duckdb

    con = duckdb.connect()
    con.execute(f"LOAD '{extension('ducklake')}'")
    return con


def attach_local(con, lake: Path, catalog: Path, *, read_only: bool = False, alias: str = "lake") -> None:
    options = "READ_ONLY" if read_only else f"DATA_PATH '{lake / 'data'}/'"
    con.execute(f"ATTACH 'ducklake:{catalog}' AS {alias} ({options})")


def attach_pg(con, lake: Path, *, read_only: bool = False) -> None:
    con.execute(f"LOAD '{extension('postgres_scanner')}'")
    options = "READ_ONLY" if read_only else f"DATA_PATH '{lake / 'data'}/'"
    con.execute(f"ATTACH 'ducklake:{PG_DSN}' AS lake ({options})")


def fault(point: str) -> None:
    if os.environ.get("PROTO_FAULT") == point:
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------------- (b) setup

def convert(history: Path, lake: Path, *, pg: bool = False, sampling_rows: int | None = None) -> dict:
    """The history warehouse as a lake: raw.*, audit.files (+ empty audit tables), current.<feed>."""
    marker = lake / "converted.json"
    if marker.exists():
        return json.loads(marker.read_text())
    shutil.rmtree(lake, ignore_errors=True)
    (lake / ".writer").mkdir(parents=True)
    con = connect()
    if pg:
        attach_pg(con, lake)
    else:
        attach_local(con, lake, lake / ".writer" / "catalog.ducklake")
    con.execute(f"ATTACH '{history}' AS hist (READ_ONLY)")
    # the first 3 GB conversion died without a trace at 5 GB RSS on a machine out of memory: bound it (DuckDB spills)
    con.execute(f"SET memory_limit = '2GB'; SET preserve_insertion_order = false; "
                f"SET temp_directory = '{lake / '.writer' / 'spill'}'")
    t = time.perf_counter()
    for schema in ("raw", "audit", "current"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS lake.{schema}")
    limit = f" LIMIT {int(sampling_rows)}" if sampling_rows else ""
    for feed, key in KEYS.items():
        feed_limit = limit if feed == "product_sampling" else (" LIMIT 0" if sampling_rows else "")
        con.execute(f"CREATE TABLE lake.raw.{feed} AS SELECT * FROM hist.raw.{feed}{feed_limit}")  # noqa: S608
        con.execute(f"""CREATE TABLE lake.current.{feed} AS
            SELECT * EXCLUDE (_rank) FROM (
                SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY _delivery_seq DESC, _row_number DESC) AS _rank
                FROM lake.raw.{feed}) WHERE _rank = 1""")  # noqa: S608 - our own names
    for table in ("files", "validations", "quarantine", "row_flags"):
        rows = "" if table == "files" else " LIMIT 0"
        con.execute(f"CREATE TABLE lake.audit.{table} AS SELECT * FROM hist.audit.{table}{rows}")  # noqa: S608
    seconds = time.perf_counter() - t
    con.close()
    out = {"convert_seconds": round(seconds, 1), "data_mb": _du(lake / "data"),
           "catalog_mb": 0 if pg else round((lake / ".writer" / "catalog.ducklake").stat().st_size / 2**20, 1)}
    if not pg:
        _publish_catalog(lake)
    marker.write_text(json.dumps(out))
    return out


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) >> 20


def _publish_catalog(lake: Path) -> float:
    """Copy the writer's (closed) catalog beside the published one, read-only, fsync, rename it in."""
    t = time.perf_counter()
    private, target = lake / ".writer" / "catalog.ducklake", lake / "catalog.ducklake"
    tmp = lake / f".catalog.ducklake.{os.getpid()}.tmp"
    shutil.copyfile(private, tmp)
    os.chmod(tmp, 0o444)
    _fsync(tmp)
    fault("before_rename")
    os.replace(tmp, target)
    fault("after_rename")
    _fsync(lake)
    return time.perf_counter() - t


def heal(lake: Path) -> None:
    """What the writer does first, under its lock: publish temporaries of a dead writer go; a missing private
    catalog is seeded from the published one. (Parquet files a killed transaction wrote are orphans: the
    maintenance DAG's `ducklake_delete_orphaned_files` removes them.)"""
    for stale in lake.glob(".catalog.ducklake.*.tmp"):
        stale.unlink()
    private = lake / ".writer" / "catalog.ducklake"
    if not private.exists() and (lake / "catalog.ducklake").exists():
        shutil.copyfile(lake / "catalog.ducklake", private)
        os.chmod(private, 0o600)


# ---------------------------------------------------------------------------------------------------- delivery

def deliver(lake: Path, csv: Path, *, pg: bool = False, tag: str = "", update_current: bool = True,
            correct: bool = False) -> dict:
    """The writer's storage work for one delivery, then the publish; seconds per step. `correct`: the rows
    are new versions of 120 keys of the history (the first 120 sample numbers), not new keys."""
    steps: dict[str, float] = {}
    t0 = t = time.perf_counter()

    def step(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        steps[name] = round(now - t, 4)
        t = now

    if not pg:
        heal(lake)
    con = connect()
    if pg:
        attach_pg(con, lake)
    else:
        attach_local(con, lake, lake / ".writer" / "catalog.ducklake")
    step("attach")
    sha = hashlib.sha256(csv.read_bytes() + tag.encode()).hexdigest()
    path = f"product_sampling/{csv.stem}{tag}.csv"
    if con.execute("SELECT count(*) FROM lake.audit.files WHERE sha256 = ?", [sha]).fetchone()[0]:
        step("seen")  # committed before a crash: only the publish is left
        con.close()
        published = 0.0 if pg else _publish_catalog(lake)
        return {"steps": steps, "publish": round(published, 4), "total": round(time.perf_counter() - t0, 4),
                "already_committed": True}
    key = "'BS' || lpad(CAST(row_number() OVER () - 1 AS VARCHAR), 10, '0')" if correct else f"'N{tag}' || 抽样单编号"
    con.execute(f"""CREATE TEMP TABLE staged AS SELECT {key} AS sample_no, 产品类别 AS product_category,
        产品名称 AS product_name, 受检单位 AS inspected_unit, 受检单位统一社会信用代码 AS inspected_unit_uscc,
        所在街道 AS street, CAST(抽样日期 AS DATE) AS sampling_date, 检验结论 AS conclusion,
        CAST(row_number() OVER () + 1 AS INTEGER) AS _row_number
        FROM read_csv('{csv}', all_varchar = true)""")  # noqa: S608 - our own file
    step("stage rows")
    con.execute("BEGIN")
    previous = con.execute("""SELECT count(*) FROM lake.current.product_sampling c
        WHERE c.sample_no IN (SELECT sample_no FROM staged)""").fetchone()[0]
    step("previous versions of the keys")
    file_id, seq = con.execute("SELECT max(file_id) + 1, max(delivery_seq) + 1 FROM lake.audit.files").fetchone()
    step("file id, delivery seq")
    columns = ("sample_no, product_category, product_name, inspected_unit, inspected_unit_uscc, street, sampling_date, "
               "conclusion, _file_id, _run_id, _delivery_seq, _row_number, _loaded_at")
    select = f"""SELECT sample_no, product_category, product_name, inspected_unit, inspected_unit_uscc, street,
        sampling_date, conclusion, {file_id}, 'proto', {seq}, _row_number, now() FROM staged"""  # noqa: S608
    con.execute(f"INSERT INTO lake.raw.product_sampling ({columns}) {select}")  # noqa: S608
    step("insert raw")
    if update_current:
        con.execute("DELETE FROM lake.current.product_sampling WHERE sample_no IN (SELECT sample_no FROM staged)")
        con.execute(f"INSERT INTO lake.current.product_sampling ({columns}) {select}")  # noqa: S608
        step("current: delete + insert")
    con.execute("""INSERT INTO lake.audit.files (file_id, feed, path, sha256, size_bytes, status, rows_read,
        rows_loaded, rows_held, rows_rejected, duplicates_dropped, rows_flagged, rows_skipped, delivery_seq, run_id,
        processed_at) VALUES (?, 'product_sampling', ?, ?, ?, 'loaded', 120, 120, 0, 0, 0, 0, 0, ?, 'proto', now())""",
                [file_id, path, sha, csv.stat().st_size, seq])
    con.execute("""INSERT INTO lake.audit.validations (run_id, feed, file_id, path, suite, expectation, success,
        validated_at) SELECT 'proto', 'product_sampling', ?, ?, 'product_sampling.rows', 'e' || i, true, now()
        FROM range(30) t(i)""", [file_id, path])
    step("audit rows")
    fault("before_commit")
    con.execute("COMMIT")
    step("commit")
    fault("after_commit")
    con.close()
    step("detach (catalog checkpoint)")
    published = 0.0 if pg else _publish_catalog(lake)
    return {"steps": steps, "publish": round(published, 4), "total": round(time.perf_counter() - t0, 4),
            "previous": previous, "file_id": file_id}


def noop_night(lake: Path, *, pg: bool = False) -> dict:
    """A night with nothing new, as far as the warehouse goes: attach, read what was seen (audit.files), detach;
    no commit and so nothing to publish."""
    t = time.perf_counter()
    con = connect()
    if pg:
        attach_pg(con, lake, read_only=True)
    else:
        attach_local(con, lake, lake / ".writer" / "catalog.ducklake", read_only=True)
    seen = con.execute("SELECT count(*), count(DISTINCT sha256) FROM lake.audit.files").fetchone()
    con.close()
    return {"seconds": round(time.perf_counter() - t, 4), "files_seen": seen[0]}


def state(lake: Path, *, pg: bool = False) -> dict:
    """What a reader opening the published catalog now sees: raw rows against what audit.files says were loaded
    (equal unless a half-published state were visible)."""
    con = connect()
    if pg:
        attach_pg(con, lake, read_only=True)
    else:
        attach_local(con, lake, lake / "catalog.ducklake", read_only=True)
    raw, audited, files = con.execute("""SELECT (SELECT count(*) FROM lake.raw.product_sampling),
        (SELECT sum(rows_loaded) FROM lake.audit.files WHERE feed = 'product_sampling'),
        (SELECT count(*) FROM lake.audit.files)""").fetchone()
    con.close()
    return {"raw_rows": raw, "audited_rows": int(audited), "files": files, "consistent": raw == audited,
            "unaudited_rows": raw - int(audited)}


# ---------------------------------------------------------------------------------------------------- checks

def reader_isolation(lake: Path, csv: Path) -> dict:
    """A reader attached before a delivery keeps its snapshot through the publish; a reader attached after it
    sees the delivery whole; 8 readers opening during 5 publishes only ever see consistent states."""
    con = connect()
    attach_local(con, lake, lake / "catalog.ducklake", read_only=True)
    q = "SELECT count(*) FROM lake.raw.product_sampling"
    before = con.execute(q).fetchone()[0]
    deliver(lake, csv, tag="-iso")
    kept = con.execute(q).fetchone()[0]
    con.close()
    after = state(lake)["raw_rows"]
    readers = [subprocess.Popen([sys.executable, __file__, "--child", "readers", str(lake)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(8)]
    for n in range(5):
        deliver(lake, csv, tag=f"-iso{n}")
    results = []
    for r in readers:
        out, err = r.communicate()
        results.append(json.loads(out.strip().splitlines()[-1]) if r.returncode == 0 else {"error": err[-300:]})
    return {"reader_before": before, "same_reader_after_publish": kept, "new_reader_after_publish": after,
            "old_snapshot_kept": kept == before, "new_sees_delivery": after == before + 120,
            "concurrent_readers": results,
            "reader_errors": sum("error" in r for r in results),
            "inconsistent_reads": sum(r.get("inconsistent", 0) for r in results)}


def kill_tests(lake: Path, csv: Path) -> list[dict]:
    """kill -9 the writer at each publish point; the published catalog stays consistent and the next run heals."""
    out = []
    for n, point in enumerate(FAULTS):
        before = state(lake)
        child = subprocess.run(
            [sys.executable, __file__, "--child", "deliver", str(lake), str(csv), f"-kill{n}"],
            env={**os.environ, "PROTO_FAULT": point}, capture_output=True, text=True)
        after_kill = state(lake)
        healed = deliver(lake, csv, tag=f"-kill{n}")  # the next run: the same file again
        after_heal = state(lake)
        out.append({"point": point, "killed": child.returncode == -signal.SIGKILL,
                    "published_consistent_after_kill": after_kill["consistent"],
                    "published_changed_by_kill": after_kill["raw_rows"] != before["raw_rows"],
                    "next_run_committed_again": not healed.get("already_committed", False),
                    "delivered_once_after_heal": after_heal["raw_rows"] == before["raw_rows"] + 120,
                    "consistent_after_heal": after_heal["consistent"],
                    "tmp_left": len(list(lake.glob(".catalog.ducklake.*.tmp")))})
    return out


def maintenance(lake: Path) -> dict:
    """Compaction and expiry on the writer's catalog, then a publish: merge the small files the deliveries left,
    expire snapshots older than the grace period, delete files no snapshot needs, and orphans of dead writers."""
    heal(lake)
    con = connect()
    attach_local(con, lake, lake / ".writer" / "catalog.ducklake")
    files_before = len(list((lake / "data").rglob("*.parquet")))
    out = {"parquet_files_before": files_before}
    for name, sql in [
        ("merge_adjacent_files", "CALL ducklake_merge_adjacent_files('lake')"),
        ("expire_snapshots", "CALL ducklake_expire_snapshots('lake', older_than => now() - INTERVAL 1 SECOND)"),
        ("cleanup_old_files", "CALL ducklake_cleanup_old_files('lake', older_than => now() - INTERVAL 1 SECOND)"),
        ("delete_orphaned_files", "CALL ducklake_delete_orphaned_files('lake', older_than => now() - INTERVAL 1 SECOND)"),
    ]:
        t = time.perf_counter()
        try:
            con.execute(sql).fetchall()
            out[name] = round(time.perf_counter() - t, 3)
        except Exception as exc:  # noqa: BLE001 - a prototype reports what the extension refused
            out[name] = f"error: {str(exc).splitlines()[0][:160]}"
    con.close()
    out["publish"] = round(_publish_catalog(lake), 4)
    out["parquet_files_after"] = len(list((lake / "data").rglob("*.parquet")))
    out["consistent_after"] = state(lake)["consistent"]
    return out


# ---------------------------------------------------------------------------------------------------- (c) PostgreSQL

def _psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True,
                   capture_output=True)


def _concurrent(lake: Path, csv: Path, update_current: bool, rounds: int = 8) -> dict:
    """Two writer processes, `rounds` deliveries each, at once: appends of new keys only, or corrections of the
    same 120 keys (delete + insert in current.product_sampling). Every committed delivery must be whole: the
    raw rows grow by 120 per committed file, in step with audit.files."""
    before = state(lake, pg=True)
    t = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, __file__, "--child", "pg-writer", str(lake), str(csv),
                               f"-{w}{update_current:d}-", str(rounds), str(int(update_current))],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in "AB"]
    results = []
    for p in procs:
        out, err = p.communicate()
        results.append(json.loads(out.strip().splitlines()[-1]) if p.returncode == 0 else {"error": err[-300:]})
    after = state(lake, pg=True)
    committed = sum(r.get("committed", 0) for r in results)
    return {"writers": results, "seconds": round(time.perf_counter() - t, 1), "committed": committed,
            "raw_rows_added": after["raw_rows"] - before["raw_rows"], "files_added": after["files"] - before["files"],
            "whole": after["raw_rows"] - before["raw_rows"] == 120 * committed == 120 * (after["files"] - before["files"])
            and after["unaudited_rows"] == before["unaudited_rows"]}


def postgres(history: Path, work: Path, csv: Path, sampling_rows: int) -> dict:
    lake = work / "pg-lake"
    _psql(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    _psql(f"CREATE DATABASE {PG_DB}")
    shutil.rmtree(lake, ignore_errors=True)
    converted = convert(history, lake, pg=True, sampling_rows=sampling_rows)
    deliveries = [deliver(lake, csv, pg=True, tag=f"-pg{n}") for n in range(3)]
    return {"converted": converted, "delivery": deliveries[-1], "noop_night": noop_night(lake, pg=True),
            "two_appenders": _concurrent(lake, csv, update_current=False),
            "two_writers_updating_current": _concurrent(lake, csv, update_current=True)}


# ---------------------------------------------------------------------------------------------------- main

def whole_file_publish(history: Path, work: Path) -> dict:
    """(a) the publish step of today's writer on the 3 GB file: copy, fsync, rename."""
    work.mkdir(parents=True, exist_ok=True)
    target, tmp = work / "published.duckdb", work / ".published.duckdb.tmp"
    t = time.perf_counter()
    shutil.copyfile(history, tmp)
    _fsync(tmp)
    os.replace(tmp, target)
    seconds = time.perf_counter() - t
    target.unlink()
    return {"size_mb": history.stat().st_size >> 20, "copy_fsync_rename_seconds": round(seconds, 2)}


def child(args: list[str]) -> None:
    """The other processes of the checks: readers, a writer to kill, a PostgreSQL writer."""
    what, lake = args[0], Path(args[1])
    if what == "readers":
        out = [state(lake) for _ in range(15)]
        print(json.dumps({"reads": len(out), "inconsistent": sum(not s["consistent"] for s in out),
                          "distinct_states": len({s["raw_rows"] for s in out})}))
    elif what == "deliver":
        deliver(lake, Path(args[2]), tag=args[3])
    elif what == "pg-writer":
        ok, errors = 0, []
        for n in range(int(args[4])):
            try:
                deliver(lake, Path(args[2]), pg=True, tag=f"{args[3]}{n}", update_current=args[5] == "1",
                        correct=args[5] == "1")
                ok += 1
            except Exception as exc:  # noqa: BLE001 - counted: a conflict is what is measured
                errors.append(str(exc).splitlines()[0][:200])
        print(json.dumps({"committed": ok, "failed": len(errors), "errors": sorted(set(errors))[:2]}))


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        return child(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=Path, default=BENCH_DIR / "data" / "history")
    parser.add_argument("--work", type=Path, default=BENCH_DIR / "data" / "proto")
    parser.add_argument("--only", default="a,b,c")
    parser.add_argument("--pg-sampling-rows", type=int, default=2_000_000)
    args = parser.parse_args()
    history, csv = args.history / "quality.duckdb", args.history / "delivery" / "product_sampling_120.csv"
    only = set(args.only.split(","))
    summary: dict = {"load_at_start": os.getloadavg()}

    def report(name: str, value) -> None:
        summary[name] = value
        print(json.dumps({name: value, "load": os.getloadavg()[0]}, ensure_ascii=False), flush=True)

    if "a" in only:
        report("a_whole_file_publish", whole_file_publish(history, args.work))
    if "b" in only:
        lake = args.work / "lake"
        report("b_convert", convert(history, lake))
        report("b_first_delivery", deliver(lake, csv, tag=f"-{time.time_ns()}"))
        report("b_deliveries", [deliver(lake, csv, tag=f"-{time.time_ns()}")["total"] for _ in range(5)])
        report("b_correction_delivery", deliver(lake, csv, tag=f"-{time.time_ns()}", correct=True))
        report("b_noop_night", [noop_night(lake)["seconds"] for _ in range(3)])
        report("b_reader_isolation", reader_isolation(lake, csv))
        report("b_kill", kill_tests(lake, csv))
        report("b_maintenance", maintenance(lake))
        report("b_delivery_after_maintenance", deliver(lake, csv, tag=f"-{time.time_ns()}"))
        report("b_catalog_mb", round((lake / "catalog.ducklake").stat().st_size / 2**20, 1))
    if "c" in only:
        with contextlib.suppress(FileNotFoundError):
            report("c_postgres", postgres(history, args.work, csv, args.pg_sampling_rows))
    summary["load_at_end"] = os.getloadavg()
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
