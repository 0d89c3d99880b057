"""The warehouse-free half of a file's work: read, type, drop exact duplicates, run the row rules that need no
history, and stage the outcome in a private folder for the writer to publish (`loading.ingest`).

Runs anywhere (in parallel with other files); the writer only adds what needs the warehouse: previous values
and their rule (`suites.HISTORY_RULES`), the batch suite (it compares with the previous delivery) and the
one transaction. A staged file is a folder: `manifest.json`, and per part `part-N.parquet` (the unique typed
rows, the frame's index in the column `__index`, whether the row was rejected in `__rejected`), `part-N-decided.parquet` (its rejected and flagged rows alone)
and `part-N.json` (the row decisions, the rejected rows as written, the outcomes). The writer inserts a part's rows straight from its Parquet file (`rows.insert_staged`)
and reads back into pandas only the rows it needs. A file prepared and published in one process
(`ingest.process_file`) and read in one part keeps that part in memory instead (`Staged.kept`): the same
table, decisions and outcomes, inserted from the table (`rows.insert_kept`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import functools
import gc
import json
import shutil
import threading
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from quality_pipeline.feeds import Feed
from quality_pipeline.loading.discovery import Candidate
from quality_pipeline.loading.outcomes import Issue, RowDecisions, decide_rows
from quality_pipeline.loading.partitions import KeyPartitions, parts_for
from quality_pipeline.loading.rows import REJECTED_COLUMN, ROW_GROUP
from quality_pipeline.parsing.coerce import typed_columns
from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.frame import (
    EXTRA_COLUMN,
    ROW_COLUMN,
    SHEET_COLUMN,
    ArrowTwins,
    RawExtract,
    decoded_type,
)
from quality_pipeline.parsing.reader import read_extract
from quality_pipeline.region import Region
from quality_pipeline.validation.gate import Outcome

MANIFEST = "manifest.json"
INDEX_COLUMN = "__index"  # the frame's index, which the decisions name rows by


@dataclass
class Staged:
    """What `prepare` leaves for the writer: the file's identity, how its reading went, and its parts."""

    folder: Path
    feed: str
    relative: str
    sha256: str
    size: int
    modified_at: str  # ISO
    rejected: dict | None = None  # {"reason", "code"}: the file could not be read as the feed
    meta: dict = field(default_factory=dict)  # header, sheets, encoding, rows_skipped, skipped, skipped_sheets
    rows_read: int = 0
    duplicates: int = 0
    sheet_conflicts: int = 0
    parts: int = 0
    # Parts kept in memory instead of written (`prepare(..., keep=True)`: a file prepared and published in one
    # process), by number; never saved, so a folder loaded again (`load_staged`) has only its files
    kept: dict[int, KeptPart] = field(default_factory=dict, repr=False, compare=False)

    def candidate(self) -> Candidate:
        return Candidate(self.folder, self.relative, self.size, datetime.fromisoformat(self.modified_at))

    def raw(self, feed: Feed) -> RawExtract:
        """The file's reading as `RawExtract` without its rows (they are in the parts)."""
        m = self.meta
        return RawExtract(feed, pd.DataFrame(), m.get("header", {}), {}, m.get("sheets", []), m.get("encoding"),
                          m.get("rows_skipped", 0), m.get("skipped", {}), skipped_sheets=m.get("skipped_sheets", []),
                          generated_by=m.get("generated_by"))

    def part_path(self, n: int) -> Path:
        return self.folder / f"part-{n}.parquet"

    def decided_path(self, n: int) -> Path:
        """Part `n`'s rejected and flagged rows alone (what the writer reads back into pandas)."""
        return self.folder / f"part-{n}-decided.parquet"

    def part(self, n: int, *, decided_only: bool = False) -> StagedPart:
        """Part `n`; with `decided_only`, its frame holds only the rows rejected or flagged (what the quarantine
        and the flags read), the others staying in the Parquet file for `rows.insert_staged`."""
        if n in self.kept:
            kept = self.kept[n]
            rows = {*kept.decisions.rejected, *kept.decisions.flagged} if decided_only else None
            return StagedPart(_frame_of(kept.table, rows), kept.decisions, kept.raw_rows, kept.outcomes,
                              partial=decided_only, table=kept.table)
        data = json.loads((self.folder / f"part-{n}.json").read_text(encoding="utf-8"))
        decisions = _decisions_from(data)
        path = self.part_path(n)
        if INDEX_COLUMN not in pq.read_schema(path).names:  # staged by an older version: read whole, insert as frame
            path, decided_only = None, False
        rows = {*decisions.rejected, *decisions.flagged} if decided_only else None
        source = self.part_path(n)
        if decided_only and self.decided_path(n).exists():  # staged with its decided rows apart: read only them
            source = self.decided_path(n)
        return StagedPart(_read_frame(source, rows), decisions,
                          {int(k): v for k, v in data["raw_rows"].items()}, [Outcome(**o) for o in data["outcomes"]],
                          path, partial=decided_only)

    def save(self) -> None:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("folder", "kept")}
        (self.folder / MANIFEST).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def load_staged(folder: Path) -> Staged:
    data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    return Staged(folder=Path(folder), **data)


