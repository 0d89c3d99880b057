"""core.<feed>, the current version of each key, kept in step with raw.<feed>; and the quarters that changed.

core.<feed> is a table (V011), not a view that ranks every version of every key on each read. Whatever
changes which version of a key is current changes it in the same transaction, through `refresh_file`:
publishing a file (its rows and a period snapshot's tombstones), releasing a held one, withdrawing one (its
keys' earlier versions come back). The rows of the keys the file touches are taken out of core.<feed> and put
back from raw.<feed> by the one definition of the current version, `warehouse/templates/core_table.sql`, so
the table can never disagree with raw.* (the test `tests/unit/test_incremental_marts.py` compares it with a
rebuild after every step).

The quarters of the versions that left core.<feed> and of those that came in (a key moved from 2026Q2 to
2026Q3 touches both) are recorded in `marts.dirty_quarters` in that transaction, so `quarterly_indicators`
recomputes only them, and a crash between the publish and the indicators loses none. For a feed that
`carries_forward` (a monthly report stands until the next one), a change also touches every later quarter up
to the feed's last.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pyarrow.compute as pc

from quality_pipeline import calendar
from quality_pipeline.feeds.schema import current_versions
from quality_pipeline.indicators.periods import period_sql

if TYPE_CHECKING:
    import duckdb

    from quality_pipeline.feeds import Feed

DIRTY_TABLE = "marts.dirty_quarters"
_TOUCHED = "touched_keys"  # a temporary table: the keys being brought up to date


def _match(feed: Feed, alias: str) -> str:
    return " AND ".join(f"{alias}.{k} IS NOT DISTINCT FROM t.{k}" for k in feed.key)


def refresh_file(con: duckdb.DuckDBPyConnection, feed: Feed, file_id: int) -> list[str]:
    """Bring core.<feed> in step with raw.<feed> for every key file `file_id` carries: its rows in raw.<feed>
    now (tombstones included) and the current versions it had in core.<feed> before. Runs in the caller's
    transaction; records the quarters that changed in marts.dirty_quarters and returns them.

    A new delivery newer than every other version of the feed (the nightly case) only needs its own rows: the
    last row of each of its keys is that key's current version (or, a tombstone, its absence). Anything else
    (a release of an older held file, a reprocessed file, a withdrawal) ranks every version of its keys."""
    keys = ", ".join(feed.key)
    newest = _newest_delivery(con, feed, file_id)
    older = "" if newest else f" UNION SELECT {keys} FROM core.{feed.name} WHERE _file_id = $file"  # noqa: S608
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_TOUCHED} AS "  # noqa: S608 (identifiers from the declaration)
                f"SELECT DISTINCT {keys} FROM raw.{feed.name} WHERE _file_id = $file{older}", {"file": file_id})
    changed: set[str] = set()
    if con.execute(f"SELECT count(*) FROM {_TOUCHED}").fetchone()[0]:  # noqa: S608
        last_before = _last_quarter(con, feed) if feed.carries_forward else None
        scope = (f"r._file_id = {int(file_id)}" if newest
                 else f"EXISTS (SELECT 1 FROM {_TOUCHED} t WHERE {_match(feed, 'r')})")  # noqa: S608
        changed = _replace(con, feed, scope, one_row_per_key=newest and _one_row_per_key(con, feed, file_id),
                           file_id=file_id)
        if feed.carries_forward:
            changed = carried_forward(changed, last_before, _last_quarter(con, feed))
    con.execute(f"DROP TABLE {_TOUCHED}")
    record(con, feed, sorted(changed), file_id)
    return sorted(changed)


def _newest_delivery(con: duckdb.DuckDBPyConnection, feed: Feed, file_id: int) -> bool:
    """Whether file_id is a delivery not withdrawn, with no current version in core.<feed> yet, whose rows are
    all newer (delivery_seq) than every row of every other file of the feed."""
    withdrawn = con.execute("SELECT count(*) FROM audit.files WHERE file_id = ? AND status = 'withdrawn'",
                            [file_id]).fetchone()[0]
    if withdrawn or con.execute(f"SELECT count(*) FROM core.{feed.name} WHERE _file_id = ?",  # noqa: S608
                                [file_id]).fetchone()[0]:
        return False
    # Two filtered scans, not one aggregate with FILTER clauses over all of raw: a WHERE reaches the scan, whose
    # row groups' min/max skip all but the file's own rows and the latest deliveries (raw grows in delivery order).
    own_oldest = con.execute(f"SELECT min(_delivery_seq) FROM raw.{feed.name} WHERE _file_id = ?",  # noqa: S608
                             [file_id]).fetchone()[0]
    if own_oldest is None:
        return False
    not_older = con.execute(f"SELECT 1 FROM raw.{feed.name} WHERE _delivery_seq >= ? AND _file_id <> ? "  # noqa: S608
                            "LIMIT 1", [own_oldest, file_id]).fetchone()
    return not_older is None


def _one_row_per_key(con: duckdb.DuckDBPyConnection, feed: Feed, file_id: int) -> bool:
    """Whether the file's rows in raw.<feed> carry each key once (touched_keys holds its distinct keys, NULLs
    alike as PARTITION BY groups them): then each row is its key's only version in the file."""
    distinct = con.execute(f"SELECT count(*) FROM {_TOUCHED}").fetchone()[0]  # noqa: S608
    rows = con.execute(f"SELECT count(*) FROM raw.{feed.name} WHERE _file_id = ?", [file_id]).fetchone()[0]  # noqa: S608
    return distinct == rows


