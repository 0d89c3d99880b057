"""A large CSV is ingested in key partitions; the warehouse must end up exactly as if it were read whole."""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import pyarrow as pa
import pytest

from quality_pipeline.demo import generate
from quality_pipeline.feeds import load_feed
from quality_pipeline.loading import current, ingest, partitions, stage
from quality_pipeline.loading.partitions import KeyPartitions
from quality_pipeline.parsing import rows as reader_rows
from quality_pipeline.parsing.frame import ROW_COLUMN
from quality_pipeline.parsing.reader import read_extract
from quality_pipeline.region import load_region
from quality_pipeline.settings import DEFAULT_REGION_FILE
from quality_pipeline.warehouse.writer import open_published
from tests.support.extracts import sampling_row, write_sampling_csv
from tests.support.truth_check import assert_files_match

FEEDS = ["product_sampling", "enforcement_cases", "enforcement_inspections", "remediation_projects",
         "water_quality"]
TODAY = date(2026, 11, 20)

# What a file leaves in the warehouse, in an order that does not depend on how it was read.
SNAPSHOT = {
    "files": "SELECT path, status, reason, reason_code, rows_read, rows_loaded, rows_held, rows_rejected, "
             "duplicates_dropped, rows_flagged, rows_skipped, details, delivery_seq FROM audit.files ORDER BY path",
    "quarantine": "SELECT path, sheet, row_number, key, \"column\", rule, reason, value, raw_row FROM audit.quarantine "
                  "ORDER BY ALL",
    "flags": "SELECT path, sheet, row_number, key, \"column\", rule, reason, value FROM audit.row_flags ORDER BY ALL",
    "validations": "SELECT v.suite, v.expectation, v.\"column\", v.rule, v.success, v.unexpected_count, f.path "
                   "FROM audit.validations v JOIN audit.files f USING (file_id) ORDER BY ALL",
}


def _snapshot(settings) -> dict[str, list]:
    con = open_published(settings.warehouse)
    try:
        out = {name: con.execute(sql).fetchall() for name, sql in SNAPSHOT.items()}
        for feed in FEEDS:
            out[feed] = con.execute(f"SELECT * EXCLUDE (_loaded_at, _run_id) FROM raw.{feed} ORDER BY ALL").fetchall()  # noqa: S608
        return out
    finally:
        con.close()


def _ingest_rounds(tmp_path, name, settings, gate):
    here = dataclasses.replace(settings, landing_dir=tmp_path / name / "landing",
                               warehouse=tmp_path / name / "wh" / "quality.duckdb",
                               reports_dir=tmp_path / name / "reports")
    truths = []
    for n in (1, 2):
        truths.append(generate(here.landing_dir, seed=11, quarters=2, rows_per_quarter=60, defect_rate=0.15,
                               round=n))
        for feed in FEEDS:
            ingest.ingest_feed(feed, run_id=f"{name}-{n}", settings=here, gate=gate, today=TODAY)
    return here, truths[-1]


@pytest.mark.slow  # four delivery rounds of every feed ingested: over a minute; make test runs it, test-fast not
def test_partitioned_ingest_leaves_exactly_what_a_whole_read_leaves(tmp_path, quality_env, gate, monkeypatch):
    whole, truth = _ingest_rounds(tmp_path, "whole", quality_env, gate)
    calls = []

    def every_csv_in_parts(size, suffix):
        calls.append(suffix)
        return 5 if suffix == ".csv" else 1

    monkeypatch.setattr(stage, "parts_for", every_csv_in_parts)
    monkeypatch.setattr(reader_rows, "SINK_ROWS", 7)  # many small hand-overs while a CSV is read
    parted, _ = _ingest_rounds(tmp_path, "parted", quality_env, gate)

    assert ".csv" in calls
    assert_files_match(whole, truth)
    assert_files_match(parted, truth)
    expected, got = _snapshot(whole), _snapshot(parted)
    assert expected["quarantine"] and expected["flags"]  # the comparison covers rejected and flagged rows
    for name in expected:
        assert got[name] == expected[name], name