@dataclass
class StagedPart:
    frame: pd.DataFrame  # unique typed rows, index as when validated
    decisions: RowDecisions
    raw_rows: dict[int, str]  # rejected rows as written (JSON), for the quarantine
    outcomes: list[Outcome]  # of the rules without history
    path: Path | None = None  # the Parquet file of every unique row (None: `table`, or else insert `frame`)
    partial: bool = False  # `frame` holds only the rejected and flagged rows
    table: pa.Table | None = None  # a part kept in memory: every unique row, as its Parquet file would hold them


@dataclass
class KeptPart:
    """A part kept in memory: the table its Parquet file would hold (`part_table`), its columns with twins
    still dictionary-encoded (`_decoded` gives the file's table: no decoded copy of a million rows is made, and
    DuckDB inserts the dictionaries as they are), and what its JSON would hold."""

    table: pa.Table
    decisions: RowDecisions
    raw_rows: dict[int, str]
    outcomes: list[Outcome]


def prepare(cand: Candidate, sha: str, feed: Feed, region: Region, gate, today: date, folder: Path, *,
            keep: bool = False) -> Staged:
    """Read `cand` (a private snapshot whose bytes hash to `sha`) and stage it in `folder` (created, private).

    With `keep` (the caller publishes it in this process, `ingest.process_file`), a file read in one part keeps
    that part in memory (`Staged.kept`) instead of writing it: its Parquet file would be read once, by this
    process, and writing it cost more than GX's run beside it (bench/results.md). A file read in parts is
    written part by part all the same: one part in memory at a time."""
    folder.mkdir(parents=True, exist_ok=False, mode=0o700)
    staged = Staged(folder, feed.name, cand.relative, sha, cand.size, cand.modified_at.isoformat())
    n_parts = parts_for(cand.size, cand.path.suffix)
    keep = keep and n_parts == 1
    with KeyPartitions(n_parts, feed, region, folder) if n_parts > 1 else nullcontext() as parts:
        try:
            raw = read_extract(cand.path, feed, sink=parts)
        except ExtractRejected as exc:
            staged.rejected = {"reason": exc.reason, "code": exc.code}
            staged.save()
            return staged
        if parts is not None:  # the reader's frame is empty, but its columns are views of the reader's last
            # batches (arrays sized for two hand-overs, and the cells they hold): not kept while the parts are staged
            raw = dataclasses.replace(raw, frame=raw.frame.iloc[:0].copy())
        staged.meta = {"header": raw.header, "sheets": raw.sheets, "encoding": raw.encoding,
                       "rows_skipped": raw.rows_skipped, "skipped": raw.skipped, "skipped_sheets": raw.skipped_sheets,
                       "generated_by": raw.generated_by}
        pieces = parts.frames() if parts is not None else iter([raw.frame])
        for piece in pieces:
            _prepare_part(staged, dataclasses.replace(raw, frame=piece), feed, region, gate, today, keep=keep)
            del piece  # before the next part is read: one part in memory at a time
            give_back_memory(collect=parts is not None)
        if not staged.parts:  # no data rows: the suite still runs, on the empty frame, and is recorded
            _prepare_part(staged, raw, feed, region, gate, today, keep=keep)
    staged.save()
    del raw
    give_back_memory()  # what reading and typing the file took, before the writer publishes it
    return staged


