"""Row writes into raw.<feed>: a staged part's rows (from its Parquet file, or a frame as Arrow), a period
snapshot's tombstones, and the queries on keys per period those need. Audit tables are `loading.audit`; the flow is `loading.ingest`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from quality_pipeline.indicators.periods import period_sql, period_start_sql
from quality_pipeline.parsing.frame import EXTRA_COLUMN, ROW_COLUMN, SHEET_COLUMN
from quality_pipeline.sql_files import sql_file

if TYPE_CHECKING:
    import duckdb

    from quality_pipeline.feeds import Feed
    from quality_pipeline.loading.ingest import Context
    from quality_pipeline.loading.outcomes import RowDecisions

ROW_GROUP = 122_880  # DuckDB's row-group size
REJECTED_COLUMN = "__rejected"  # in a staged part's Parquet file: the row was rejected (not inserted into raw.*)
INSERT_ROWS = 2 * ROW_GROUP  # rows converted to Arrow and inserted at a time
REJECTED_LEFT_OUT = "WHERE NOT __rejected"  # staged_rows.sql's {rejected}
REJECTED_LEFT_OUT_BY_INDEX = "WHERE __index NOT IN (SELECT unnest(CAST(? AS BIGINT[])))"  # a part staged before


def append(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table | pd.DataFrame) -> None:
    """Append rows to a table, matching columns by name. Through a relation, not `register`: a registered
    object stays referenced until the transaction ends, and a large file is one transaction of many parts."""
    schema, name = table.split(".")
    order = [c for (c,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = ? "
        "AND table_name = ? ORDER BY column_index",
        [schema, name]).fetchall()]
    if isinstance(rows, pd.DataFrame):
        rows = pa.Table.from_pandas(rows, preserve_index=False)
    missing = [c for c in order if c not in rows.column_names]
    if missing:
        raise ValueError(f"{table}: no values for {missing}")
    con.from_arrow(rows.select(order)).insert_into(table)


def delete_rows(con: duckdb.DuckDBPyConnection, feed: Feed, file_id: int) -> None:
    """Remove every row a file put in raw.<feed>."""
    con.execute(f"DELETE FROM raw.{feed.name} WHERE _file_id = ?", [file_id])  # noqa: S608


def insert_rows(ctx: Context, file_id: int, seq: int, frame: pd.DataFrame, decisions: RowDecisions) -> None:
    """The part's rows that were not rejected into raw.<feed>."""
    keep = ~frame.index.isin(list(decisions.rejected))
    loaded_at = pa.scalar(datetime.now(), pa.timestamp("us"))
    for start in range(0, len(frame), INSERT_ROWS):  # Arrow copies of the strings, a slice at a time
        part, mask = frame.iloc[start:start + INSERT_ROWS], keep[start:start + INSERT_ROWS]
        n, every = int(mask.sum()), bool(mask.all())
        if not n:
            continue

        def column(name: str, part=part, mask=mask, every=every) -> pa.Array:
            return pa.array(part[name] if every else part[name][mask], from_pandas=True)

        # Arrow, not a pandas frame: DuckDB scans object columns of a frame one Python object at a time
        rows = pa.table({
            **{name: column(name) for name in ctx.feed.column_names},
            "_extra": column(EXTRA_COLUMN),
            "_file_id": pa.repeat(file_id, n),
            "_run_id": pa.repeat(ctx.run_id, n),
            "_delivery_seq": pa.repeat(seq, n),
            "_sheet": column(SHEET_COLUMN),
            "_row_number": column(ROW_COLUMN),
            "_loaded_at": pa.repeat(loaded_at, n),
            "_withdrawn": pa.repeat(False, n),
        })
        # In row-group-sized batches: DuckDB scans one Arrow batch per thread (bench/results.md)
        rows = pa.Table.from_batches(rows.to_batches(max_chunksize=ROW_GROUP))
        append(ctx.con, f"raw.{ctx.feed.name}", rows)


@dataclass(frozen=True)
class StagedRows:
    """The SELECT of a staged part's rows as they were inserted into raw.<feed>, with its parameters."""

    sql: str
    params: list


def insert_kept(ctx: Context, file_id: int, seq: int, table: pa.Table, name: str) -> StagedRows:
    """`insert_staged` of a part kept in memory (`stage.KeptPart.table`, what its Parquet file would hold):
    registered on the connection as `name`, which the caller unregisters once the returned SELECT has been run
    for the last time (`loading.current` runs it again)."""
    ctx.con.register(name, table)
    return _insert_selected(ctx, f'"{name}"', REJECTED_LEFT_OUT, [file_id, ctx.run_id, seq, datetime.now()])


def insert_staged(ctx: Context, file_id: int, seq: int, parquet: Path, rejected: Iterable[int]) -> StagedRows:
    """A staged part's rows that were not rejected into raw.<feed>, by one INSERT … SELECT from its Parquet
    file (`loading.stage`): no pandas frame, no Arrow copy, and DuckDB writes its storage as it reads.
    Returns the SELECT it inserted (`loading.current` can read the same rows again from the file).

    The rejected rows are left out by the part's own `__rejected` column, a plain filter: DuckDB then writes
    the part's row groups to the database file as it inserts them, while a `NOT IN` list joined to the scan
    kept every row of the transaction in memory (a large file's rows, spilled to the temporary folder beyond
    DuckDB's memory limit: bench/results.md). A part staged before the column existed is filtered by `rejected`."""
    literal = "'" + str(parquet).replace("'", "''") + "'"
    params = [file_id, ctx.run_id, seq, datetime.now()]
    if REJECTED_COLUMN in pq.read_schema(parquet).names:
        rejected_sql = REJECTED_LEFT_OUT
    elif left_out := sorted(int(i) for i in rejected):
        rejected_sql, params = REJECTED_LEFT_OUT_BY_INDEX, [*params, left_out]
    else:
        rejected_sql = ""
    return _insert_selected(ctx, f"read_parquet({literal})", rejected_sql, params)


