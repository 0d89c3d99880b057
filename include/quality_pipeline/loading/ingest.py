"""Ingest a feed: every file not yet seen is read, validated with GX and published in one DuckDB transaction.

Per file, `loading.stage` (no warehouse): read → typed frame → exact duplicates dropped → row rules that need
no history (reject / flag) → staged; then here, on the writer: previous values and their rule (flag) →
batch suite (reject / hold) → one transaction writing the rows, the quarantine, the flags, the validation
results and the file's audit row. A file either lands whole or not at all. A file of a period-snapshot feed
also writes a tombstone for each key of the periods it restates that it no longer lists (docs/extracts.md).
This module keeps the flow; `loading.audit` reads and writes the audit tables, `loading.rows` writes raw.<feed>.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from quality_pipeline.feeds import PERIOD_SNAPSHOT, Feed, load_feed
from quality_pipeline.loading import audit, current, rows
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
    decide_batch,
    decide_rows,
    merge_outcomes,
)
from quality_pipeline.loading.stage import Staged, StagedPart, exact_duplicates, prepare, row_parameters
from quality_pipeline.parsing.reader import RawExtract
from quality_pipeline.region import Region, load_region
from quality_pipeline.settings import Settings, load_settings, memory_bytes
from quality_pipeline.terminal import printable
from quality_pipeline.validation import never_falls
from quality_pipeline.validation.gate import Validator, gate_for
from quality_pipeline.warehouse.transaction import transaction
from quality_pipeline.warehouse.writer import checkpoint, fault_point, write_session

log = logging.getLogger(__name__)
# DuckDB's buffer pool while a file read in parts is published: above this it evicts what is written and
# spills to its temporary folder. The queries over the whole file (its periods, its tombstones, its core rows)
# each take up to the limit, so it bounds the publish's peak, which no longer grows with the file
# (bench/results.md). A file read whole is published without the cap (spilling made its core refresh slower).
PUBLISH_MEMORY_LIMIT = "256MB"
__all__ = ["FileResult", "exact_duplicates", "ingest_feed", "process_file", "publish_staged", "row_parameters"]


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
    memory_limit: str | None = None  # DuckDB's on this connection, as set by the writer (`Settings.writer_memory_limit`)


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
                      released_by or Release(default_actor()), settings.writer_memory_limit)
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


def _record_ignored(ctx: Context, cand: Candidate) -> FileResult | None:
    """A file or folder no feed reads: recorded once as `ignored`, so the run needs attention instead of
    finishing green while the file waits unseen."""
    if audit.ignored_before(ctx.con, cand.relative, cand.refused):
        return None
    result = FileResult(ctx.feed.name, cand.relative, "ignored", ignored_reason(cand.refused))
    audit.write_file_row(ctx, cand, "ignored:" + cand.relative, result, reason_code=cand.refused)
    return result


def screen(ctx: Context, cand: Candidate) -> FileResult | str | None:
    """Settle what needs no reading: a refused or duplicate file is recorded and its result returned; a file
    to read gives its sha256; one seen before, or gone since discovery, gives None."""
    if cand.refused:
        seen, _ = audit.known(ctx.con, ctx.feed, cand.relative, None)
        if seen:
            return None
        zh, en = REFUSALS[cand.refused]
        result = FileResult(ctx.feed.name, cand.relative, "rejected", f"{zh} / {en}")
        audit.write_file_row(ctx, cand, "refused:" + cand.relative, result, reason_code=cand.refused)
        return result
    if audit.unchanged_since_seen(ctx.con, ctx.feed, cand):  # seen exactly so before: not hashed again
        return None
    try:
        sha = sha256_of(cand.path)
    except OSError as exc:  # removed or made unreadable since discovery: the next run sees it again
        log.warning("%s: %s; left for the next run", printable(cand.relative), printable(exc))
        return None
    return settle_known(ctx, cand, sha)


def settle_known(ctx: Context, cand: Candidate, sha: str) -> FileResult | str | None:
    """None when this path with these bytes was seen before; the recorded result when the bytes are those of
    another loaded or held file; else `sha` (the file is to be read)."""
    seen, duplicate_of = audit.known(ctx.con, ctx.feed, cand.relative, sha)
    if seen:  # hashed again (touched, copied over, or seen before its mtime and inode were recorded): record them
        _remember(ctx, cand, sha)
        return None
    if duplicate_of is not None:
        other, status = duplicate_of
        if status == "withdrawn":
            reason = (f"与已撤回的文件内容完全相同（file_id {other}），不再加载 / identical bytes to file {other}, "
                      "which was withdrawn; not loaded again")
        else:
            reason = f"与已收文件内容完全相同（file_id {other}） / identical bytes to file {other}"
        result = FileResult(ctx.feed.name, cand.relative, "duplicate", reason)
        audit.write_file_row(ctx, cand, sha, result, reason_code="identical", duplicate_of=other)
        _remember(ctx, cand, sha)
        return result
    return sha


def _remember(ctx: Context, cand: Candidate, sha: str) -> None:
    """Record the landing file's mtime (ns) and inode on its audit rows, so the next run need not hash it."""
    audit.remember_landing_file(ctx.con, ctx.feed.name, cand.relative, sha, cand.size, cand.mtime_ns, cand.inode)