def give_back_memory(*, collect: bool = False) -> None:
    """Return the memory of the frames just dropped to the system: Arrow's pool keeps freed buffers and glibc's
    malloc keeps freed heap pages of Python objects (a part's cells), so the process's RSS would stay at its
    largest part while DuckDB then grows beside it when the file is published.

    With `collect` (after each part of a file read in parts), garbage is collected first: a part's validation
    leaves garbage in reference cycles (GX's results and metrics around the frame they saw) that only a
    collection frees, and left to whenever allocations trigger a full pass, the 5M-row file's peak moved by
    75-150 MB with how many objects the steps before happened to make (bench/results.md). Not for the small
    files of a night: a task process holds Airflow's objects too, and a full pass per file would walk them."""
    if collect:
        gc.collect()
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim, looked up once per process (find_library runs `ldconfig -p` in a child process);
    None where the C library has none (not glibc: nothing to trim)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _prepare_part(staged: Staged, raw: RawExtract, feed: Feed, region: Region, gate, today: date, *,
                  keep: bool = False) -> None:
    frame, twins = typed_columns(raw, region)
    duplicate = exact_duplicates(raw)
    unique = frame
    if duplicate.any():  # a boolean selection copies every column
        unique = frame[~duplicate]
        kept = pa.array(~np.asarray(duplicate, dtype=bool))
        twins = {name: twin.filter(kept) for name, twin in twins.items()}
    params = row_parameters(region, today)
    n = staged.parts
    writing = None if keep else _PartWriter(staged, n, unique, twins)
    try:
        outcomes = gate.validate_rows(f"{feed.name}.rows", unique, params, history=False,
                                      on_fast_verdict=None if writing is None else writing.start,
                                      twins=ArrowTwins(unique, twins))
        decisions = decide_rows(outcomes, params)
    finally:
        if writing is not None:
            writing.join()
    staged.rows_read += len(frame)
    staged.duplicates += int(duplicate.sum())
    staged.sheet_conflicts += sheet_conflicts(unique, feed)
    rejected_rows = dict(zip(decisions.rejected, raw_rows(raw, list(decisions.rejected)), strict=True))
    outcomes_json = [_outcome_json(o) for o in outcomes]
    if writing is None:  # kept: its twins still encoded, the outcomes as read back from the JSON they would be
        outcomes_back = json.loads(json.dumps(outcomes_json, ensure_ascii=False, default=str))
        staged.kept[n] = KeptPart(part_table(unique, decisions, twins, decode=False), decisions, rejected_rows,
                                  [Outcome(**o) for o in outcomes_back])
    else:
        writing.finish(decisions)
        data = {"rejected": _issues_json(decisions.rejected), "flagged": _issues_json(decisions.flagged),
                "raw_rows": {str(k): v for k, v in rejected_rows.items()}, "outcomes": outcomes_json}
        (staged.folder / f"part-{n}.json").write_text(json.dumps(data, ensure_ascii=False, default=str),
                                                      encoding="utf-8")
    staged.parts += 1


def write_part(staged: Staged, n: int, unique: pd.DataFrame, decisions: RowDecisions,
               twins: dict[str, pa.ChunkedArray] | None = None) -> None:
    """Part `n`'s unique rows as `part-N.parquet`, and its rejected and flagged rows alone as the decided file
    (`twins`: Arrow arrays of some of its columns, `parsing.frame.ArrowTwins`)."""
    # In DuckDB-row-group-sized groups: DuckDB reads one Parquet row group per thread (`rows.insert_staged`)
    table = part_table(unique, decisions, twins)
    pq.write_table(table, staged.part_path(n), row_group_size=ROW_GROUP)
    _write_decided(staged, n, table, unique, decisions)


