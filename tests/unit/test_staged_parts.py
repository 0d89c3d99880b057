"""A staged part reads back as it was written: its decisions in their order, its frame whole or only the rows
the writer needs, and its rows inserted from the Parquet file exactly as the frame would have been."""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from quality_pipeline.feeds import load_feed
from quality_pipeline.loading import rows, stage
from quality_pipeline.loading.outcomes import Issue, RowDecisions
from quality_pipeline.warehouse.feed_schema import build


def _decisions() -> RowDecisions:
    decisions = RowDecisions()
    late = Issue("sampling_date", "window", "「抽样日期」不在合理日期范围内 / outside")
    missing = Issue("sample_no", "required", "必填项为空 / missing")
    decisions.rejected[7].extend([late, missing])
    decisions.rejected[2].append(missing)
    decisions.flagged[40].append(Issue("street", "unknown_street", "不是本区街道 / not a street"))
    decisions.flagged[3].append(Issue(None, "conflict", "内容不一致 / disagree"))
    return decisions


def test_decisions_come_back_in_their_order_with_each_reason_written_once():
    decisions = _decisions()
    data = json.loads(json.dumps({"rejected": stage._issues_json(decisions.rejected),
                                  "flagged": stage._issues_json(decisions.flagged)}, ensure_ascii=False))
    back = stage._decisions_from(data)
    assert list(back.rejected.items()) == list(decisions.rejected.items())
    assert list(back.flagged.items()) == list(decisions.flagged.items())
    assert len(data["rejected"]["issues"]) == 2


def test_decisions_staged_by_the_previous_version_still_read():
    old = {"rejected": {"7": [["sample_no", "required", "r"]]}, "flagged": {"3": [[None, "conflict", "c"]]}}
    back = stage._decisions_from(old)
    assert dict(back.rejected) == {7: [Issue("sample_no", "required", "r")]}
    assert dict(back.flagged) == {3: [Issue(None, "conflict", "c")]}


def _frame() -> pd.DataFrame:
    index = pd.Index([0, 2, 3, 7, 40, 41], dtype="int64")
    return pd.DataFrame({
        "__sheet": [None] * 6, "__row": [2, 4, 5, 9, 42, 43], "__extra": [None, '{"x": "1"}', None, None, None, None],
        "sample_no": ["S1", None, "S3", "S7", "S40", "S41"],
        "sampling_date": pd.to_datetime(["2026-07-01", None, "2026-07-03", "2099-01-01", "2026-07-05", "2026-07-06"]),
        "sampling_date__raw": ["2026-07-01", None, "2026/7/3", "2099-01-01", "2026-07-05", "2026-07-06"],
    }, index=index)


def test_a_part_reads_back_whole_or_only_the_rows_asked_for(tmp_path):
    frame = _frame()
    path = tmp_path / "part-0.parquet"
    pq.write_table(stage._arrow(frame), path)
    pd.testing.assert_frame_equal(stage._read_frame(path, None), frame)
    pd.testing.assert_frame_equal(stage._read_frame(path, {7, 2, 40}), frame.loc[[2, 7, 40]])
    assert stage._read_frame(path, set()).empty


def test_columns_of_nothing_but_none_are_staged_as_arrow_would_stage_them():
    """The null columns `_arrow_columns` adds itself (a declared column the file lacks) against Arrow's own
    conversion of the same frame: the same columns, in the same order, of the same types and values."""
    frame = _frame()
    frame.insert(2, "absent", pd.Series([None] * len(frame), dtype=object, index=frame.index))
    frame["nan_only"] = pd.Series([float("nan")] * len(frame), dtype=object, index=frame.index)
    frame["last_absent"] = pd.Series([None] * len(frame), dtype=object, index=frame.index)
    frame["one_value"] = pd.Series([None] * (len(frame) - 2) + ["x", None], dtype=object, index=frame.index)
    ours = stage._arrow_columns(frame)
    arrows = pa.Table.from_pandas(frame, preserve_index=False)
    assert ours.column_names == arrows.column_names
    assert ours.schema.types == arrows.schema.types
    assert ours.to_pydict() == arrows.to_pydict()
    assert stage._only_none(frame["absent"]) and not stage._only_none(frame["nan_only"])
    assert not stage._only_none(frame["one_value"]) and not stage._only_none(frame["__row"])