def test_rows_sharing_a_key_meet_in_one_part_and_every_row_comes_back_once(tmp_path):
    feed, region = load_feed("product_sampling"), load_region(DEFAULT_REGION_FILE)
    rows = [sampling_row(n % 40) for n in range(300)]  # each key 7 or 8 times, far apart in the file
    rows[5][1] = "另一产品"  # a conflicting version of S00005
    path = write_sampling_csv(tmp_path / "s.csv", rows)
    whole = read_extract(path, feed).frame
    with KeyPartitions(6, feed, region, tmp_path / "parts") as parts:
        raw = read_extract(path, feed, sink=parts)
        assert raw.frame.empty and parts.rows == len(rows)
        pieces = list(parts.frames())
    assert len(pieces) > 1
    keys = [set(p["sample_no"]) for p in pieces]
    assert sum(len(k) for k in keys) == len(set().union(*keys)) == 40  # no key in two parts
    back = pd.concat(pieces).sort_values(ROW_COLUMN).reset_index(drop=True)
    pd.testing.assert_frame_equal(back, whole.reset_index(drop=True), check_dtype=False)
    assert all(v is None or isinstance(v, str) for p in pieces for v in p["product_name"])
    assert not any((tmp_path / "parts").iterdir())  # spill files are removed


def test_only_large_csv_files_are_split(tmp_path):
    with pytest.raises(ValueError, match="only a CSV"):
        read_extract(tmp_path / "s.xlsx", load_feed("product_sampling"), sink=object())
    assert partitions.parts_for(10 << 20, ".csv") == 1
    assert partitions.parts_for(partitions.PARTITION_ABOVE_BYTES + 1, ".xlsx") == 1
    big = 533 << 20
    assert partitions.parts_for(big, ".CSV") == -(-big // partitions.PART_BYTES) > 1


def test_a_held_delivery_read_in_parts_publishes_nothing_until_released(quality_env, gate, monkeypatch):
    monkeypatch.setattr(stage, "parts_for", lambda size, suffix: 4)
    folder = quality_env.landing_dir / "product_sampling"
    write_sampling_csv(folder / "full.csv", [sampling_row(n) for n in range(200)], mtime=1_000)
    late = [sampling_row(n) for n in range(1000, 1030)]
    late[3][-2] = "不合格"  # flagged: failed without a failed item
    late[3][-1] = ""
    write_sampling_csv(folder / "small.csv", late, mtime=2_000)

    first = {r.path: r for r in ingest.ingest_feed("product_sampling", run_id="r1", settings=quality_env, gate=gate,
                                                   today=TODAY)}
    small = first["product_sampling/small.csv"]
    assert (first["product_sampling/full.csv"].status, small.status) == ("loaded", "held")
    assert (small.rows_read, small.rows_held, small.rows_loaded) == (30, 30, 0)
    assert "2026Q3" in small.reason and "30" in small.reason and "200" in small.reason  # restates 2026Q3 with 30 of 200

    def counts():
        con = open_published(quality_env.warehouse)
        try:
            return con.execute("SELECT (SELECT count(*) FROM raw.product_sampling WHERE NOT _withdrawn), (SELECT count(*) FROM "
                               "audit.row_flags f JOIN audit.files a USING (file_id) WHERE a.path LIKE '%small.csv')"
                               ).fetchone()
        finally:
            con.close()

    assert counts() == (200, 0)  # the parts inserted before the batch check are gone again
    again = ingest.ingest_feed("product_sampling", run_id="r2", settings=quality_env, gate=gate, today=TODAY,
                               release=("product_sampling/small.csv",))
    assert [(r.status, r.rows_loaded, r.rows_flagged, r.keys_withdrawn) for r in again] == [("loaded", 30, 1, 200)]
    assert counts() == (230, 1)  # released, the sheet restates the quarter: the 200 keys it lacks are withdrawn


def test_a_snapshot_published_in_parts_keeps_no_copy_of_its_keys_until_its_tombstones(quality_env, gate, monkeypatch):
    """A period snapshot's tombstones need every key the file lists (rejected rows too): they are read from the
    staged parts' files when the tombstones are written, not gathered in memory part after part until then (in
    Arrow strings, to the commit, growing with the file: bench/results.md)."""
    monkeypatch.setattr(stage, "parts_for", lambda size, suffix: 6)
    folder = quality_env.landing_dir / "product_sampling"
    write_sampling_csv(folder / "full.csv", [sampling_row(n) for n in range(300)], mtime=1_000)
    rows = [sampling_row(n) for n in range(100, 30_100)]  # restates 2026Q3: 100 of the first file's keys withdrawn
    rows[7] = sampling_row(107, day="2099-01-01")  # rejected: its key is still listed
    write_sampling_csv(folder / "next.csv", rows, mtime=2_000)
    held: list[int] = []
    refresh = current.refresh_file

    def measured(con, feed, file_id, **kwargs):
        held.append(pa.total_allocated_bytes())  # after the parts and the tombstones, before core and the commit
        return refresh(con, feed, file_id, **kwargs)

    monkeypatch.setattr(current, "refresh_file", measured)
    before = pa.total_allocated_bytes()
    results = ingest.ingest_feed("product_sampling", run_id="r", settings=quality_env, gate=gate, today=TODAY)
    assert [r.status for r in results] == ["loaded", "loaded"]
    assert results[1].keys_withdrawn == 100
    assert held[-1] - before < 64 << 10, f"{(held[-1] - before) >> 10} KB of Arrow memory held before the commit"


def test_the_readers_buffers_are_not_kept_while_the_parts_are_staged(tmp_path, gate, monkeypatch):
    """Read into parts, the reader hands back an empty frame whose columns are views of its last batches (arrays
    sized for two hand-overs, and the cells in them): staging must not keep them alive part after part."""
    import gc
    import weakref
    from datetime import datetime

    from quality_pipeline.loading.discovery import Candidate

    monkeypatch.setattr(stage, "parts_for", lambda size, suffix: 3)
    path = write_sampling_csv(tmp_path / "s.csv", [sampling_row(n) for n in range(500)])
    buffers, alive = [], []
    read, prepare_part = stage.read_extract, stage._prepare_part

    def reading(*args, **kwargs):
        raw = read(*args, **kwargs)
        buffers.append(weakref.ref(raw.frame["sample_no"].to_numpy().base))  # the view's whole array
        return raw

    def staging(*args, **kwargs):
        gc.collect()
        alive.append(buffers[0]() is not None)
        return prepare_part(*args, **kwargs)

    monkeypatch.setattr(stage, "read_extract", reading)
    monkeypatch.setattr(stage, "_prepare_part", staging)
    cand = Candidate(path, path.name, path.stat().st_size, datetime.now())
    staged = stage.prepare(cand, "0" * 64, load_feed("product_sampling"), load_region(DEFAULT_REGION_FILE), gate,
                           TODAY, tmp_path / "staged")
    assert staged.parts == len(alive) == 3 and staged.rows_read == 500
    assert not any(alive)


def test_a_file_read_in_parts_is_checkpointed_under_the_publish_cap(quality_env, gate, monkeypatch):
    """The parts' rows are checkpointed while DuckDB is still capped: left to the session's last CHECKPOINT, under
    the writer's own limit, merging the parts' small row groups took far more than the cap (bench/results.md)."""
    monkeypatch.setattr(stage, "parts_for", lambda size, suffix: 3)
    write_sampling_csv(quality_env.landing_dir / "product_sampling" / "s.csv", [sampling_row(n) for n in range(300)])
    after: list[tuple] = []
    publish = ingest.publish_staged

    def publishing(ctx, staged, **kwargs):
        result = publish(ctx, staged, **kwargs)
        after.append(ctx.con.execute("SELECT current_setting('memory_limit'), wal_size FROM pragma_database_size()"
                                     ).fetchone())
        return result

    monkeypatch.setattr(ingest, "publish_staged", publishing)
    (result,) = ingest.ingest_feed("product_sampling", run_id="r", settings=quality_env, gate=gate, today=TODAY)
    assert result.status == "loaded" and result.rows_loaded == 300
    assert after and after[0][1] == "0 bytes"  # nothing of the file left in the log for the last CHECKPOINT