def _ingest_candidate(ctx: Context, cand: Candidate) -> FileResult | None:
    """`screen`, with the file hashed once: a file to hash is copied to its private snapshot first, and the
    snapshot's hash (of exactly the bytes it holds, `take_snapshot`) decides whether it was seen before."""
    if cand.refused:
        return screen(ctx, cand)  # settled without reading it
    if audit.unchanged_since_seen(ctx.con, ctx.feed, cand):  # seen exactly so before: not hashed again
        return None
    try:
        snap = take_snapshot(cand, ctx.snapshots)
    except (FileChanged, OSError) as exc:
        log.warning("%s is still being written or gone: %s; left for the next run", printable(cand.relative),
                    printable(exc))
        return None
    with snap:
        sha = snap.sha256
        settled = settle_known(ctx, cand, sha)
        if not isinstance(settled, str):
            return settled
        copy = dataclasses.replace(cand, path=snap.path, size=snap.size)
        # the landing file's identity recorded in the file's own transaction, so the next run need not hash it
        return process_file(ctx, copy, sha, before_commit=lambda: _remember(ctx, cand, sha))


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
                 delivery_seq: int | None = None, releasing: bool = False,
                 before_commit: Callable[[], None] | None = None) -> FileResult:
    """Prepare (`loading.stage`) and publish one file in this process: what a DAG does in two tasks."""
    folder = Path(tempfile.mkdtemp(prefix="staged-", dir=_private(ctx.snapshots)))
    folder.rmdir()  # `prepare` creates it, refusing one that exists
    staged = prepare(cand, sha, ctx.feed, ctx.region, ctx.gate, ctx.today, folder, keep=True)
    try:
        return publish_staged(ctx, staged, file_id=file_id, delivery_seq=delivery_seq, releasing=releasing,
                              before_commit=before_commit)
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
    listed: list = dataclasses.field(default_factory=list)  # where every row's key is (snapshots): files, tables, frames
    staged: list | None = dataclasses.field(default_factory=list)  # SELECTs of the rows inserted (None: not all)
    registered: list = dataclasses.field(default_factory=list)  # names of kept parts' tables on the connection



def publish_staged(ctx: Context, staged: Staged, *, file_id: int | None = None, delivery_seq: int | None = None,
                   releasing: bool = False, before_commit: Callable[[], None] | None = None) -> FileResult:
    """Everything about one staged file in one transaction: it lands whole or not at all. `before_commit`
    writes whatever else belongs to the file (its landing file's identity) in the same transaction: on a
    DuckLake catalog each commit costs tens of milliseconds."""
    con, feed, cand, sha = ctx.con, ctx.feed, staged.candidate(), staged.sha256
    raw = staged.raw(feed)
    if staged.rejected:
        result = FileResult(feed.name, cand.relative, "rejected", staged.rejected["reason"])
        with transaction(con):
            audit.write_file_row(ctx, cand, sha, result, reason_code=staged.rejected["code"], file_id=file_id)
            if before_commit is not None:
                before_commit()
        return result
    with _memory_capped(con, staged.parts > 1, ctx.memory_limit):
        result = _publish(ctx, staged, raw, file_id, delivery_seq, releasing, before_commit)
        if staged.parts > 1:  # checkpointed under the cap: the session's last CHECKPOINT, under the writer's own
            checkpoint(con)  # limit, merged the parts' small row groups with far more (bench/results.md)
        return result


@contextmanager
def _memory_capped(con: duckdb.DuckDBPyConnection, capped: bool, limit: str | None = None) -> Iterator[None]:
    """DuckDB's memory limit set to PUBLISH_MEMORY_LIMIT within the block (when `capped`, and when the
    connection's own limit, `limit` if known, is above it); after, `limit` again exactly, or, not known, the
    value DuckDB displayed before (rounded to its display precision)."""
    if not capped or (limit is not None and memory_bytes(limit) <= memory_bytes(PUBLISH_MEMORY_LIMIT)):
        yield
        return
    before = limit or con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.execute(f"SET memory_limit = '{PUBLISH_MEMORY_LIMIT}'")
    try:
        yield
    finally:
        con.execute(f"SET memory_limit = '{before}'")


def _publish(ctx: Context, staged: Staged, raw: RawExtract, file_id: int | None, delivery_seq: int | None,
             releasing: bool, before_commit: Callable[[], None] | None = None) -> FileResult:
    totals = _Totals()
    try:
        return _publish_in(ctx, staged, raw, file_id, delivery_seq, releasing, before_commit, totals)
    finally:
        for name in totals.registered:
            ctx.con.unregister(name)