def _insert_selected(ctx: Context, source: str, rejected: str, params: list) -> StagedRows:
    """INSERT into raw.<feed> the rows `loading/sql/staged_rows.sql` selects from `source` with `rejected`."""
    columns = ", ".join(f'"{name}"' for name in ctx.feed.column_names)
    staged = StagedRows(sql_file(__file__, "staged_rows").format(columns=columns, source=source, rejected=rejected),
                        params)
    ctx.con.execute(f"INSERT INTO raw.{ctx.feed.name} BY NAME {staged.sql}", staged.params)  # noqa: S608
    return staged


@dataclass(frozen=True)
class FilePeriods:
    """The periods a period-snapshot file restates: {period: distinct keys it loaded in it}, and the first day of
    the earliest and the first day after the latest (None when it has none), which the scans of core.<feed> get
    as constants so that they skip the files and row groups of other dates (bench/results.md)."""

    keys: dict[str, int]
    low: date | None
    high: date | None


def file_periods(con: duckdb.DuckDBPyConnection, feed: Feed, file_id: int) -> FilePeriods:
    """`FilePeriods` of file `file_id`'s rows in raw.<feed> (tombstones aside), in one scan of them."""
    keys = ", ".join(feed.key)
    start = period_start_sql(feed.period, feed.event_date)
    rows = con.execute(
        f"SELECT {period_sql(feed.period, 'p')}, n, p, CAST(p + INTERVAL 1 {feed.period} AS DATE) "  # noqa: S608
        f"FROM (SELECT {start} AS p, count(DISTINCT ({keys})) AS n FROM raw.{feed.name} WHERE _file_id = ? "
        f"AND NOT _withdrawn AND {feed.event_date} IS NOT NULL GROUP BY ALL)", [file_id]).fetchall()
    if not rows:
        return FilePeriods({}, None, None)
    return FilePeriods(dict(sorted((label, n) for label, n, _, _ in rows)), min(r[2] for r in rows),
                       max(r[3] for r in rows))


def keys_per_period(con: duckdb.DuckDBPyConnection, feed: Feed, periods: FilePeriods) -> dict[str, int]:
    """{period: keys in core.<feed>} of a period-snapshot feed for the periods of `periods` (a file's, as they
    stand before the file is published), counted only within its first and last days."""
    if periods.low is None:
        return {}
    start = period_start_sql(feed.period, feed.event_date)
    rows = con.execute(
        f"SELECT {period_sql(feed.period, 'p')}, n FROM (SELECT {start} AS p, count(*) AS n "  # noqa: S608
        f"FROM core.{feed.name} WHERE {feed.event_date} >= ? AND {feed.event_date} < ? GROUP BY ALL)",
        [periods.low, periods.high]).fetchall()
    return dict(rows)


def write_tombstones(ctx: Context, file_id: int, seq: int, periods: FilePeriods, listed: list) -> int:
    """A tombstone in raw.<feed> for each key of the file's periods (`file_periods`) in core that the file lists
    nowhere (not even in a rejected row): the key is withdrawn from core.* from this delivery on. Returns how many.

    `listed` says where the file's keys are: the Parquet files of its staged parts (every unique row, rejected
    ones too), which DuckDB reads as it joins, the tables of its kept parts (the same rows, in memory), or frames
    of key columns (a part staged by an earlier version)."""
    feed, con = ctx.feed, ctx.con
    keys = list(feed.key)
    frames = [f for f in listed if isinstance(f, pd.DataFrame)]
    tables = [t.select(keys) for t in listed if isinstance(t, pa.Table)]
    files = [str(p) for p in listed if not isinstance(p, (pd.DataFrame, pa.Table))]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({k: pd.Series(dtype=object)
                                                                              for k in keys})
    filled = list(dict.fromkeys([*keys, feed.event_date]))
    insert = sql_file(__file__, "tombstones").format(
        table=f"raw.{feed.name}", core=f"core.{feed.name}", columns=", ".join(f"c.{c}" for c in filled),
        period=period_sql(feed.period, "c." + feed.event_date), date="c." + feed.event_date,
        match=" AND ".join(f"l.{k} IS NOT DISTINCT FROM c.{k}" for k in keys))
    con.register("listed_frames", pa.Table.from_pandas(frame, preserve_index=False))
    columns = ", ".join(keys)
    listed_sql = f"SELECT {columns} FROM listed_frames"  # noqa: S608 (identifiers from the declaration)
    present = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    if tables:
        con.register("listed_tables", pa.concat_tables(tables))
        listed_sql += f" UNION ALL SELECT {columns} FROM listed_tables WHERE {present}"  # noqa: S608
    if files:
        paths = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        listed_sql += f" UNION ALL SELECT {columns} FROM read_parquet([{paths}]) WHERE {present}"  # noqa: S608
    con.execute(f"CREATE OR REPLACE TEMP VIEW listed_keys AS {listed_sql}")
    try:
        before = con.execute(f"SELECT count(*) FROM raw.{feed.name} WHERE _file_id = ?", [file_id]).fetchone()[0]  # noqa: S608
        con.execute(insert, [file_id, ctx.run_id, seq, datetime.now(), file_id, sorted(periods.keys), periods.low,
                             periods.high])
        after = con.execute(f"SELECT count(*) FROM raw.{feed.name} WHERE _file_id = ?", [file_id]).fetchone()[0]  # noqa: S608
    finally:
        con.execute("DROP VIEW IF EXISTS listed_keys")
        con.unregister("listed_frames")
        con.unregister("listed_tables")
    return after - before
