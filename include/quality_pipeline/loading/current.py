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

from quality_pipeline import calendar
from quality_pipeline.feeds.schema import current_versions
from quality_pipeline.indicators.periods import period_sql, period_start_sql

if TYPE_CHECKING:
    import duckdb

    from quality_pipeline.feeds import Feed
    from quality_pipeline.loading.rows import StagedRows

DIRTY_TABLE = "marts.dirty_quarters"
_TOUCHED = "touched_keys"  # a temporary table: the keys being brought up to date
_GONE = "gone_versions"  # a temporary table: the rows of core.<feed> those keys had (rowid, quarter start)


def _match(feed: Feed, alias: str) -> str:
    return " AND ".join(f"{alias}.{k} IS NOT DISTINCT FROM t.{k}" for k in feed.key)


def _exists_if_null_key(con: duckdb.DuckDBPyConnection, feed: Feed, alias: str) -> str | None:
    """When a touched key has a NULL part, the correlated `EXISTS` that matches the rows of `alias` to touched
    keys with `IS NOT DISTINCT FROM` (NULL parts alike); else None."""
    nulls = " OR ".join(f"{k} IS NULL" for k in feed.key)
    if con.execute(f"SELECT count(*) FROM {_TOUCHED} WHERE {nulls}").fetchone()[0]:  # noqa: S608
        return f"EXISTS (SELECT 1 FROM {_TOUCHED} t WHERE {_match(feed, alias)})"  # noqa: S608 (declared names)
    return None


def _among_touched(con: duckdb.DuckDBPyConnection, feed: Feed, alias: str) -> str:
    """The condition "the row of `alias` has the key of a row of touched_keys", NULL parts of a key alike.

    When no touched key has a NULL part (the usual case), `(keys) IN (SELECT keys FROM touched_keys)`: the
    same rows, found by a hash join whose probe side DuckDB filters with the touched keys' min and max, so
    the files and row groups of other keys are skipped; a 120-key lookup in 47.5M current rows took 0.01 s
    for new keys, about 1 s for keys spread over the whole history (bench/results.md). A correlated `EXISTS`
    with `IS NOT DISTINCT FROM`, needed only when a key part is NULL, first groups every key of the table: 8 s."""
    keys = ", ".join(feed.key)
    if (exists := _exists_if_null_key(con, feed, alias)) is not None:
        return exists
    refs = ", ".join(f"{alias}.{k}" for k in feed.key)
    if len(feed.key) > 1:
        return f"({refs}) IN (SELECT ({keys}) FROM {_TOUCHED})"  # noqa: S608 (declared names)
    return f"{refs} IN (SELECT {keys} FROM {_TOUCHED})"  # noqa: S608 (declared names)


def _touched_rows(con: duckdb.DuckDBPyConnection, feed: Feed, alias: str) -> tuple[str, str]:
    """(join, condition) that keep the rows of `alias` whose key is a touched key, NULL parts of a key alike:
    `FROM <table> {alias} {join} WHERE {condition}`.

    When no touched key has a NULL part (the usual case), an inner join with touched_keys (whose keys are
    distinct, so each row comes at most once): DuckDB builds its hash table on the smaller side, where the
    semi join of `_among_touched` always builds it on the touched keys (a million keys of a new delivery into
    a feed that has no rows yet: 0.07 s per query, bench/results.md), and filters the larger side with the
    smaller one's min and max. With a NULL part, `_among_touched`'s correlated EXISTS."""
    if (exists := _exists_if_null_key(con, feed, alias)) is not None:
        return "", exists
    on = " AND ".join(f"{alias}.{k} = t.{k}" for k in feed.key)
    return f"JOIN {_TOUCHED} t ON {on}", "true"


def refresh_file(con: duckdb.DuckDBPyConnection, feed: Feed, file_id: int,
                 staged: list[StagedRows] | None = None) -> list[str]:
    """Bring core.<feed> in step with raw.<feed> for every key file `file_id` carries: its rows in raw.<feed>
    now (tombstones included) and the current versions it had in core.<feed> before. Runs in the caller's
    transaction; records the quarters that changed in marts.dirty_quarters and returns them.

    A new delivery newer than every other version of the feed (the nightly case) only needs its own rows: the
    last row of each of its keys is that key's current version (or, a tombstone, its absence). Anything else
    (a release of an older held file, a reprocessed file, a withdrawal) ranks every version of its keys.

    `staged`, the SELECTs that inserted every row of the file that is not a tombstone (`rows.insert_staged`),
    lets such a delivery's rows be read again from its staged files rather than from raw.<feed>: DuckDB scans
    rows its transaction has not committed on one thread, a Parquet file on all of them (bench/results.md)."""
    keys = ", ".join(feed.key)
    newest = _newest_delivery(con, feed, file_id)
    older = "" if newest else f" UNION SELECT {keys} FROM core.{feed.name} WHERE _file_id = $file"  # noqa: S608
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_TOUCHED} AS "  # noqa: S608 (identifiers from the declaration)
                f"SELECT DISTINCT {keys} FROM raw.{feed.name} WHERE _file_id = $file{older}", {"file": file_id})
    changed: set[str] = set()
    if con.execute(f"SELECT count(*) FROM {_TOUCHED}").fetchone()[0]:  # noqa: S608
        last_before = _last_quarter(con, feed) if feed.carries_forward else None
        scope = f"r._file_id = {int(file_id)}" if newest else _among_touched(con, feed, "r")
        # A newest delivery's current versions are its own rows (core.<feed> had none of them before)
        came = f"c._file_id = {int(file_id)}" if newest else None
        one_row_per_key = newest and _one_row_per_key(con, feed, file_id)
        changed = _replace(con, feed, scope, came, one_row_per_key=one_row_per_key,
                           staged=staged if one_row_per_key else None)
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
    own_oldest = con.execute(f"SELECT min(_delivery_seq) FROM raw.{feed.name} WHERE _file_id = ?",  # noqa: S608
                             [file_id]).fetchone()[0]
    if own_oldest is None:
        return False
    # Every raw row carries its file's delivery_seq (audit.files), so the other files' rows are asked of
    # audit.files (a row per file), not of raw.<feed>'s whole history. Held files count too (they have a
    # sequence and no raw rows yet), which can only send a delivery the general way, never wrongly the fast one.
    not_older = con.execute("SELECT 1 FROM audit.files WHERE feed = ? AND delivery_seq >= ? AND file_id <> ? "
                            "LIMIT 1", [feed.name, own_oldest, file_id]).fetchone()
    return not_older is None