def _write_decided(staged: Staged, n: int, table: pa.Table, unique: pd.DataFrame, decisions: RowDecisions) -> None:
    """Part `n`'s rejected and flagged rows alone (of `table`, the part as staged), the file the writer reads."""
    decided = np.flatnonzero(unique.index.isin([*decisions.rejected, *decisions.flagged]))
    pq.write_table(table.take(pa.array(decided, pa.int64())), staged.decided_path(n))


class _PartWriter:
    """Part `n`'s Parquet file, written while GX confirms fast_rules' verdicts (`Gate.validate_rows` calls
    `start` with them): Arrow's Parquet writer runs without the GIL, GX with it, so the file costs no time of
    its own. Which rows are rejected is guessed from fast_rules' masks (the rows of every rejecting rule);
    `finish` compares the guess with the decisions made from GX's outcomes and writes the file again, as
    `write_part` would, when they differ (GX disagreed, or the writing failed): what is staged is always what
    GX decided.

    With the reader's Arrow twins of the text columns (`parsing.frame.ArrowTwins`), the table is made at once
    and its twins decoded in a thread of their own while fast_rules run; without them, the frame is converted
    when the verdicts come (Python strings to Arrow: that takes the GIL wherever it runs)."""

    def __init__(self, staged: Staged, n: int, unique: pd.DataFrame, twins: dict[str, pa.ChunkedArray] | None = None):
        self.staged, self.n, self.unique, self.twins = staged, n, unique, twins
        self.table: pa.Table | None = None
        self.rejected: np.ndarray | None = None
        self.thread: threading.Thread | None = None
        self.decoding: threading.Thread | None = None
        self.error: BaseException | None = None
        if twins:
            self.table = _arrow(unique, twins, decode=False)
            self.decoding = threading.Thread(target=self._decode, name="stage-decode", daemon=True)
            self.decoding.start()

    def _decode(self) -> None:
        try:
            self.table = _decoded(self.table)
        except BaseException as exc:  # noqa: BLE001 - `finish` writes the file again, and raises what that raises
            self.error = exc

    def start(self, items: list[dict], masks: list[np.ndarray]) -> None:
        rejected = np.zeros(len(self.unique), dtype=bool)
        for item, mask in zip(items, masks, strict=True):
            if (item.get("meta") or {}).get("severity", "warn") == "reject":
                rejected |= mask
        self.rejected = rejected
        if self.decoding is None:
            self.table = _arrow(self.unique)
        self.thread = threading.Thread(target=self._write, name="stage-part", daemon=True)
        self.thread.start()

    def _write(self) -> None:
        try:
            if self.decoding is not None:
                self.decoding.join()
                if self.error is not None:
                    return
            self.table = self.table.append_column(REJECTED_COLUMN, pa.array(self.rejected))
            pq.write_table(self.table, self.staged.part_path(self.n), row_group_size=ROW_GROUP)
        except BaseException as exc:  # noqa: BLE001 - `finish` writes the file again, and raises what that raises
            self.error = exc

    def join(self) -> None:
        for thread in (self.thread, self.decoding):
            if thread is not None:
                thread.join()
        self.thread = self.decoding = None

    def finish(self, decisions: RowDecisions) -> None:
        """Write the part's files as `write_part` would, unless the thread wrote the right one."""
        self.join()
        rejected = self.unique.index.isin(list(decisions.rejected))
        if self.rejected is None or self.error is not None or not np.array_equal(rejected, self.rejected):
            write_part(self.staged, self.n, self.unique, decisions, self.twins)
            return
        _write_decided(self.staged, self.n, self.table, self.unique, decisions)