def _replace(con: duckdb.DuckDBPyConnection, feed: Feed, scope: str, *, one_row_per_key: bool = False,
             file_id: int | None = None) -> set[str]:
    """Take the rows of touched_keys out of core.<feed> and put their current versions (from the raw rows
    in `scope`) back; returns the quarters of the rows taken out and put back.

    With `one_row_per_key` (a newest delivery, `scope` its own rows, each key once, `file_id` that file),
    ranking the versions would rank one row per key: every row not a tombstone is its key's current version,
    as the template says, without sorting every column of the file by key. Its rows are then inserted without
    RETURNING (a RETURNING insert keeps every row in the transaction's memory, spilling beyond DuckDB's limit,
    where a plain one writes the file's row groups to the database as it goes: bench/results.md), and the
    quarters they came into are read back from core.<feed>, where they are the file's only rows."""
    quarter = period_sql("quarter", feed.event_date)
    gone = _distinct_quarters(con.execute(
        f"DELETE FROM core.{feed.name} AS c USING {_TOUCHED} AS t "  # noqa: S608
        f"WHERE {_match(feed, 'c')} RETURNING {period_sql('quarter', 'c.' + feed.event_date)}"))
    if one_row_per_key:
        con.execute(f"INSERT INTO core.{feed.name} BY NAME SELECT * EXCLUDE (_withdrawn) "  # noqa: S608
                    f"FROM raw.{feed.name} r WHERE {scope} AND _withdrawn IS NOT TRUE")
        came = _distinct_quarters(con.execute(
            f"SELECT DISTINCT {quarter} FROM core.{feed.name} WHERE _file_id = ?", [file_id]))  # noqa: S608
    else:
        came = _distinct_quarters(con.execute(
            f"INSERT INTO core.{feed.name} BY NAME {current_versions(feed, scope)} RETURNING {quarter}"))  # noqa: S608
    return gone | came


def _distinct_quarters(result: duckdb.DuckDBPyConnection) -> set[str]:
    """The distinct quarters in a one-column result, read a batch at a time (a RETURNING gives one per row)."""
    found: set[str] = set()
    for batch in result.fetch_record_batch(1 << 17):
        found.update(q for q in pc.unique(batch.column(0)).to_pylist() if q is not None)
    return found


def rebuild(con: duckdb.DuckDBPyConnection, feed: Feed) -> list[str]:
    """Build core.<feed> again from raw.<feed> whole (for rows written to raw.<feed> some other way than
    a publish: the benchmark's generated rows, a test's); records every quarter before and after."""
    before = _quarters(con, feed)
    con.execute(f"DELETE FROM core.{feed.name}")  # noqa: S608
    con.execute(f"INSERT INTO core.{feed.name} BY NAME {current_versions(feed)}")  # noqa: S608
    changed = sorted(before | _quarters(con, feed))
    record(con, feed, changed, None)
    return changed


def _quarters(con: duckdb.DuckDBPyConnection, feed: Feed) -> set[str]:
    quarter = period_sql("quarter", feed.event_date)
    return {q for (q,) in con.execute(f"SELECT DISTINCT {quarter} FROM core.{feed.name} "  # noqa: S608
                                      f"WHERE {feed.event_date} IS NOT NULL").fetchall()}


def _last_quarter(con: duckdb.DuckDBPyConnection, feed: Feed) -> str | None:
    last = con.execute(f"SELECT max({feed.event_date}) FROM core.{feed.name}").fetchone()[0]  # noqa: S608
    return None if last is None else calendar.quarter_of(last)


def carried_forward(changed: set[str], last_before: str | None, last_after: str | None) -> set[str]:
    """For a feed whose reports stand until the next one: every quarter from the earliest changed one to the
    feed's last (before or after the change). When its last quarter moved, the quarters between the two
    lasts change too (they are filled with, or lose, the latest report before them)."""
    lasts = {q for q in (last_before, last_after) if q}
    low = set(changed) | ({min(lasts)} if last_before != last_after and lasts else set())
    if not low:
        return set(changed)
    quarter, high, out = min(low), max(low | lasts), set()
    while quarter <= high:
        out.add(quarter)
        quarter = calendar.shift_quarter(quarter, 1)
    return out


def record(con: duckdb.DuckDBPyConnection, feed: Feed, quarters: list[str], file_id: int | None) -> None:
    """Add `quarters` to marts.dirty_quarters (in the caller's transaction)."""
    if quarters:
        con.execute(f"INSERT INTO {DIRTY_TABLE} (quarter, feed, file_id, recorded_at) "  # noqa: S608
                    "SELECT unnest($quarters::VARCHAR[]), $feed, $file, $at",
                    {"quarters": list(quarters), "feed": feed.name, "file": file_id, "at": datetime.now()})
