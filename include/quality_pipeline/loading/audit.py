"""Access to the audit tables for one feed's files: which files were seen, each file's row in audit.files,
its quarantined and flagged rows and its validation results. The per-file flow is `loading.ingest`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from quality_pipeline.loading.outcomes import RowDecisions, issue_records
from quality_pipeline.loading.rows import append
from quality_pipeline.parsing.reader import RawExtract
from quality_pipeline.sql_files import sql_file
from quality_pipeline.warehouse.sequences import DELIVERY_SEQ, FILE_ID, next_value, next_values

if TYPE_CHECKING:
    import duckdb

    from quality_pipeline.feeds import Feed
    from quality_pipeline.loading.discovery import Candidate
    from quality_pipeline.loading.ingest import Context, FileResult

# Identical bytes of these make a duplicate (a rejected file's bytes are read again under a new name).
DUPLICATE_OF = ("loaded", "held", "withdrawn")
SAMPLE_ROWS = 5  # rejected rows kept in a file's result, for the person who decides


def known(con: duckdb.DuckDBPyConnection, feed: Feed, relative: str,
          sha: str | None) -> tuple[bool, tuple[int, str] | None]:
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
    other = con.execute(sql_file(__file__, "duplicate_of"), [feed.name, sha, list(DUPLICATE_OF)]).fetchone()
    return False, other


def committed_in_run(con: duckdb.DuckDBPyConnection, feed: str, relative: str, sha: str, run_id: str) -> dict | None:
    """The result (as `FileResult` fields) of this path and bytes as run `run_id` committed it, from its
    audit.files row; None when that run committed no such row. The rows it rejected are not kept there:
    `rejected_sample` is empty."""
    row = con.execute("SELECT status, reason, rows_read, rows_loaded, rows_held, rows_rejected, duplicates_dropped, "
                      "rows_flagged, details FROM audit.files WHERE feed = ? AND path = ? AND sha256 = ? AND run_id = ? "
                      "ORDER BY file_id DESC LIMIT 1", [feed, relative, sha, run_id]).fetchone()
    if row is None:
        return None
    status, reason, read, loaded, held, rejected, duplicates, flagged, details = row
    withdrawn = (json.loads(details) if details else {}).get("keys_withdrawn", 0)
    return {"feed": feed, "path": relative, "status": status, "reason": reason, "rows_read": read or 0,
            "rows_loaded": loaded or 0, "rows_held": held or 0, "rows_rejected": rejected or 0,
            "duplicates_dropped": duplicates or 0, "rows_flagged": flagged or 0, "keys_withdrawn": withdrawn,
            "rejected_sample": []}


def unchanged_since_seen(con: duckdb.DuckDBPyConnection, feed: Feed, cand: Candidate) -> bool:
    """Whether this path was seen with exactly this size, modification time (ns) and inode: its bytes are those
    recorded, so it is not hashed again. A candidate without them (not from the landing folder) never is."""
    if cand.mtime_ns is None or cand.inode is None:
        return False
    return bool(con.execute(sql_file(__file__, "unchanged_since_seen"),
                            [feed.name, cand.relative, cand.size, cand.mtime_ns, cand.inode]).fetchone()[0])


def remember_landing_file(con: duckdb.DuckDBPyConnection, feed: str, relative: str, sha: str, size: int,
                          mtime_ns: int | None, inode: int | None) -> None:
    """Record the landing file's modification time (ns) and inode on the audit rows of its path and bytes
    (nothing is written when they already say so, or when they are not known)."""
    if mtime_ns is None or inode is None:
        return
    con.execute(sql_file(__file__, "remember_landing_file"),
                [mtime_ns, inode, feed, relative, sha, size, mtime_ns, inode])


def ignored_before(con: duckdb.DuckDBPyConnection, relative: str, reason_code: str | None) -> bool:
    """Whether a file or folder no feed reads was already recorded as `ignored` for the same reason."""
    return bool(con.execute("SELECT count(*) FROM audit.files WHERE path = ? AND status = 'ignored' "
                            "AND reason_code = ?", [relative, reason_code]).fetchone()[0])


def seen_files(ctx: Context, spec: str, *, status: str | None) -> list[tuple]:
    """(file_id, path, sha256, delivery_seq, status) of the feed's files matching `spec` (path, file_id or a
    sha256 prefix of at least 8), held ones only with `status` 'held'."""
    return ctx.con.execute(sql_file(__file__, "seen_files"),
                           [ctx.feed.name, status, status, spec, spec, spec, spec]).fetchall()


def latest_columns(con: duckdb.DuckDBPyConnection, feed: Feed) -> set[str] | None:
    """The header columns of the feed's latest loaded delivery (None when there is none or it kept none)."""
    previous = con.execute(
        "SELECT details FROM audit.files WHERE feed = ? AND status = 'loaded' ORDER BY delivery_seq DESC LIMIT 1",
        [feed.name],
    ).fetchone()
    if not previous or not previous[0]:
        return None
    return set(json.loads(previous[0]).get("columns", []))