def part_table(unique: pd.DataFrame, decisions: RowDecisions, twins: dict[str, pa.ChunkedArray] | None = None, *,
               decode: bool = True) -> pa.Table:
    """A part's unique rows as staged: the frame's columns, its index in `__index`, and whether each row was
    rejected in `__rejected`, by which the writer leaves those out (`rows.insert_staged`); with `decode=False`,
    the columns that have twins stay dictionary-encoded (`KeptPart`)."""
    rejected = pa.array(unique.index.isin(list(decisions.rejected)))
    return _arrow(unique, twins, decode=decode).append_column(REJECTED_COLUMN, rejected)


def _read_frame(path: Path, rows: set[int] | None) -> pd.DataFrame:
    """A staged part as the frame it was (index restored), or only its rows whose index is in `rows`."""
    return _frame_of(pq.read_table(path), rows)


def _frame_of(table: pa.Table, rows: set[int] | None) -> pd.DataFrame:
    """`_read_frame` of a part's table (`part_table`), read or kept (its twins decoded once the rows are chosen)."""
    if INDEX_COLUMN not in table.column_names:  # staged before the index had its own column
        frame = table.to_pandas()
        return frame if rows is None else frame.loc[frame.index.isin(list(rows))]
    if rows is not None:
        table = table.filter(pc.is_in(table[INDEX_COLUMN], value_set=pa.array(sorted(rows), pa.int64())))
    if any(pa.types.is_dictionary(t) for t in table.schema.types):  # a kept part's twins
        table = _decoded(table)
    index = pd.Index(table[INDEX_COLUMN].to_numpy(), dtype="int64")
    frame = table.drop_columns([c for c in (INDEX_COLUMN, REJECTED_COLUMN) if c in table.column_names]).to_pandas()
    frame.index = index
    return frame


def _arrow(frame: pd.DataFrame, twins: dict[str, pa.ChunkedArray] | None = None, *, decode: bool = True) -> pa.Table:
    """The frame as Arrow, its index in the column `__index`; the columns that have `twins` are those (left
    dictionary-encoded unless `decode`: `_decoded` then makes the table `pa.array` would have made)."""
    table = _arrow_columns(frame, twins)
    table = table.append_column(INDEX_COLUMN, pa.array(frame.index.to_numpy(), pa.int64()))
    return _decoded(table) if twins and decode else table  # (without twins, the table `pa.array` made)


def _decoded(table: pa.Table) -> pa.Table:
    """The table with its twins as plain strings, the columns `pa.array` makes of Python strings; a twin
    without a value, Arrow's null column, as for a column of None.

    One cast of the whole table: in a thread beside GIL-bound work, each call into Arrow gives the GIL back
    and waits up to the switch interval to take it again (a take per batch and column took 1.1 s there, 0.06
    s alone)."""
    schema = pa.schema([field.with_type(decoded_type(field.type)) for field in table.schema], metadata=table.schema.metadata)
    table = table.cast(schema)
    for i, column in enumerate(table.columns):
        if pa.types.is_string(column.type) and column.null_count == len(column):
            table = table.set_column(i, table.field(i).name, pa.nulls(len(column)))
    return table


def _arrow_columns(frame: pd.DataFrame, twins: dict[str, pa.ChunkedArray] | None = None) -> pa.Table:
    """The frame's columns as Arrow. A column of values as written may mix numbers, dates and text (xlsx):
    Arrow holds one type per column, so such a column is staged as the text each value prints as, which is
    all that is read of it afterwards (the value as written in the quarantine and the flags).

    A column of nothing but None (a declared column the file lacks: half of a sampling file's) is added as
    Arrow's null column, the type Arrow infers for it, without Arrow looking at each of its million Nones."""
    known = {name: twin for name, twin in (twins or {}).items() if name in frame.columns}
    known |= {name: pa.nulls(len(frame)) for name in frame.columns if name not in known and _only_none(frame[name])}
    if known:
        table = _arrow_columns(frame.drop(columns=list(known)))
        for name in frame.columns:
            if name in known:
                table = table.add_column(frame.columns.get_loc(name), name, known[name])
        return table
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object:
            try:
                pa.array(out[name], from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                out[name] = out[name].map(lambda v: v if _missing(v) else str(v))
    return pa.Table.from_pandas(out, preserve_index=False)


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and value != value)


