"""Ingest a feed: every file not yet seen is read, validated with GX and published in one DuckDB transaction.

Per file: read → typed frame → exact duplicates dropped → row suite (reject / flag)
→ batch suite (reject / hold) → one transaction writing the rows, the quarantine,
the flags, the validation results and the file's audit row. A file either lands
whole or not at all. A file of a period-snapshot feed also writes a tombstone for each
key of the periods it restates that it no longer lists (docs/extracts.md).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from quality_pipeline.feeds import PERIOD_SNAPSHOT, Feed, load_feed
from quality_pipeline.indicators.periods import period_sql
from quality_pipeline.loading.discovery import (
    REFUSALS,
    Candidate,
    FileChanged,
    discover,
    ignored_reason,
    sha256_of,
    take_snapshot,
    unseen,
)
from quality_pipeline.loading.outcomes import (
    RowDecisions,
    decide_batch,
    decide_rows,
    issue_records,
    merge_outcomes,
)
from quality_pipeline.loading.partitions import KeyPartitions, parts_for
from quality_pipeline.parsing.coerce import PREV_PREFIX, typed_frame
from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.reader import EXTRA_COLUMN, ROW_COLUMN, SHEET_COLUMN, RawExtract, read_extract
from quality_pipeline.region import Region, load_region
from quality_pipeline.settings import Settings, load_settings
from quality_pipeline.terminal import printable
from quality_pipeline.warehouse.writer import fault_point, write_session

log = logging.getLogger(__name__)
ROW_GROUP = 122_880  # DuckDB's row-group size
INSERT_ROWS = 2 * ROW_GROUP  # rows converted to Arrow and inserted at a time
# Identical bytes of these make a duplicate (a rejected file's bytes are read again under a new name).
DUPLICATE_OF = ("loaded", "held", "withdrawn")

@dataclass
class FileResult:
    feed: str
    path: str
    status: str
    reason: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_held: int = 0
    rows_rejected: int = 0
    duplicates_dropped: int = 0
    rows_flagged: int = 0
    keys_withdrawn: int = 0  # keys of its restated periods a period snapshot no longer lists


@dataclass(frozen=True)
class Release:
    """Who releases held files in a run, and why (recorded as the file's decision `released`)."""

    actor: str
    reason: str | None = None


def default_actor() -> str:
    """Who acts when nobody says: the user running the process."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass
class Context:
    con: duckdb.DuckDBPyConnection
    gate: object
    feed: Feed
    region: Region
    run_id: str
    today: date
    snapshots: Path | None = None  # private folder for the copies that are hashed and parsed
    released_by: Release | None = None


def ingest_feed(feed_name: str, *, run_id: str, settings: Settings | None = None, gate=None,
                release: tuple[str, ...] = (), reprocess: tuple[str, ...] = (),
                today: date | None = None, released_by: Release | None = None) -> list[FileResult]:
    """Process every new file of the feed, then any held file named in `release` (the decision recorded as
    `released_by`, by default the user running the process) and any seen file named in `reprocess` (read
    again from the landing folder, replacing what it delivered); publish once at the end."""
    settings = settings or load_settings()
    feed = load_feed(feed_name)
    region = load_region(settings.region_file)
    if gate is None:
        from quality_pipeline.validation.gate import Gate

        gate = Gate(docs_dir=settings.reports_dir / "validation" / feed_name)
    results: list[FileResult] = []
    with write_session(settings) as con:
        ctx = Context(con, gate, feed, region, run_id, today or date.today(), settings.work_dir / "snapshots",
                      released_by or Release(default_actor()))
        for cand in discover(settings.landing_dir, feed):
            result = _ingest_candidate(ctx, cand)
            if result:
                results.append(result)
        for cand in unseen(settings.landing_dir, feed):
            result = _record_ignored(ctx, cand)
            if result:
                results.append(result)
        for spec in release:
            results.extend(_again(ctx, settings.landing_dir, spec, status="held"))
        for spec in reprocess:
            results.extend(_again(ctx, settings.landing_dir, spec, status=None))
    return results


def _known(con, feed: Feed, relative: str, sha: str | None) -> tuple[bool, tuple[int, str] | None]:
    """(this exact path+content already seen, (file_id, status) of the same bytes under another name)."""
    if sha is None:
        seen = con.execute("SELECT count(*) FROM audit.files WHERE feed = ? AND path = ? AND reason_code IN "
                           "('symlink', 'not_regular')", [feed.name, relative]).fetchone()[0]
        return bool(seen), None
    same = con.execute("SELECT count(*) FROM audit.files WHERE feed = ? AND path = ? AND sha256 = ?",
                       [feed.name, relative, sha]).fetchone()[0]
    if same:
        return True, None
    # Only the bytes of a loaded, held or withdrawn file make a duplicate: a rejected file's bytes are read
    # again under a new name (only the name was wrong, or the rule that refused them changed). A withdrawn
    # delivery sent again byte for byte stays withdrawn: undoing a withdrawal is a new, changed delivery.
    other = con.execute("SELECT file_id, status FROM audit.files WHERE feed = ? AND sha256 = ? AND list_contains(?, "
                        "status) ORDER BY file_id LIMIT 1", [feed.name, sha, list(DUPLICATE_OF)]).fetchone()
    return False, other


def _record_ignored(ctx: Context, cand: Candidate) -> FileResult | None:
    """A file or folder no feed reads: recorded once as `ignored`, so the run needs attention instead of
    finishing green while the file waits unseen."""
    seen = ctx.con.execute("SELECT count(*) FROM audit.files WHERE path = ? AND status = 'ignored' "
                           "AND reason_code = ?", [cand.relative, cand.refused]).fetchone()[0]
    if seen:
        return None
    result = FileResult(ctx.feed.name, cand.relative, "ignored", ignored_reason(cand.refused))
    _write_file_row(ctx, cand, "ignored:" + cand.relative, result, reason_code=cand.refused)
    return result


def _ingest_candidate(ctx: Context, cand: Candidate) -> FileResult | None:
    if cand.refused:
        seen, _ = _known(ctx.con, ctx.feed, cand.relative, None)
        if seen:
            return None
        zh, en = REFUSALS[cand.refused]
        result = FileResult(ctx.feed.name, cand.relative, "rejected", f"{zh} / {en}")
        _write_file_row(ctx, cand, "refused:" + cand.relative, result, reason_code=cand.refused)
        return result
    try:
        sha = sha256_of(cand.path)
    except OSError as exc:  # removed or made unreadable since discovery: the next run sees it again
        log.warning("%s: %s; left for the next run", printable(cand.relative), printable(exc))
        return None
    seen, duplicate_of = _known(ctx.con, ctx.feed, cand.relative, sha)
    if seen:
        return None
    if duplicate_of is not None:
        other, status = duplicate_of
        if status == "withdrawn":
            reason = (f"与已撤回的文件内容完全相同（file_id {other}），不再加载 / identical bytes to file {other}, "
                      "which was withdrawn; not loaded again")
        else:
            reason = f"与已收文件内容完全相同（file_id {other}） / identical bytes to file {other}"
        result = FileResult(ctx.feed.name, cand.relative, "duplicate", reason)
        _write_file_row(ctx, cand, sha, result, reason_code="identical", duplicate_of=other)
        return result
    with _snapshot_of(ctx, cand, sha) as copy:
        if copy is None:
            log.warning("%s: left for the next run", printable(cand.relative))
            return None
        return process_file(ctx, copy, sha)


@contextmanager
def _snapshot_of(ctx: Context, cand: Candidate, sha: str) -> Iterator[Candidate | None]:
    """The candidate pointing at a private snapshot of exactly the bytes hashed as `sha` (removed when the
    block ends), or None when the file is still being written, is gone or changed since it was hashed."""
    try:
        snap = take_snapshot(cand, ctx.snapshots)
    except (FileChanged, OSError) as exc:
        log.warning("%s is still being written or gone: %s", printable(cand.relative), printable(exc))
        yield None
        return
    with snap:
        if snap.sha256 != sha:
            log.warning("%s changed since it was hashed", printable(cand.relative))
            yield None
        else:
            yield dataclasses.replace(cand, path=snap.path, size=snap.size)


def process_file(ctx: Context, cand: Candidate, sha: str, *, file_id: int | None = None,
                 delivery_seq: int | None = None, releasing: bool = False) -> FileResult:
    """Read, validate and publish one file. A large CSV is read into key partitions and each part is typed,
    validated and inserted in turn (`loading.partitions`); everything lands in one transaction."""
    feed, n_parts = ctx.feed, parts_for(cand.size, cand.path.suffix)
    with KeyPartitions(n_parts, feed, ctx.region, ctx.snapshots) if n_parts > 1 else nullcontext() as parts:
        try:
            raw = read_extract(cand.path, feed, sink=parts)
        except ExtractRejected as exc:
            result = FileResult(feed.name, cand.relative, "rejected", exc.reason)
            _write_file_row(ctx, cand, sha, result, reason_code=exc.code, file_id=file_id)
            return result
        pieces = parts.frames() if parts is not None else iter([raw.frame])
        return _publish_file(ctx, cand, sha, raw, pieces, file_id=file_id, delivery_seq=delivery_seq,
                             releasing=releasing)


@dataclass
class _Totals:
    rows_read: int = 0
    duplicates: int = 0
    rejected: int = 0
    flagged: int = 0
    sheet_conflicts: int = 0
    listed: list = dataclasses.field(default_factory=list)  # key columns of every row with a key (snapshots)


def _publish_file(ctx: Context, cand: Candidate, sha: str, raw: RawExtract, pieces, *, file_id: int | None,
                  delivery_seq: int | None, releasing: bool) -> FileResult:
    """Everything about one file in one transaction: it lands whole or not at all."""
    con, feed = ctx.con, ctx.feed
    con.execute("BEGIN TRANSACTION")
    try:
        if file_id is not None:
            for table in ("audit.quarantine", "audit.row_flags", f"raw.{feed.name}"):
                column = "_file_id" if table.startswith("raw.") else "file_id"
                con.execute(f"DELETE FROM {table} WHERE {column} = ?", [file_id])  # noqa: S608
        new_id = file_id if file_id is not None else con.execute("SELECT nextval('audit.file_id_seq')").fetchone()[0]
        seq = delivery_seq if delivery_seq is not None else con.execute("SELECT nextval('audit.delivery_seq')").fetchone()[0]
        snapshot = feed.delivery == PERIOD_SNAPSHOT
        period_keys = _keys_per_period(ctx) if snapshot else {}  # before this file
        totals, row_outcomes = _Totals(), []
        for piece in pieces:
            row_outcomes.append(_validate_and_insert(ctx, cand, dataclasses.replace(raw, frame=piece), new_id, seq,
                                                     totals))
            del piece  # before the next part is read: one part in memory at a time
        if not row_outcomes:  # no data rows: the suite still runs, on the empty frame, and is recorded
            row_outcomes.append(_validate_and_insert(ctx, cand, raw, new_id, seq, totals))
        restated = _restated_periods(ctx, new_id) if snapshot else {}
        shrink = period_shrink(restated, period_keys)
        summary = pd.DataFrame([{
            "rows_read": totals.rows_read,
            "rejected_share": totals.rejected / totals.rows_read if totals.rows_read else 0.0,
            "keys_vs_period": shrink["keys_vs_period"] if shrink else None,
            "columns_dropped": _columns_dropped(ctx, raw),
            "sheet_conflicts": totals.sheet_conflicts,
        }])
        batch_outcomes = ctx.gate.validate(f"{feed.name}.batch", summary, {})
        batch = decide_batch(batch_outcomes, releasing=releasing, parameters=shrink)
        withdrawn = 0
        if batch.status != "loaded":  # held or rejected as a whole: nothing of it is published
            con.execute(f"DELETE FROM raw.{feed.name} WHERE _file_id = ?", [new_id])  # noqa: S608
            con.execute("DELETE FROM audit.row_flags WHERE file_id = ?", [new_id])
        elif restated:
            withdrawn = _write_tombstones(ctx, new_id, seq, sorted(restated), totals.listed)
        valid = totals.rows_read - totals.duplicates - totals.rejected
        result = FileResult(
            feed.name, cand.relative, batch.status, batch.reason, rows_read=totals.rows_read,
            rows_loaded=valid if batch.status == "loaded" else 0,
            rows_held=valid if batch.status == "held" else 0,
            rows_rejected=totals.rejected + (valid if batch.status == "rejected" else 0),
            duplicates_dropped=totals.duplicates,
            rows_flagged=totals.flagged if batch.status == "loaded" else 0,
            keys_withdrawn=withdrawn,
        )
        kept_seq = seq if delivery_seq is not None or batch.status in ("loaded", "held") else None
        periods = {"restated_periods": restated, "keys_withdrawn": withdrawn} if snapshot else {}
        _write_file_row(ctx, cand, sha, result, reason_code=batch.reason_code, raw=raw, file_id=new_id,
                        delivery_seq=kept_seq, details=periods)
        if releasing:
            from quality_pipeline.loading.decisions import RELEASED, record

            con.execute("UPDATE audit.files SET released_run_id = ? WHERE file_id = ?", [ctx.run_id, new_id])
            who = ctx.released_by or Release(default_actor())
            record(con, new_id, RELEASED, actor=who.actor, run_id=ctx.run_id, reason=who.reason)
        outcomes = [("rows", o) for o in merge_outcomes(row_outcomes)] + [("batch", o) for o in batch_outcomes]
        _insert_validations(ctx, new_id, cand.relative, outcomes)
        fault_point("before_commit")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return result


def _validate_and_insert(ctx: Context, cand: Candidate, raw: RawExtract, file_id: int, seq: int,
                         totals: _Totals) -> list:
    """One part of a file (all of it, unless it is large): typed, de-duplicated, validated row by row, its
    quarantine, rows and flags inserted. Returns the row suite's outcomes."""
    frame = typed_frame(raw, ctx.region)
    duplicate = _exact_duplicates(raw)
    unique = frame[~duplicate] if duplicate.any() else frame  # a boolean selection copies every column
    unique = _with_previous_values(ctx, unique)
    params = row_parameters(ctx.region, ctx.today)
    outcomes = ctx.gate.validate(f"{ctx.feed.name}.rows", unique, params)
    decisions = decide_rows(outcomes, params)
    totals.rows_read += len(frame)
    totals.duplicates += int(duplicate.sum())
    totals.rejected += len(decisions.rejected)
    totals.flagged += len(decisions.flagged)
    totals.sheet_conflicts += _sheet_conflicts(unique, ctx.feed)
    if ctx.feed.delivery == PERIOD_SNAPSHOT:
        totals.listed.append(unique[list(ctx.feed.key)].dropna())
    _insert_quarantine(ctx, file_id, cand.relative, raw, unique, decisions)
    _insert_rows(ctx, file_id, seq, unique, decisions)
    _insert_flags(ctx, file_id, cand.relative, unique, decisions)
    return outcomes


def row_parameters(region: Region, today: date) -> dict:
    """What the row suites' `$PARAMETER`s are bound to for a run: the day, the date window, the streets."""
    window = {name: pd.Timestamp(day) for name, day in region.date_window(today).items()}
    return {**window, "streets": list(region.streets)}


def _sheet_conflicts(frame: pd.DataFrame, feed: Feed) -> int:
    """Keys found on two sheets of one workbook with different values (exact copies were dropped before):
    which sheet is right is for a person to say, never the sheet order."""
    sheets = frame[SHEET_COLUMN]
    if not len(frame) or sheets.nunique(dropna=True) < 2:
        return 0
    keyed = frame[[*feed.key, SHEET_COLUMN]].dropna()
    per_key = keyed.groupby(list(feed.key), dropna=True)[SHEET_COLUMN].nunique()
    return int((per_key > 1).sum())


def _exact_duplicates(raw: RawExtract) -> pd.Series:
    """Rows identical, cell for cell, to an earlier row of the file (the row number and sheet aside)."""
    frame = raw.frame
    hashed = np.zeros(len(frame), dtype=np.uint64)
    for name in frame.columns:  # column by column: selecting them all at once would copy the whole frame
        if name not in (ROW_COLUMN, SHEET_COLUMN):
            hashed *= np.uint64(1_000_003)  # order matters: a|b and b|a are different rows
            hashed ^= _hash_cells(frame[name].to_numpy())
    return pd.Series(hashed, index=frame.index).duplicated(keep="first")


def _hash_cells(cells: np.ndarray) -> np.ndarray:
    # Hashing the distinct values first pays off for a column of few values; for a column of mostly
    # distinct ones (sample numbers) it is slower and builds a copy of every string (bench/results.md).
    few = len(set(cells[:1000].tolist())) < 500
    try:
        return pd.util.hash_array(cells, categorize=few)
    except TypeError:  # numbers, dates or booleans beside text (xlsx): hash what they print as
        return pd.util.hash_array(cells.astype(str), categorize=few)


def _with_previous_values(ctx: Context, frame: pd.DataFrame) -> pd.DataFrame:
    """For cumulative columns, the value of the previous report month (this file or the warehouse)."""
    cols = [c.name for c in ctx.feed.columns if c.never_falls]
    if not cols or not len(frame):
        return frame
    key, month = ctx.feed.key[0], ctx.feed.event_date
    picked = ", ".join(cols)
    this = frame[[key, month, *cols]].reset_index(names="__idx")
    ctx.con.register("this_file", this)
    try:
        prev = ctx.con.execute(f"""
            WITH hist AS (
                SELECT {key}, {month}, {", ".join(f"max({c}) AS {c}" for c in cols)}
                FROM (SELECT {key}, {month}, {picked} FROM core.{ctx.feed.name}
                      UNION ALL
                      SELECT {key}, CAST({month} AS DATE), {picked} FROM this_file
                      WHERE {key} IS NOT NULL AND {month} IS NOT NULL)
                GROUP BY ALL
            )
            SELECT f.__idx, {", ".join(f"h.{c} AS {PREV_PREFIX}{c}" for c in cols)}
            FROM this_file f ASOF LEFT JOIN hist h
              ON f.{key} = h.{key} AND CAST(f.{month} AS DATE) > h.{month}
        """).df().set_index("__idx")  # noqa: S608 - identifiers come from the feed declaration
    finally:
        ctx.con.unregister("this_file")
    out = frame.copy()
    for c in cols:
        out[PREV_PREFIX + c] = pd.to_numeric(prev[PREV_PREFIX + c].reindex(out.index), errors="coerce")
    return out


def _columns_dropped(ctx: Context, raw: RawExtract) -> int:
    """Header columns the feed's latest loaded delivery had that this file lacks."""
    previous = ctx.con.execute(
        "SELECT details FROM audit.files WHERE feed = ? AND status = 'loaded' ORDER BY delivery_seq DESC LIMIT 1",
        [ctx.feed.name],
    ).fetchone()
    if not previous or not previous[0]:
        return 0
    return len(set(json.loads(previous[0]).get("columns", [])) - set(raw.header))


def _period_of(feed: Feed, column: str) -> str:
    return period_sql(feed.period, column)


def _keys_per_period(ctx: Context) -> dict[str, int]:
    """{period: keys in core.<feed>} of a period-snapshot feed, as they stand before a file is published."""
    feed = ctx.feed
    rows = ctx.con.execute(
        f"SELECT {_period_of(feed, feed.event_date)} AS period, count(*) FROM core.{feed.name} "  # noqa: S608
        f"WHERE {feed.event_date} IS NOT NULL GROUP BY ALL").fetchall()
    return dict(rows)


def _restated_periods(ctx: Context, file_id: int) -> dict[str, int]:
    """{period: distinct keys the file loaded in it}: the periods a period-snapshot file restates."""
    feed = ctx.feed
    keys = ", ".join(feed.key)
    rows = ctx.con.execute(
        f"SELECT {_period_of(feed, feed.event_date)} AS period, count(DISTINCT ({keys})) "  # noqa: S608
        f"FROM raw.{feed.name} WHERE _file_id = ? AND NOT _withdrawn AND {feed.event_date} IS NOT NULL "
        "GROUP BY ALL", [file_id]).fetchall()
    return dict(sorted(rows))


def period_shrink(restated: dict[str, int], before: dict[str, int]) -> dict | None:
    """The restated period that shrinks most against the keys it had (`keys_vs_period` = file keys / keys
    before), with the names the hold reason uses; None when the file restates no period that had keys."""
    ratios = [(restated[p] / before[p], p) for p in sorted(restated) if before.get(p)]
    if not ratios:
        return None
    ratio, period = min(ratios)
    return {"keys_vs_period": ratio, "period": period, "file_keys": restated[period], "period_keys": before[period]}


def _write_tombstones(ctx: Context, file_id: int, seq: int, periods: list[str], listed: list) -> int:
    """A tombstone in raw.<feed> for each key of `periods` in core that the file lists nowhere (not even in a
    rejected row): the key is withdrawn from core.* from this delivery on. Returns how many."""
    feed, con = ctx.feed, ctx.con
    keys = list(feed.key)
    frame = pd.concat(listed, ignore_index=True) if listed else pd.DataFrame({k: pd.Series(dtype=object)
                                                                              for k in keys})
    filled = list(dict.fromkeys([*keys, feed.event_date]))
    match = " AND ".join(f"l.{k} IS NOT DISTINCT FROM c.{k}" for k in keys)
    con.register("listed_keys", pa.Table.from_pandas(frame, preserve_index=False))
    try:
        before = con.execute(f"SELECT count(*) FROM raw.{feed.name} WHERE _file_id = ?", [file_id]).fetchone()[0]  # noqa: S608
        con.execute(f"""
            INSERT INTO raw.{feed.name} BY NAME
            SELECT {", ".join(f"c.{c}" for c in filled)}, ? AS _file_id, ? AS _run_id, ? AS _delivery_seq,
                   0 AS _row_number, ? AS _loaded_at, true AS _withdrawn
            FROM core.{feed.name} c
            WHERE c._file_id <> ? AND list_contains(?, {_period_of(feed, "c." + feed.event_date)})
              AND NOT EXISTS (SELECT 1 FROM listed_keys l WHERE {match})
        """, [file_id, ctx.run_id, seq, datetime.now(), file_id, periods])  # noqa: S608 - identifiers from the feed
        after = con.execute(f"SELECT count(*) FROM raw.{feed.name} WHERE _file_id = ?", [file_id]).fetchone()[0]  # noqa: S608
    finally:
        con.unregister("listed_keys")
    return after - before


def _file_meta(raw: RawExtract | None, extra: dict | None = None) -> str | None:
    if raw is None:
        return None
    meta = {"sheets": raw.sheets, "columns": sorted(raw.header), "skipped": raw.skipped}
    if raw.skipped_sheets:
        meta["skipped_sheets"] = raw.skipped_sheets
    meta.update(extra or {})
    return json.dumps(meta, ensure_ascii=False)


def _write_file_row(ctx: Context, cand: Candidate, sha: str, result: FileResult, *, reason_code: str | None,
                    raw: RawExtract | None = None, file_id: int | None = None, delivery_seq: int | None = None,
                    duplicate_of: int | None = None, details: dict | None = None) -> int:
    con = ctx.con
    if file_id is not None:
        con.execute("DELETE FROM audit.files WHERE file_id = ?", [file_id])
    else:
        file_id = con.execute("SELECT nextval('audit.file_id_seq')").fetchone()[0]
    if delivery_seq is None and result.status in ("loaded", "held"):
        delivery_seq = con.execute("SELECT nextval('audit.delivery_seq')").fetchone()[0]
    con.execute(
        """INSERT INTO audit.files (file_id, feed, path, sha256, size_bytes, modified_at, status, reason, reason_code,
               rows_read, rows_loaded, rows_held, rows_rejected, duplicates_dropped, rows_flagged, rows_skipped,
               encoding, details, delivery_seq, duplicate_of, run_id, released_run_id, processed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [file_id, ctx.feed.name, cand.relative, sha, cand.size, cand.modified_at, result.status, result.reason,
         reason_code, result.rows_read, result.rows_loaded, result.rows_held, result.rows_rejected,
         result.duplicates_dropped, result.rows_flagged, raw.rows_skipped if raw else 0,
         raw.encoding if raw else None, _file_meta(raw, details), delivery_seq, duplicate_of,
         ctx.run_id, None, datetime.now()],
    )
    return file_id


def _raw_row(raw: RawExtract, idx: int) -> str:
    row = raw.frame.loc[idx]
    data = {raw.header.get(k, k): (None if v is None else str(v)) for k, v in row.items()
            if k not in (EXTRA_COLUMN,)}
    if isinstance(row.get(EXTRA_COLUMN), str):
        data.update(json.loads(row[EXTRA_COLUMN]))
    return json.dumps(data, ensure_ascii=False, default=str)


def _located(records: pd.DataFrame, ctx, file_id: int, path: str) -> pd.DataFrame:
    records.insert(0, "path", path)
    records.insert(0, "feed", ctx.feed.name)
    records.insert(0, "file_id", file_id)
    return records


def _append(ctx, table: str, rows: pa.Table | pd.DataFrame) -> None:
    """Append rows to a table, matching columns by name. Through a relation, not `register`: a registered
    object stays referenced until the transaction ends, and a large file is one transaction of many parts."""
    schema, name = table.split(".")
    order = [c for (c,) in ctx.con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, name]).fetchall()]
    if isinstance(rows, pd.DataFrame):
        rows = pa.Table.from_pandas(rows, preserve_index=False)
    missing = [c for c in order if c not in rows.column_names]
    if missing:
        raise ValueError(f"{table}: no values for {missing}")
    ctx.con.from_arrow(rows.select(order)).insert_into(table)


def _insert_quarantine(ctx, file_id, path, raw, frame, decisions: RowDecisions) -> None:
    records = issue_records(frame, ctx.feed, decisions.rejected)
    if records is None:
        return
    records = _located(records, ctx, file_id, path)
    raw_rows = {idx: _raw_row(raw, idx) for idx in decisions.rejected}
    records["raw_row"] = [raw_rows[idx] for idx, found in decisions.rejected.items() for _ in found]
    records["run_id"] = ctx.run_id
    _append(ctx, "audit.quarantine", records)


def _insert_flags(ctx, file_id, path, frame, decisions: RowDecisions) -> None:
    records = issue_records(frame, ctx.feed, decisions.flagged)
    if records is None:
        return
    records = _located(records, ctx, file_id, path)
    records["run_id"] = ctx.run_id
    _append(ctx, "audit.row_flags", records)


def _insert_rows(ctx, file_id: int, seq: int, frame: pd.DataFrame, decisions: RowDecisions) -> None:
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
        _append(ctx, f"raw.{ctx.feed.name}", rows)


def _insert_validations(ctx, file_id, path, outcomes) -> None:
    now = datetime.now()
    records = [
        (ctx.run_id, ctx.feed.name, file_id, path, f"{ctx.feed.name}.{level}", o.expectation, o.meta.get("column"),
         o.meta.get("rule"), o.severity, o.success,
         None if o.observed_value is None else json.dumps(o.observed_value, ensure_ascii=False, default=str),
         o.unexpected_count, now)
        for level, o in outcomes
    ]
    if records:
        ctx.con.executemany("INSERT INTO audit.validations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", records)


def _again(ctx: Context, landing_dir: Path, spec: str, *, status: str | None) -> list[FileResult]:
    """Process a file seen before once more: a held one to release it (status='held'), or any loaded or
    rejected one to reprocess it. `spec` is its path (as in audit.files), file_id or a sha256 prefix."""
    rows = ctx.con.execute(
        "SELECT file_id, path, sha256, delivery_seq, status FROM audit.files WHERE feed = ? "
        "AND status IN ('held', 'loaded', 'rejected') AND (? IS NULL OR status = ?) "
        "AND (path = ? OR CAST(file_id AS VARCHAR) = ? OR (length(?) >= 8 AND starts_with(sha256, ?)))",
        [ctx.feed.name, status, status, spec, spec, spec, spec],
    ).fetchall()
    results = []
    for file_id, relative, sha, seq, was in rows:
        path = landing_dir / relative
        gone = FileNotFoundError(f"{relative} is gone or changed since it was seen; deliver it again instead")
        if not path.is_file() or path.is_symlink():
            raise gone
        info = path.stat()
        cand = Candidate(path, relative, info.st_size, datetime.fromtimestamp(info.st_mtime))
        with _snapshot_of(ctx, cand, sha) as copy:
            if copy is None:
                raise gone
            log.info("%s %s (file_id %s, was %s)", "releasing" if status else "reprocessing", printable(relative), file_id,
                     was)
            results.append(process_file(ctx, copy, sha, file_id=file_id, delivery_seq=seq,
                                        releasing=status == "held"))
    return results
