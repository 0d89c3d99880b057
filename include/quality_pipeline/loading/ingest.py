"""Ingest a feed: every file not yet seen is read, validated with GX and published in one DuckDB transaction.

Per file, `loading.stage` (no warehouse): read → typed frame → exact duplicates dropped → row rules that need
no history (reject / flag) → staged; then here, on the writer: previous values and their rule (flag) →
batch suite (reject / hold) → one transaction writing the rows, the quarantine, the flags, the validation
results and the file's audit row. A file either lands whole or not at all. A file of a period-snapshot feed
also writes a tombstone for each key of the periods it restates that it no longer lists (docs/extracts.md).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
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
from quality_pipeline.loading.stage import Staged, StagedPart, exact_duplicates, prepare, row_parameters
from quality_pipeline.parsing.frame import EXTRA_COLUMN, ROW_COLUMN, SHEET_COLUMN
from quality_pipeline.parsing.reader import RawExtract
from quality_pipeline.region import Region, load_region
from quality_pipeline.settings import Settings, load_settings
from quality_pipeline.terminal import printable
from quality_pipeline.validation import never_falls
from quality_pipeline.validation.gate import Validator, gate_for
from quality_pipeline.warehouse.writer import fault_point, write_session

log = logging.getLogger(__name__)
__all__ = ["FileResult", "exact_duplicates", "ingest_feed", "process_file", "publish_staged", "row_parameters"]
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
    rejected_sample: list = dataclasses.field(default_factory=list)  # a few rejected rows (row, column, reason, value)


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
    gate: Validator
    feed: Feed
    region: Region
    run_id: str
    today: date
    snapshots: Path | None = None  # private folder for the copies that are hashed and parsed
    released_by: Release | None = None


def ingest_feed(feed_name: str, *, run_id: str, settings: Settings | None = None, gate: Validator | None = None,
                release: tuple[str, ...] = (), reprocess: tuple[str, ...] = (),
                today: date | None = None, released_by: Release | None = None) -> list[FileResult]:
    """Process every new file of the feed, then any held file named in `release` (the decision recorded as
    `released_by`, by default the user running the process) and any seen file named in `reprocess` (read
    again from the landing folder, replacing what it delivered); publish once at the end."""
    settings = settings or load_settings()
    feed = load_feed(feed_name)
    region = load_region(settings.region_file)
    if gate is None:
        gate = gate_for(settings, feed_name)
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


def screen(ctx: Context, cand: Candidate) -> FileResult | str | None:
    """Settle what needs no reading: a refused or duplicate file is recorded and its result returned; a file
    to read gives its sha256; one seen before, or gone since discovery, gives None."""
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
    return settle_known(ctx, cand, sha)


def settle_known(ctx: Context, cand: Candidate, sha: str) -> FileResult | str | None:
    """None when this path with these bytes was seen before; the recorded result when the bytes are those of
    another loaded or held file; else `sha` (the file is to be read)."""
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
    return sha


def _ingest_candidate(ctx: Context, cand: Candidate) -> FileResult | None:
    screened = screen(ctx, cand)
    if not isinstance(screened, str):
        return screened
    with _snapshot_of(ctx, cand, screened) as copy:
        if copy is None:
            log.warning("%s: left for the next run", printable(cand.relative))
            return None
        return process_file(ctx, copy, screened)


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
    """Prepare (`loading.stage`) and publish one file in this process: what a DAG does in two tasks."""
    folder = Path(tempfile.mkdtemp(prefix="staged-", dir=_private(ctx.snapshots)))
    folder.rmdir()  # `prepare` creates it, refusing one that exists
    staged = prepare(cand, sha, ctx.feed, ctx.region, ctx.gate, ctx.today, folder)
    try:
        return publish_staged(ctx, staged, file_id=file_id, delivery_seq=delivery_seq, releasing=releasing)
    finally:
        staged.remove()


def _private(directory: Path | None) -> Path | None:
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory


@dataclass
class _Totals:
    rejected: int = 0
    flagged: int = 0
    sample: list = dataclasses.field(default_factory=list)  # a few rejected rows, for the person who decides
    listed: list = dataclasses.field(default_factory=list)  # key columns of every row with a key (snapshots)


SAMPLE_ROWS = 5


def publish_staged(ctx: Context, staged: Staged, *, file_id: int | None = None, delivery_seq: int | None = None,
                   releasing: bool = False) -> FileResult:
    """Everything about one staged file in one transaction: it lands whole or not at all."""
    con, feed, cand, sha = ctx.con, ctx.feed, staged.candidate(), staged.sha256
    raw = staged.raw(feed)
    if staged.rejected:
        result = FileResult(feed.name, cand.relative, "rejected", staged.rejected["reason"])
        _write_file_row(ctx, cand, sha, result, reason_code=staged.rejected["code"], file_id=file_id)
        return result
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
        totals = _Totals()
        row_outcomes = [_check_and_insert(ctx, cand, staged.part(n), new_id, seq, totals) for n in range(staged.parts)]
        rows_read = staged.rows_read
        restated = _restated_periods(ctx, new_id) if snapshot else {}
        shrink = period_shrink(restated, period_keys)
        summary = pd.DataFrame([{
            "rows_read": rows_read,
            "rejected_share": totals.rejected / rows_read if rows_read else 0.0,
            "keys_vs_period": shrink["keys_vs_period"] if shrink else None,
            "columns_dropped": _columns_dropped(ctx, raw),
            "sheet_conflicts": staged.sheet_conflicts,
        }])
        batch_outcomes = ctx.gate.validate(f"{feed.name}.batch", summary, {})
        batch = decide_batch(batch_outcomes, releasing=releasing, parameters=shrink)
        withdrawn = 0
        if batch.status != "loaded":  # held or rejected as a whole: nothing of it is published
            con.execute(f"DELETE FROM raw.{feed.name} WHERE _file_id = ?", [new_id])  # noqa: S608
            con.execute("DELETE FROM audit.row_flags WHERE file_id = ?", [new_id])
        elif restated:
            withdrawn = _write_tombstones(ctx, new_id, seq, sorted(restated), totals.listed)
        valid = rows_read - staged.duplicates - totals.rejected
        result = FileResult(
            feed.name, cand.relative, batch.status, batch.reason, rows_read=rows_read,
            rows_loaded=valid if batch.status == "loaded" else 0,
            rows_held=valid if batch.status == "held" else 0,
            rows_rejected=totals.rejected + (valid if batch.status == "rejected" else 0),
            duplicates_dropped=staged.duplicates,
            rows_flagged=totals.flagged if batch.status == "loaded" else 0,
            keys_withdrawn=withdrawn,
            rejected_sample=totals.sample,
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


def _check_and_insert(ctx: Context, cand: Candidate, part: StagedPart, file_id: int, seq: int,
                      totals: _Totals) -> list:
    """One staged part: the rules that need history run on it with its previous values, then its quarantine,
    rows and flags are inserted. Returns the outcomes of every row rule on the part."""
    unique, decisions, outcomes = part.frame, part.decisions, list(part.outcomes)
    suite = f"{ctx.feed.name}.rows"
    if ctx.gate.has_rules(suite, history=True):
        unique = _with_previous_values(ctx, unique)
        params = row_parameters(ctx.region, ctx.today)
        later = ctx.gate.validate(suite, unique, params, history=True)
        for idx, found in decide_rows(later, params).flagged.items():
            if idx not in decisions.rejected:
                decisions.flagged[idx].extend(found)
        outcomes.extend(later)
    totals.rejected += len(decisions.rejected)
    totals.flagged += len(decisions.flagged)
    if ctx.feed.delivery == PERIOD_SNAPSHOT:
        totals.listed.append(unique[list(ctx.feed.key)].dropna())
    _insert_quarantine(ctx, file_id, cand.relative, part.raw_rows, unique, decisions, totals)
    _insert_rows(ctx, file_id, seq, unique, decisions)
    _insert_flags(ctx, file_id, cand.relative, unique, decisions)
    return outcomes


def _with_previous_values(ctx: Context, frame: pd.DataFrame) -> pd.DataFrame:
    """For cumulative columns, the value of the previous report month (this file or the warehouse)."""
    return never_falls.previous_values(ctx.con, ctx.feed, frame)


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
    if raw.generated_by:
        meta["generated_by"] = raw.generated_by
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


def _insert_quarantine(ctx, file_id, path, raw_rows: dict[int, str], frame, decisions: RowDecisions,
                       totals: _Totals) -> None:
    records = issue_records(frame, ctx.feed, decisions.rejected)
    if records is None:
        return
    if len(totals.sample) < SAMPLE_ROWS:
        picked = records[["row_number", "column", "reason", "value"]].head(SAMPLE_ROWS - len(totals.sample))
        totals.sample.extend(json.loads(picked.to_json(orient="records", force_ascii=False)))
    records = _located(records, ctx, file_id, path)
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
    results = []
    for file_id, relative, sha, seq, was in seen_files(ctx, spec, status=status):
        cand = landing_candidate(landing_dir, relative)
        with _snapshot_of(ctx, cand, sha) as copy:
            if copy is None:
                raise Gone(relative)
            log.info("%s %s (file_id %s, was %s)", "releasing" if status else "reprocessing", printable(relative), file_id,
                     was)
            results.append(process_file(ctx, copy, sha, file_id=file_id, delivery_seq=seq,
                                        releasing=status == "held"))
    return results


class Gone(FileNotFoundError):
    def __init__(self, relative: str):
        super().__init__(f"{relative} is gone or changed since it was seen; deliver it again instead")


def landing_candidate(landing_dir: Path, relative: str) -> Candidate:
    """A file seen before, as it is in the landing folder now (`Gone` when it is not a regular file there)."""
    path = landing_dir / relative
    if not path.is_file() or path.is_symlink():
        raise Gone(relative)
    info = path.stat()
    return Candidate(path, relative, info.st_size, datetime.fromtimestamp(info.st_mtime))


def seen_files(ctx: Context, spec: str, *, status: str | None) -> list[tuple]:
    """(file_id, path, sha256, delivery_seq, status) of the feed's files matching `spec` (path, file_id or a
    sha256 prefix of at least 8), held ones only with `status` 'held'."""
    return ctx.con.execute(
        "SELECT file_id, path, sha256, delivery_seq, status FROM audit.files WHERE feed = ? "
        "AND status IN ('held', 'loaded', 'rejected') AND (? IS NULL OR status = ?) "
        "AND (path = ? OR CAST(file_id AS VARCHAR) = ? OR (length(?) >= 8 AND starts_with(sha256, ?)))",
        [ctx.feed.name, status, status, spec, spec, spec, spec],
    ).fetchall()