def _only_none(column: pd.Series) -> bool:
    """Whether an object column holds None and nothing else (NaN or NaT would be values Arrow types)."""
    if column.dtype != object or not len(column):
        return False
    values = column.to_numpy()
    return values[0] is None and values[-1] is None and bool((values == None).all())  # noqa: E711 (each cell)


def _issues_json(issues: dict[int, list[Issue]]) -> dict:
    """{"issues": the distinct issues, "sets": the distinct lists of issue numbers, "index": the rows,
    "set": each row's list}, in the decisions' order: a rule failing on 60,000 rows writes its reason once,
    and the rows are two lists of integers (quick to write and to read back), not a list per row."""
    distinct: dict[tuple, int] = {}
    set_of: dict[tuple, int] = {}  # the ids of a row's Issue objects (rows a rule found share its Issue)
    sets: list[list[int]] = []
    which = []
    for found in issues.values():
        key = tuple(map(id, found))
        number = set_of.get(key)
        if number is None:
            number = set_of[key] = len(sets)
            sets.append([distinct.setdefault((i.column, i.rule, i.reason), len(distinct)) for i in found])
        which.append(number)
    index = np.fromiter(issues, dtype=np.int64, count=len(issues)).tolist()
    return {"issues": [list(k) for k in distinct], "sets": sets, "index": index, "set": which}


def _decisions_from(data: dict) -> RowDecisions:
    decisions = RowDecisions()
    for target, key in ((decisions.rejected, "rejected"), (decisions.flagged, "flagged")):
        stored = data[key]
        if "index" in stored:
            issues = [Issue(*i) for i in stored["issues"]]
            sets = [[issues[k] for k in numbers] for numbers in stored["sets"]]
            target.update(zip(stored["index"], (list(sets[s]) for s in stored["set"]), strict=True))
            continue
        if "rows" not in stored:  # staged before issues were numbered: {index: [[column, rule, reason], …]}
            for idx, found in stored.items():
                target[int(idx)].extend(Issue(*i) for i in found)
            continue
        issues = [Issue(*i) for i in stored["issues"]]  # staged before rows were grouped: [[index, numbers…], …]
        for idx, *numbers in stored["rows"]:
            target[idx] = [issues[k] for k in numbers]
    return decisions


def _outcome_json(o: Outcome) -> dict:
    """An outcome as the writer needs it: the failing rows are already decided, so their indexes stay behind."""
    return {"expectation": o.expectation, "kwargs": o.kwargs, "meta": o.meta, "success": o.success,
            "unexpected_count": o.unexpected_count, "observed_value": o.observed_value, "error": o.error}


def row_parameters(region: Region, today: date) -> dict:
    """What the row suites' `$PARAMETER`s are bound to for a run: the day, the date window, the streets."""
    window = {name: pd.Timestamp(day) for name, day in region.date_window(today).items()}
    return {**window, "streets": list(region.streets)}


def sheet_conflicts(frame: pd.DataFrame, feed: Feed) -> int:
    """Keys found on two sheets of one workbook with different values (exact copies were dropped before):
    which sheet is right is for a person to say, never the sheet order."""
    sheets = frame[SHEET_COLUMN]
    if not len(frame) or sheets.nunique(dropna=True) < 2:
        return 0
    keyed = frame[[*feed.key, SHEET_COLUMN]].dropna()
    per_key = keyed.groupby(list(feed.key), dropna=True)[SHEET_COLUMN].nunique()
    return int((per_key > 1).sum())


def exact_duplicates(raw: RawExtract) -> pd.Series:
    """Rows identical, cell for cell, to an earlier row of the file (the row number and sheet aside).

    Rows are first grouped by a hash of their cells (the reader's, `RawExtract.hashes`, when it made them:
    hashed once per distinct value instead of once per cell), then every row the hash calls a copy is compared
    with the earlier row, cell by cell: a hash collision never drops a row."""
    frame = raw.frame
    hashed = raw.hashes()
    if hashed is None:
        hashed = _frame_hashes(frame)
    return pd.Series(_confirmed_copies(frame, hashed, text=raw.text_only), index=frame.index)