def _one_row_per_key(con: duckdb.DuckDBPyConnection, feed: Feed, file_id: int) -> bool:
    """Whether the file's rows in raw.<feed> carry each key once (touched_keys holds its distinct keys, NULLs
    alike as PARTITION BY groups them): then each row is its key's only version in the file."""
    distinct = con.execute(f"SELECT count(*) FROM {_TOUCHED}").fetchone()[0]  # noqa: S608
    rows = con.execute(f"SELECT count(*) FROM raw.{feed.name} WHERE _file_id = ?", [file_id]).fetchone()[0]  # noqa: S608
    return distinct == rows


def _replace(con: duckdb.DuckDBPyConnection, feed: Feed, scope: str, came: str | None = None, *,
             one_row_per_key: bool = False, staged: list[StagedRows] | None = None) -> set[str]:
    """Take the rows of touched_keys out of core.<feed> and put their current versions (from the raw rows
    in `scope`) back; returns the quarters of the rows taken out and put back.

    With `one_row_per_key` (a newest delivery, `scope` its own rows, each key once), ranking the versions
    would rank one row per key: every row not a tombstone is its key's current version, as the template
    says, without sorting every column of the file by key.

    The rows taken out are found once, by one join (`_touched_rows`), as their rowids and quarter starts in a
    temporary table; the delete takes those rowids, and is not run when there are none (a delivery of new
    keys). The quarters are asked of those rows and, after the insert, of the rows put back, one distinct
    quarter start per row (`came`, a condition on core.<feed> aliased `c`, picks the rows put back when the
    caller knows them more cheaply than by their keys): `RETURNING` the quarter of every row deleted or
    inserted materialised a million strings for a million-row file (bench/results.md)."""
    join, condition = _touched_rows(con, feed, "c")
    start = period_start_sql("quarter", f"c.{feed.event_date}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_GONE} AS SELECT c.rowid AS row_id, {start} AS q "  # noqa: S608
                f"FROM core.{feed.name} c {join} WHERE {condition}")
    gone = {q for (q,) in con.execute(f"SELECT DISTINCT {period_sql('quarter', 'q')} FROM {_GONE} "  # noqa: S608
                                      "WHERE q IS NOT NULL").fetchall()}
    if con.execute(f"SELECT count(*) FROM {_GONE}").fetchone()[0]:  # noqa: S608
        con.execute(f"DELETE FROM core.{feed.name} WHERE rowid IN (SELECT row_id FROM {_GONE})")  # noqa: S608
    con.execute(f"DROP TABLE {_GONE}")
    params: list = []
    if staged:  # the same rows as raw.<feed>'s of the file that are not tombstones
        versions = "SELECT * EXCLUDE (_withdrawn) FROM (" + " UNION ALL ".join(s.sql for s in staged) + ")"  # noqa: S608
        params = [p for s in staged for p in s.params]
    elif one_row_per_key:
        versions = f"SELECT * EXCLUDE (_withdrawn) FROM raw.{feed.name} r WHERE {scope} AND _withdrawn IS NOT TRUE"  # noqa: S608
    else:
        versions = current_versions(feed, scope)
    con.execute(f"INSERT INTO core.{feed.name} BY NAME {versions}", params)  # noqa: S608
    return gone | _quarters_where(con, feed, *(("", came) if came else (join, condition)))


def _quarters_where(con: duckdb.DuckDBPyConnection, feed: Feed, join: str, condition: str) -> set[str]:
    """The quarters of the rows of core.<feed> (aliased `c`, joined by `join`) that meet `condition`."""
    start = period_start_sql("quarter", f"c.{feed.event_date}")
    rows = con.execute(f"SELECT {period_sql('quarter', 'q')} FROM (SELECT DISTINCT {start} AS q "  # noqa: S608
                       f"FROM core.{feed.name} c {join} WHERE {condition} AND c.{feed.event_date} IS NOT NULL)"
                       ).fetchall()
    return {q for (q,) in rows}


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