def _publish_in(ctx: Context, staged: Staged, raw: RawExtract, file_id: int | None, delivery_seq: int | None,
                releasing: bool, before_commit: Callable[[], None] | None, totals: _Totals) -> FileResult:
    con, feed, cand, sha = ctx.con, ctx.feed, staged.candidate(), staged.sha256
    with transaction(con):
        if file_id is not None:
            audit.delete_issues(con, file_id)
            rows.delete_rows(con, feed, file_id)
            current.refresh_file(con, feed, file_id)  # its earlier versions leave core.* before it is read
        new_id, seq = audit.next_ids(con, file_id, delivery_seq)
        snapshot = feed.delivery == PERIOD_SNAPSHOT
        whole = ctx.gate.has_rules(f"{feed.name}.rows", history=True)  # else the decided rows (and keys) suffice
        row_outcomes = [_check_and_insert(ctx, cand, staged.part(n, decided_only=not whole), new_id, seq, totals)
                        for n in range(staged.parts)]
        rows_read = staged.rows_read
        periods = rows.file_periods(con, feed, new_id) if snapshot else None
        restated = periods.keys if periods is not None else {}
        period_keys = rows.keys_per_period(con, feed, periods) if restated else {}  # core.* is still before this file
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
            rows.delete_rows(con, feed, new_id)
            audit.delete_issues(con, new_id, quarantine=False)
        elif restated:
            withdrawn = rows.write_tombstones(ctx, new_id, seq, periods, totals.listed)
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
        details = {"restated_periods": restated, "keys_withdrawn": withdrawn} if snapshot else {}
        audit.write_file_row(ctx, cand, sha, result, reason_code=batch.reason_code, raw=raw, file_id=new_id,
                        delivery_seq=kept_seq, details=details)
        if releasing:
            from quality_pipeline.loading.decisions import RELEASED, record

            audit.mark_released(con, new_id, ctx.run_id)
            who = ctx.released_by or Release(default_actor())
            record(con, new_id, RELEASED, actor=who.actor, run_id=ctx.run_id, reason=who.reason)
        outcomes = [("rows", o) for o in merge_outcomes(row_outcomes)] + [("batch", o) for o in batch_outcomes]
        audit.insert_validations(ctx, new_id, cand.relative, outcomes)
        # core.<feed> and marts.dirty_quarters, in this transaction; a file read whole gives the SELECT of its
        # rows from its staged Parquet file (read in parallel, where its uncommitted raw rows are not)
        current.refresh_file(con, feed, new_id, staged=totals.staged if staged.parts == 1 else None)
        if before_commit is not None:
            before_commit()
        fault_point("before_commit")
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
        # where the part's keys are, not the keys: a large file's keys held until its tombstones grew with it
        where = part.path if part.path is not None else part.table
        totals.listed.append(where if where is not None else unique[list(ctx.feed.key)].dropna())
    audit.insert_quarantine(ctx, file_id, cand.relative, part.raw_rows, unique, decisions, totals.sample)
    if part.path is not None or part.table is not None:
        if part.table is not None:
            name = f"kept_part_{len(totals.registered)}"
            totals.registered.append(name)
            inserted = rows.insert_kept(ctx, file_id, seq, part.table, name)
        else:
            inserted = rows.insert_staged(ctx, file_id, seq, part.path, decisions.rejected)
        if totals.staged is not None:
            totals.staged.append(inserted)
    else:
        rows.insert_rows(ctx, file_id, seq, unique, decisions)
        totals.staged = None
    audit.insert_flags(ctx, file_id, cand.relative, unique, decisions)
    return outcomes


def _with_previous_values(ctx: Context, frame: pd.DataFrame) -> pd.DataFrame:
    """For cumulative columns, the value of the previous report month (this file or the warehouse)."""
    return never_falls.previous_values(ctx.con, ctx.feed, frame)


def _columns_dropped(ctx: Context, raw: RawExtract) -> int:
    """Header columns the feed's latest loaded delivery had that this file lacks."""
    previous = audit.latest_columns(ctx.con, ctx.feed)
    return len(previous - set(raw.header)) if previous else 0


def period_shrink(restated: dict[str, int], before: dict[str, int]) -> dict | None:
    """The restated period that shrinks most against the keys it had (`keys_vs_period` = file keys / keys
    before), with the names the hold reason uses; None when the file restates no period that had keys."""
    ratios = [(restated[p] / before[p], p) for p in sorted(restated) if before.get(p)]
    if not ratios:
        return None
    ratio, period = min(ratios)
    return {"keys_vs_period": ratio, "period": period, "file_keys": restated[period], "period_keys": before[period]}


def _again(ctx: Context, landing_dir: Path, spec: str, *, status: str | None) -> list[FileResult]:
    """Process a file seen before once more: a held one to release it (status='held'), or any loaded or
    rejected one to reprocess it. `spec` is its path (as in audit.files), file_id or a sha256 prefix."""
    results = []
    for file_id, relative, sha, seq, was in audit.seen_files(ctx, spec, status=status):
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