def _compared_columns(frame: pd.DataFrame) -> list[str]:
    return [name for name in frame.columns if name not in (ROW_COLUMN, SHEET_COLUMN)]


def _frame_hashes(frame: pd.DataFrame) -> np.ndarray:
    hashed = np.zeros(len(frame), dtype=np.uint64)
    for name in _compared_columns(frame):  # column by column: selecting them all at once would copy the frame
        hashed *= np.uint64(1_000_003)  # order matters: a|b and b|a are different rows
        hashed ^= _hash_cells(frame[name].to_numpy())
    return hashed


def _hash_cells(cells: np.ndarray) -> np.ndarray:
    # Hashing the distinct values first pays off for a column of few values; for a column of mostly
    # distinct ones (sample numbers) it is slower and builds a copy of every string (bench/results.md).
    few = len(set(cells[:1000].tolist())) < 500
    try:
        return pd.util.hash_array(cells, categorize=few)
    except TypeError:  # numbers, dates or booleans beside text (xlsx): hash what they print as
        return pd.util.hash_array(cells.astype(str), categorize=few)


def _confirmed_copies(frame: pd.DataFrame, hashed: np.ndarray, *, text: bool) -> np.ndarray:
    """True for each row whose cells equal an earlier row's, among rows sharing a hash with an earlier one."""
    # which rows share a hash with an earlier one, asked of the hashes themselves (a quarter of the time of
    # numbering them first, which only a file with candidates needs)
    candidate = pd.Series(hashed, copy=False).duplicated(keep="first").to_numpy()
    copies = np.zeros(len(frame), dtype=bool)
    if not candidate.any():
        return copies
    codes, _ = pd.factorize(hashed)
    rows = np.flatnonzero(candidate)
    first = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the last write per code wins: its first row
    earlier = first[codes[rows]]
    same = np.ones(len(rows), dtype=bool)
    for name in _compared_columns(frame):
        values = frame[name].to_numpy()
        same &= _same_cells(values[rows], values[earlier], text=text)
    copies[rows[same]] = True
    if not same.all():  # a hash shared by rows that differ: those rows' groups compared row against row
        _compare_groups(frame, codes, np.unique(codes[rows[~same]]), copies, text=text)
    return copies


def _same_cells(a: np.ndarray, b: np.ndarray, *, text: bool) -> np.ndarray:
    """Cell by cell, whether two cells are the same as the hash sees them: text equal as text (a CSV's cells
    are str or None), anything else equal as the text it prints as; missing cells are the same as each other."""
    if text and a.dtype == object:
        return np.asarray(a == b, dtype=bool)  # None == None; str against str
    missing_a, missing_b = pd.isna(a), pd.isna(b)
    printed_a = pd.Series(a, dtype=object).astype(str).to_numpy()
    printed_b = pd.Series(b, dtype=object).astype(str).to_numpy()
    return np.where(missing_a | missing_b, missing_a & missing_b, printed_a == printed_b)


def _compare_groups(frame: pd.DataFrame, codes: np.ndarray, groups: np.ndarray, copies: np.ndarray, *,
                    text: bool) -> None:
    """Exact copies within the rows of each hash group in `groups`, each row against every earlier distinct one."""
    columns = [frame[name].to_numpy() for name in _compared_columns(frame)]
    for group in groups:
        members = np.flatnonzero(codes == group)
        copies[members] = False
        distinct: list[int] = [int(members[0])]
        for row in members[1:]:
            for kept in distinct:
                if all(_same_cells(c[[row]], c[[kept]], text=text)[0] for c in columns):
                    copies[row] = True
                    break
            else:
                distinct.append(int(row))