def test_rows_inserted_from_the_parquet_file_are_those_the_frame_gives(tmp_path):
    """`insert_staged` (INSERT … SELECT from the file) against `insert_rows` (the frame as Arrow)."""
    feed = load_feed("product_sampling")
    frame = _frame()
    for name in feed.column_names:
        if name not in frame:
            frame[name] = None
    decisions = _decisions()
    staged, older = tmp_path / "part-0.parquet", tmp_path / "older-part-0.parquet"
    pq.write_table(stage.part_table(frame, decisions), staged)
    pq.write_table(stage._arrow(frame), older)  # staged before `__rejected`: the rejected rows come as a list
    con = duckdb.connect()
    build(con)  # the migrations and the feeds' SQL
    ctx = SimpleNamespace(con=con, feed=feed, run_id="r")
    rows.insert_rows(ctx, 1, 1, frame, decisions)
    rows.insert_staged(ctx, 2, 1, staged, decisions.rejected)
    rows.insert_staged(ctx, 3, 1, older, decisions.rejected)
    columns = ", ".join([*feed.column_names, "_extra", "_sheet", "_row_number", "_run_id", "_delivery_seq", "_withdrawn"])
    query = f"SELECT {columns} FROM raw.product_sampling WHERE _file_id = ? ORDER BY _row_number"  # noqa: S608
    by_frame = con.execute(query, [1]).fetchall()
    assert len(by_frame) == 4
    assert con.execute(query, [2]).fetchall() == by_frame
    assert con.execute(query, [3]).fetchall() == by_frame
    loaded = con.execute("SELECT DISTINCT typeof(_loaded_at), _loaded_at <= ? FROM raw.product_sampling "
                         "WHERE _file_id IN (2, 3)", [datetime.now()]).fetchall()
    assert loaded == [("TIMESTAMP", True)]
    pd.testing.assert_frame_equal(stage._read_frame(staged, None), frame)  # `__rejected` stays in the file


def _in_memory_mb(con: duckdb.DuckDBPyConnection) -> float:
    """What DuckDB holds of tables' rows in memory (a transaction's rows not yet written to the file)."""
    return con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) / 2 ** 20 FROM duckdb_memory() "
                       "WHERE tag = 'IN_MEMORY_TABLE'").fetchone()[0]


def test_a_staged_part_goes_to_the_database_file_as_it_is_inserted_not_into_the_transactions_memory(tmp_path):
    """Publishing a large file is one transaction of many parts: each part's rows must be written to the
    database file as they are inserted, or the transaction holds the whole file (`bench/results.md`: rejected
    rows left out by a `NOT IN` list kept every row in memory, spilling beyond DuckDB's limit)."""
    feed = load_feed("product_sampling")
    n = 2 * rows.ROW_GROUP
    frame = pd.DataFrame({"__sheet": pd.Series([None] * n, dtype=object), "__row": np.arange(2, n + 2),
                          "__extra": pd.Series([None] * n, dtype=object)})
    for name in feed.column_names:
        frame[name] = pd.Series([f"{name}-{i:07d}" for i in range(n)], dtype=object)
    frame["sampling_date"] = pd.Timestamp("2026-07-01")
    decisions = RowDecisions()
    decisions.rejected[17].append(Issue("sample_no", "required", "必填项为空 / missing"))
    path = tmp_path / "part-0.parquet"
    pq.write_table(stage.part_table(frame, decisions), path, row_group_size=rows.ROW_GROUP)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    build(con)
    con.execute("CHECKPOINT")
    con.execute("BEGIN TRANSACTION")
    rows.insert_staged(SimpleNamespace(con=con, feed=feed, run_id="r"), 1, 1, path, decisions.rejected)
    held = _in_memory_mb(con)
    con.execute("COMMIT")
    assert con.execute("SELECT count(*) FROM raw.product_sampling").fetchone()[0] == n - 1
    assert held < 8, f"{held:.0f} MB of the part's rows held in memory by the transaction"