def next_file_id(con: duckdb.DuckDBPyConnection) -> int:
    return next_value(con, FILE_ID)


def next_delivery_seq(con: duckdb.DuckDBPyConnection) -> int:
    return next_value(con, DELIVERY_SEQ)


def next_ids(con: duckdb.DuckDBPyConnection, file_id: int | None, delivery_seq: int | None) -> tuple[int, int]:
    """(file_id, delivery_seq): each the one given, else the next of its sequence (both stepped at once)."""
    wanted = [name for name, given in ((FILE_ID, file_id), (DELIVERY_SEQ, delivery_seq)) if given is None]
    stepped = dict(zip(wanted, next_values(con, *wanted), strict=True)) if wanted else {}
    return (file_id if file_id is not None else stepped[FILE_ID],
            delivery_seq if delivery_seq is not None else stepped[DELIVERY_SEQ])


def mark_released(con: duckdb.DuckDBPyConnection, file_id: int, run_id: str) -> None:
    con.execute("UPDATE audit.files SET released_run_id = ? WHERE file_id = ?", [run_id, file_id])


def delete_issues(con: duckdb.DuckDBPyConnection, file_id: int, *, quarantine: bool = True) -> None:
    """Remove a file's flagged rows (and, unless told not to, its quarantined rows)."""
    if quarantine:
        con.execute("DELETE FROM audit.quarantine WHERE file_id = ?", [file_id])
    con.execute("DELETE FROM audit.row_flags WHERE file_id = ?", [file_id])


def file_meta(raw: RawExtract | None, extra: dict | None = None) -> str | None:
    """The `details` JSON of a file's audit row: sheets, header columns, skipped lines and what else is said."""
    if raw is None:
        return None
    meta = {"sheets": raw.sheets, "columns": sorted(raw.header), "skipped": raw.skipped}
    if raw.skipped_sheets:
        meta["skipped_sheets"] = raw.skipped_sheets
    if raw.generated_by:
        meta["generated_by"] = raw.generated_by
    meta.update(extra or {})
    return json.dumps(meta, ensure_ascii=False)


def write_file_row(ctx: Context, cand: Candidate, sha: str, result: FileResult, *, reason_code: str | None,
                   raw: RawExtract | None = None, file_id: int | None = None, delivery_seq: int | None = None,
                   duplicate_of: int | None = None, details: dict | None = None) -> int:
    """Write (or replace, given `file_id`) the file's row in audit.files; returns its file_id."""
    con = ctx.con
    if file_id is not None:
        con.execute("DELETE FROM audit.files WHERE file_id = ?", [file_id])
    else:
        file_id = next_file_id(con)
    if delivery_seq is None and result.status in ("loaded", "held"):
        delivery_seq = next_delivery_seq(con)
    con.execute(
        sql_file(__file__, "insert_file_row"),
        [file_id, ctx.feed.name, cand.relative, sha, cand.size, cand.modified_at, result.status, result.reason,
         reason_code, result.rows_read, result.rows_loaded, result.rows_held, result.rows_rejected,
         result.duplicates_dropped, result.rows_flagged, raw.rows_skipped if raw else 0,
         raw.encoding if raw else None, file_meta(raw, details), delivery_seq, duplicate_of,
         ctx.run_id, None, datetime.now()],
    )
    return file_id


def _located(records: pd.DataFrame, ctx: Context, file_id: int, path: str) -> pd.DataFrame:
    records.insert(0, "path", path)
    records.insert(0, "feed", ctx.feed.name)
    records.insert(0, "file_id", file_id)
    records["run_id"] = ctx.run_id
    return records


def insert_quarantine(ctx: Context, file_id: int, path: str, raw_rows: dict[int, str], frame: pd.DataFrame,
                      decisions: RowDecisions, sample: list) -> None:
    """The rejected rows of a part into audit.quarantine, the first few also into `sample`."""
    records = issue_records(frame, ctx.feed, decisions.rejected)
    if records is None:
        return
    if len(sample) < SAMPLE_ROWS:
        picked = records[["row_number", "column", "reason", "value"]].head(SAMPLE_ROWS - len(sample))
        sample.extend(json.loads(picked.to_json(orient="records", force_ascii=False)))
    records = _located(records, ctx, file_id, path)
    records["raw_row"] = [raw_rows[idx] for idx, found in decisions.rejected.items() for _ in found]
    append(ctx.con, "audit.quarantine", records)


def insert_flags(ctx: Context, file_id: int, path: str, frame: pd.DataFrame, decisions: RowDecisions) -> None:
    """The flagged rows of a part into audit.row_flags."""
    records = issue_records(frame, ctx.feed, decisions.flagged)
    if records is None:
        return
    append(ctx.con, "audit.row_flags", _located(records, ctx, file_id, path))


def insert_validations(ctx: Context, file_id: int, path: str, outcomes: list) -> None:
    """Every row and batch rule's outcome on the file into audit.validations."""
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