def raw_row(raw: RawExtract, idx: int) -> str:
    """Row `idx` as written, for the quarantine: `{"header as written": "cell", …}` (cells as text, empty
    ones null), then the row's unknown columns from `__extra`."""
    row = raw.frame.loc[idx]
    data = {raw.header.get(k, k): (None if v is None else str(v)) for k, v in row.items()
            if k not in (EXTRA_COLUMN,)}
    if isinstance(row.get(EXTRA_COLUMN), str):
        data.update(json.loads(row[EXTRA_COLUMN]))
    return json.dumps(data, ensure_ascii=False, default=str)


_JSON_ESCAPED = r'["\\\x00-\x1f]'  # with ensure_ascii=False, json.dumps escapes only these


def raw_rows(raw: RawExtract, indexes: list[int]) -> list[str]:
    """`raw_row` of each of `indexes`, the same text, built column by column: each column's distinct values
    are written as JSON once and the rows joined by Arrow, so a file whose every row is rejected costs
    seconds, not one pandas row lookup (about 0.1 ms) per row. Rows with unknown columns (`__extra`), and
    every row when two columns share a header as written or a column holds dates or floats, go through
    `raw_row` itself."""
    frame = raw.frame
    if not indexes:
        return []
    columns = [k for k in frame.columns if k != EXTRA_COLUMN]
    keys = [raw.header.get(k, k) for k in columns]
    plain = all(frame[k].dtype == object or pd.api.types.is_integer_dtype(frame[k].dtype) for k in columns)
    if len(set(keys)) != len(keys) or not columns or not plain:  # one key for two columns: the dict keeps the
        return [raw_row(raw, idx) for idx in indexes]  # last value; dates or floats: as the row lookup prints them
    rows = frame.loc[indexes]
    text = pa.large_string()
    fragments = []
    for n, (name, key) in enumerate(zip(columns, keys, strict=True)):
        prefix = ("{" if n == 0 else ", ") + json.dumps(key, ensure_ascii=False) + ": "
        cells = _cells_json(rows[name].to_numpy(), distinct=raw.text_only or rows[name].dtype != object)
        fragments.append(pc.binary_join_element_wise(pa.scalar(prefix, text), cells, pa.scalar("", text)))
    joined = pc.binary_join_element_wise(*fragments, pa.scalar("}", text), pa.scalar("", text))
    out = joined.to_pylist()
    if EXTRA_COLUMN in rows:
        extra = rows[EXTRA_COLUMN].to_numpy()
        for i in np.flatnonzero([isinstance(v, str) for v in extra]):
            out[i] = raw_row(raw, indexes[i])
    return out


def _cells_json(cells: np.ndarray, *, distinct: bool) -> pa.Array:
    """Each cell as `raw_row` writes it: null when it is None, else its text as a JSON string. With `distinct`
    (cells all text, or all integers) once per distinct value, quoted by Arrow unless json.dumps would escape
    something; otherwise cell by cell, as 1, 1.0 and True are one value to pandas but three texts."""
    def as_json(value: object) -> str:
        return "null" if value is None else json.dumps(str(value), ensure_ascii=False)

    text = pa.large_string()
    if not distinct:
        return pa.array([as_json(v) for v in cells.astype(object, copy=False)], type=text)
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    try:
        texts = pa.array(uniques).cast(text)  # str of every distinct value (text as it is, integers written out)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):  # not what `distinct` promised
        return pa.array([as_json(v) for v in cells.astype(object, copy=False)], type=text)
    quoted = pc.binary_join_element_wise(pa.scalar('"', text), texts, pa.scalar('"', text), pa.scalar("", text))
    escaped = pc.match_substring_regex(texts, _JSON_ESCAPED)  # what json.dumps writes as an escape sequence
    if pc.any(escaped).as_py():
        which = escaped.to_numpy(zero_copy_only=False)
        quoted = pc.replace_with_mask(quoted, escaped, pa.array([as_json(u) for u in uniques[which]], type=text))
    values = quoted.take(pa.array(codes, mask=codes < 0))
    missing = codes < 0  # None, NaN, NaT (one missing value to pandas): each written as raw_row writes it
    if missing.any():
        values = pc.replace_with_mask(values, pa.array(missing),
                                      pa.array([as_json(v) for v in cells[missing]], type=text))
    return values