def test_the_writer_reads_back_only_the_decided_rows_and_they_are_those_of_the_whole_part(tmp_path, gate):
    """`prepare` stages a part's rejected and flagged rows apart as well: the frame `part(decided_only=True)`
    reads is the whole part's frame at those rows, value for value and type for type."""
    from datetime import date

    from quality_pipeline.loading.discovery import Candidate
    from quality_pipeline.region import load_region
    from quality_pipeline.settings import DEFAULT_REGION_FILE
    from tests.support.extracts import sampling_row, write_sampling_csv

    rows_ = [sampling_row(n) for n in range(30)]
    rows_[3] = sampling_row(3, day="2099-01-01")  # rejected: in the future
    rows_[5] = sampling_row(5, street="外区")  # flagged: not a street of the region
    rows_[8] = [*sampling_row(8, conclusion="不合格")[:7], ""]  # failed, without the items that failed
    path = tmp_path / "抽检.csv"
    write_sampling_csv(path, rows_)
    feed = load_feed("product_sampling")
    cand = Candidate(path, path.name, path.stat().st_size, datetime.now())
    staged = stage.prepare(cand, "0" * 64, feed, load_region(DEFAULT_REGION_FILE), gate, date(2026, 11, 20),
                           tmp_path / "staged")
    assert staged.rejected is None and staged.parts == 1
    whole, decided = staged.part(0), staged.part(0, decided_only=True)
    rows = sorted({*whole.decisions.rejected, *whole.decisions.flagged})
    assert len(rows) >= 3 and staged.decided_path(0).exists()
    assert pq.read_metadata(staged.decided_path(0)).num_rows == len(rows)
    pd.testing.assert_frame_equal(decided.frame.sort_index(), whole.frame.loc[rows])
    assert decided.partial and not whole.partial


def test_a_part_kept_in_memory_is_the_part_written(tmp_path, gate, monkeypatch):
    """`prepare(keep=True)` (a file published in the process that read it) writes no part: the part it keeps
    reads back as the written one does, whole or its decided rows alone, with the same decisions, rejected rows
    as written and outcomes, and its table is the Parquet file's. A file of several parts is written all the same."""
    from datetime import date

    from quality_pipeline.loading.discovery import Candidate
    from quality_pipeline.region import load_region
    from quality_pipeline.settings import DEFAULT_REGION_FILE
    from tests.support.extracts import sampling_row, write_sampling_csv

    rows_ = [sampling_row(n) for n in range(40)]
    rows_[3] = sampling_row(3, day="2099-01-01")  # rejected: in the future
    rows_[5] = sampling_row(5, street="外区")  # flagged: not a street of the region
    rows_[9] = rows_[8]  # an exact duplicate
    path = tmp_path / "抽检.csv"
    write_sampling_csv(path, rows_)
    feed, region = load_feed("product_sampling"), load_region(DEFAULT_REGION_FILE)
    cand = Candidate(path, path.name, path.stat().st_size, datetime.now())
    args = (cand, "0" * 64, feed, region, gate, date(2026, 11, 20))
    written, kept = stage.prepare(*args, tmp_path / "written"), stage.prepare(*args, tmp_path / "kept", keep=True)
    assert list(kept.kept) == [0] and not written.kept
    assert sorted(p.name for p in kept.folder.iterdir()) == [stage.MANIFEST]
    assert kept.duplicates == written.duplicates == 1
    for decided_only in (False, True):
        ours, theirs = kept.part(0, decided_only=decided_only), written.part(0, decided_only=decided_only)
        pd.testing.assert_frame_equal(ours.frame, theirs.frame)
        assert list(ours.decisions.rejected.items()) == list(theirs.decisions.rejected.items()) != []
        assert list(ours.decisions.flagged.items()) == list(theirs.decisions.flagged.items()) != []
        assert ours.raw_rows == theirs.raw_rows and ours.outcomes == theirs.outcomes
        assert ours.partial == theirs.partial == decided_only
    assert any(pa.types.is_dictionary(t) for t in kept.part(0).table.schema.types)  # the twins, not decoded
    assert stage._decoded(kept.part(0).table).equals(pq.read_table(written.part_path(0)))
    assert stage.load_staged(kept.folder).kept == {}  # a folder loaded again has no kept part
    monkeypatch.setattr(stage, "parts_for", lambda size, suffix: 2)
    in_parts = stage.prepare(*args, tmp_path / "in_parts", keep=True)
    assert not in_parts.kept and in_parts.part_path(0).exists()


def test_a_file_read_in_parts_is_published_with_duckdbs_memory_capped_and_the_limit_restored_after():
    from quality_pipeline.loading import ingest

    con = duckdb.connect()
    default = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    with ingest._memory_capped(con, False):
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == default
    capped = duckdb.connect()
    capped.execute(f"SET memory_limit = '{ingest.PUBLISH_MEMORY_LIMIT}'")
    cap = capped.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    with pytest.raises(RuntimeError), ingest._memory_capped(con, True):
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == cap != default
        raise RuntimeError("the publish failed")
    after = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert after != cap and after.split()[1] == default.split()[1]  # as it was, to DuckDB's display precision
    assert abs(float(after.split()[0]) - float(default.split()[0])) <= 0.11


@pytest.mark.parametrize("repeated_key", [False, True])
def test_a_newest_deliverys_core_rows_read_again_from_its_staged_file_are_the_current_versions(tmp_path, repeated_key):
    """`current.refresh_file` given the SELECTs `insert_staged` ran puts in core.<feed> what ranking raw.<feed>
    gives (`warehouse/templates/core_table.sql`), rejected rows left out; a key delivered twice in the file is
    ranked from raw.<feed> instead."""
    from quality_pipeline.feeds.schema import current_versions
    from quality_pipeline.loading import current

    feed = load_feed("product_sampling")
    frame = _frame()
    if repeated_key:
        frame.loc[41, "sample_no"] = "S40"
    for name in feed.column_names:
        if name not in frame:
            frame[name] = None
    path = tmp_path / "part-0.parquet"
    decisions = _decisions()
    pq.write_table(stage.part_table(frame, decisions), path)
    con = duckdb.connect()
    build(con)
    con.execute("INSERT INTO audit.files (file_id, feed, path, sha256, status, run_id, processed_at, delivery_seq) "
                "VALUES (1, 'product_sampling', 'f.csv', 'x', 'loaded', 'r', now(), 1)")
    ctx = SimpleNamespace(con=con, feed=feed, run_id="r")
    inserted = rows.insert_staged(ctx, 1, 1, path, decisions.rejected)
    assert current.refresh_file(con, feed, 1, staged=[inserted]) == ["2026Q3"]
    columns = ", ".join(c for (c,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'core' AND table_name = 'product_sampling' "
        "ORDER BY column_index").fetchall())
    kept = con.execute(f"SELECT {columns} FROM core.product_sampling ORDER BY ALL").fetchall()  # noqa: S608
    afresh = con.execute(f"SELECT {columns} FROM ({current_versions(feed)}) ORDER BY ALL").fetchall()  # noqa: S608
    assert kept == afresh
    assert len(kept) == (3 if repeated_key else 4)  # S1, S3, S40 (twice: its later row), S41; 2 and 7 rejected


def test_the_cap_restores_the_writers_own_limit_exactly_and_never_raises_a_lower_one():
    from quality_pipeline.loading import ingest

    def limit(con):
        return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]

    con = duckdb.connect()
    con.execute("SET memory_limit = '3GB'")
    exact = limit(con)
    con.execute("SET memory_limit = '3.1GB'")  # what restoring DuckDB's display value ('2.7 GiB') would not give back
    with ingest._memory_capped(con, True, "3GB"):
        assert limit(con) != exact
    assert limit(con) == exact
    from quality_pipeline.settings import memory_bytes

    assert memory_bytes("100MB") < memory_bytes(ingest.PUBLISH_MEMORY_LIMIT)
    con.execute("SET memory_limit = '100MB'")
    low = limit(con)
    with ingest._memory_capped(con, True, "100MB"):
        assert limit(con) == low  # a writer limited below the publish cap is not given more


def test_a_write_session_limits_duckdbs_memory_and_spills_into_the_writers_folder(quality_env, monkeypatch):
    """Every writer connection gets `QUALITY_WRITER_MEMORY_LIMIT` (DuckDB's own default is 80 % of the RAM, which
    a core rebuild filled until it was killed) and spills into the writer's private folder."""
    import dataclasses

    from quality_pipeline.settings import load_settings, memory_bytes
    from quality_pipeline.warehouse.writer import write_session

    monkeypatch.setenv("QUALITY_WRITER_MEMORY_LIMIT", "1500MB")
    settings = load_settings()
    assert settings.writer_memory_limit == "1500MB" and memory_bytes("1500MB") == 1_500_000_000
    reference = duckdb.connect()
    reference.execute("SET memory_limit = '1500MB'")
    with write_session(settings, publish_after=False) as con:
        limit, spill = con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
    assert limit == reference.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert spill == str(settings.spill_dir) and settings.spill_dir.parent == settings.work_dir
    with pytest.raises(ValueError, match="4GB"), write_session(dataclasses.replace(settings, writer_memory_limit="80%"),
                                                                publish_after=False):
        pass


@pytest.mark.parametrize(("size", "expected"), [("4GB", 4 * 10**9), ("400MB", 4 * 10**8), ("3.5 GiB", int(3.5 * 2**30)),
                                                 ("512mb", 512 * 10**6)])
def test_memory_sizes_are_read_as_duckdb_reads_them(size, expected):
    from quality_pipeline.settings import memory_bytes

    assert memory_bytes(size) == expected
    for wrong in ("80%", "GB", "1.2.3GB", "4 gigs"):
        with pytest.raises(ValueError):
            memory_bytes(wrong)


def _staged(tmp_path, name: str = "staged") -> stage.Staged:
    folder = tmp_path / name
    folder.mkdir()
    return stage.Staged(folder, "product_sampling", "f.csv", "0" * 64, 1, "2026-12-01T00:00:00")


def _items_and_masks(frame: pd.DataFrame, rejected: list[int], flagged: list[int]) -> tuple[list[dict], list]:
    """Two expectations as a suite holds them, and fast_rules' masks naming `rejected` and `flagged` rows."""
    items = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "sample_no"},
              "meta": {"severity": "reject"}},
             {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "street"},
              "meta": {"severity": "flag"}}]
    return items, [frame.index.isin(rejected), frame.index.isin(flagged)]


def _files(staged: stage.Staged) -> tuple[pa.Table, pa.Table]:
    return pq.read_table(staged.part_path(0)), pq.read_table(staged.decided_path(0))


@pytest.mark.parametrize("guessed", [[2, 7], [2], [0, 2, 7, 40]])
def test_a_part_written_while_gx_confirms_is_the_part_gx_decided(tmp_path, guessed):
    """The part is written from fast_rules' masks before GX's verdict; whatever those masks guessed (right, or
    not: GX disagreed), the files staged are those `write_part` writes from the decisions made."""
    frame, decisions = _frame(), _decisions()
    expected = _staged(tmp_path, "by_write_part")
    stage.write_part(expected, 0, frame, decisions)
    staged = _staged(tmp_path)
    writer = stage._PartWriter(staged, 0, frame)
    writer.start(*_items_and_masks(frame, guessed, [3, 40]))
    writer.finish(decisions)
    part, decided = _files(staged)
    assert part.equals(_files(expected)[0]) and decided.equals(_files(expected)[1])
    assert part.column(rows.REJECTED_COLUMN).to_pylist() == [False, True, False, True, False, False]


def test_a_part_whose_writing_failed_is_written_again_or_fails_as_writing_fails(tmp_path):
    frame, decisions = _frame(), _decisions()
    staged = _staged(tmp_path)
    writer = stage._PartWriter(staged, 0, frame)
    staged.folder.rename(tmp_path / "moved")  # the thread cannot write where the part goes
    writer.start(*_items_and_masks(frame, [2, 7], [3, 40]))
    writer.join()
    assert isinstance(writer.error, OSError)
    with pytest.raises(OSError):
        writer.finish(decisions)  # written again, which fails the same way: never a part left half-written
    (tmp_path / "moved").rename(staged.folder)
    writer.finish(decisions)
    assert _files(staged)[0].column(rows.REJECTED_COLUMN).to_pylist() == [False, True, False, True, False, False]

