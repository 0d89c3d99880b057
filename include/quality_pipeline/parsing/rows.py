"""Row classification and collection: which rows of a table are data, and the canonical frame they make.

Not data: blank rows, totals (`合计` first), notes (`注：…`, at most 3 cells) and repeated header
rows. Rows are classified with array operations over the distinct values of a batch, so a
million rows cost seconds. Also what both readers share: the width limit, the required-column
check and the units of the matched header.
"""

from __future__ import annotations

import json
import math
import re
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from quality_pipeline.feeds import Feed
from quality_pipeline.parsing.cells import encode_strings, object_codes
from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.frame import EXTRA_COLUMN, ROW_COLUMN, SHEET_COLUMN, ArrowTwins, RowHashes
from quality_pipeline.parsing.headers import HeaderMatch
from quality_pipeline.parsing.units import column_scales
from quality_pipeline.parsing.values import tag_bool

MAX_COLUMNS = 16_384  # Excel's limit
_TOTALS = re.compile(r"^(合计|总计|小计|累计|共计|总合计)[:：]?$")
_NOTES = re.compile(r"^(注|备注|说明|填表人|填报人|制表人|制表|审核人|审核|负责人|联系人|联系电话|填报日期|制表日期|填报单位)")
_LABEL_STARTS = pa.array(list("合总小累共注备说填制审负联"), type=pa.large_string())  # first characters of the labels above


class RowSink(Protocol):
    """Where a CSV's data rows go as they are read, instead of one frame (`loading.partitions`)."""

    def add(self, frame: pd.DataFrame) -> None: ...

    def reset(self) -> None: ...  # a read that failed half-way starts again: forget what was added


SINK_ROWS = 2 * 122_880  # rows handed to a sink at a time
_TWIN = pa.dictionary(pa.int32(), pa.string())  # a declared column's Arrow twin: codes into a batch's values


def _text_array(uniques: np.ndarray, all_text: bool) -> pa.Array:
    if all_text:  # csv: every present value is a string
        return pa.array(uniques, type=pa.large_string(), from_pandas=True)
    return pa.array([u if type(u) is str else None for u in uniques], type=pa.large_string())


def _unique_flags(uniques: np.ndarray, text: pa.Array, all_text: bool) -> dict[str, np.ndarray]:
    """Per distinct value: present, text, looks like a totals label, a notes label."""
    # (every present value of a text batch is a string, its Arrow copy null exactly where the value is None)
    present = text.is_valid().to_numpy(zero_copy_only=False) if all_text else pd.notna(uniques)
    flags = {
        "present": present,
        "text": present if all_text else np.fromiter((type(u) is str for u in uniques), bool, count=len(uniques)),
        "totals": np.zeros(len(uniques), dtype=bool),
        "notes": np.zeros(len(uniques), dtype=bool),
    }
    # Cleaned text never starts with a space, so only values starting with a label's first character can be one.
    first = pc.utf8_slice_codeunits(text, 0, 1)
    candidates = np.flatnonzero(pc.fill_null(pc.is_in(first, value_set=_LABEL_STARTS), False).to_numpy(zero_copy_only=False))
    if len(candidates):
        compact = pc.replace_substring_regex(text.take(pa.array(candidates)), r"\s", "")
        flags["totals"][candidates] = pc.fill_null(pc.match_substring_regex(compact, _TOTALS.pattern), False).to_numpy(zero_copy_only=False)
        flags["notes"][candidates] = pc.fill_null(pc.match_substring_regex(compact, _NOTES.pattern), False).to_numpy(zero_copy_only=False)
    return flags


def _header_codes(uniques: np.ndarray, text: pa.Array, header_cells: list, width: int) -> np.ndarray:
    """For each position, the code of the header cell among the distinct values (-2: none, never equal)."""
    out = np.full(width, -2, dtype=np.int64)
    texts = [(pos, h) for pos, h in enumerate(header_cells[:width]) if type(h) is str]
    if texts:  # each distinct value looked up among the few header texts (not a hash table of every value)
        distinct = list(dict.fromkeys(h for _, h in texts))
        which = pc.fill_null(pc.index_in(text, value_set=pa.array(distinct, type=pa.large_string())), -1).to_numpy()
        first: dict[int, int] = {}
        for code in np.flatnonzero(which >= 0):  # ascending: the first distinct value equal to each header text
            first.setdefault(int(which[code]), int(code))
        for pos, h in texts:
            out[pos] = first.get(distinct.index(h), -2)
    others = [(pos, h) for pos, h in enumerate(header_cells[:width]) if h is not None and type(h) is not str]
    if others:
        index = {tag_bool(u): i for i, u in enumerate(uniques) if u is not None and type(u) is not str}
        for pos, h in others:
            out[pos] = index.get(tag_bool(h), -2)
    return out


def _jsonable(value: object) -> object:
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


def encode_text(arrays: list[pa.Array]) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """A batch of string columns (csv), all columns at once: (codes, one row per position; the cleaned distinct
    values and the same as Arrow text, `cells.encode_strings`)."""
    n = len(arrays[0])
    combined = pa.chunked_array([a.cast(pa.large_string()) for a in arrays], pa.large_string()).combine_chunks()
    codes, uniques, text = encode_strings(combined)
    return codes.reshape(len(arrays), n), uniques, text


class Rows:
    """Collects a file's data rows batch by batch into the canonical frame: cleans each distinct value once,
    classifies rows with array operations, keeps only data rows, and folds unknown columns into the JSON
    `__extra` of each row as the batch goes, so memory holds the result plus one batch, whatever the width.

    Not data: blank rows, totals (`合计` first), notes (`注：…`, at most 3 cells) and repeated header rows (at
    least half the header's cells, and two, equal to it).
    """

    def __init__(self, match: HeaderMatch, header_cells: list, capacity: int, sink: RowSink | None = None):
        self.match = match
        self.sink = sink  # with one, kept rows are handed over every SINK_ROWS rows and forgotten here
        if sink is not None:
            sink.reset()
            capacity = min(capacity, 2 * SINK_ROWS)
        self.header_cells = header_cells
        self.named = sum(1 for h in header_cells if h is not None)
        self.capacity = max(int(capacity), 16)
        self.values = {pos: np.full(self.capacity, None, dtype=object) for pos in match.columns}
        self.extra = np.full(self.capacity, None, dtype=object)
        self.numbers = np.zeros(self.capacity, dtype=np.int64)
        # While every batch is text (a CSV) and the rows stay here (no sink), beside the rows: each kept row's
        # hash over its cells, for exact duplicates (a hash per distinct value of the batch, gathered per
        # position), and each declared column's kept cells as Arrow (per batch, the kept rows' codes into the
        # batch's distinct values, already Arrow), so staging converts no Python strings
        self.from_text = sink is None
        self.hashes = np.zeros(self.capacity if self.from_text else 0, dtype=np.uint64)
        self.twins: dict[int, list[pa.Array]] = {pos: [] for pos in match.columns}
        self.extra_twins: list[pa.Array] = []
        self.extra_names = dict(match.extras)  # position -> key in __extra
        self._taken = set(self.extra_names.values())
        self.kept = 0
        self.seen = 0  # rows of every batch, kept or not
        self.skipped: dict[str, int] = {}
        self.text_only = True

    def add_text(self, arrays: list[pa.Array], first_number: int) -> None:
        """A batch of string columns (csv): cleaned here, all columns at once."""
        if arrays:
            self.add_encoded(*encode_text(arrays), first_number)

    def add_encoded(self, codes: np.ndarray, uniques: np.ndarray, text: pa.Array, first_number: int) -> None:
        """A batch of string columns as `encode_text` made it (a reader may encode the next batch meanwhile)."""
        self._add(codes, uniques, first_number, all_text=True, text=text)

    def add_cells(self, columns: list[np.ndarray], first_number: int) -> None:
        """A batch of cleaned cells (xlsx), one object array per position."""
        if not columns:
            return
        codes, uniques = object_codes(np.concatenate(columns))
        # pandas' factorize makes 1, 1.0 and True one value (their hashes would be one too), and the cells are
        # Python objects already
        self.from_text = False
        self._add(codes.reshape(len(columns), len(columns[0])), uniques, first_number, all_text=False)

    def _add(self, codes: np.ndarray, uniques: np.ndarray, first_number: int, all_text: bool,
             text: pa.Array | None = None) -> None:
        width, n = codes.shape
        self.text_only &= all_text
        if text is None:
            text = _text_array(uniques, all_text)
        flags = _unique_flags(uniques, text, all_text)
        present = flags["present"][codes]
        filled = present.sum(axis=0)
        leftmost = codes[present.argmax(axis=0), np.arange(n)] if n else np.zeros(0, dtype=np.int32)
        totals = flags["totals"][leftmost] & (filled > 0)
        notes = flags["notes"][leftmost] & flags["text"][leftmost] & (filled <= 3) & ~totals
        header = _header_codes(uniques, text, self.header_cells, width)
        same = (codes == header[:, None]).sum(axis=0)
        repeated = (same >= max(2, self.named // 2)) & ~totals & ~notes if self.named else np.zeros(n, dtype=bool)
        keep = np.flatnonzero((filled > 0) & ~totals & ~notes & ~repeated)
        for kind, mask in (("totals", totals), ("notes", notes), ("repeated_header", repeated)):
            if count := int(mask.sum()):
                self.skipped[kind] = self.skipped.get(kind, 0) + count
        self.seen += n
        if not len(keep):
            return
        lo, hi = self.kept, self.kept + len(keep)
        self._reserve(hi)
        kept = codes if len(keep) == n else codes[:, keep]  # (usually every row of the batch is data)
        dictionary = text.cast(pa.string()) if self.from_text else None  # as `pa.array` makes Python strings
        for pos, values in self.values.items():
            if pos < width:
                values[lo:hi] = uniques[kept[pos]]
            if self.from_text:  # a missing cell (-1) and a position past the batch's width: the trailing None
                at = kept[pos] if pos < width else np.full(len(keep), -1, dtype=np.int32)
                at = np.where(at < 0, np.int32(len(uniques) - 1), at)
                self.twins[pos].append(pa.DictionaryArray.from_arrays(pa.array(at, pa.int32()), dictionary,
                                                                      safe=False))  # in range, as just made
        extra = self._extra_json(kept, uniques, flags["present"])
        if extra is None:
            self.extra[lo:hi] = None
        else:
            self.extra[lo:hi] = np.asarray(extra.to_numpy(zero_copy_only=False), dtype=object)
        if self.from_text:
            self.extra_twins.append(pa.nulls(len(keep), pa.large_string()) if extra is None else extra)
        self.numbers[lo:hi] = first_number + keep
        if self.from_text:  # add_cells turned it off
            self.hashes[lo:hi] = _row_hashes(kept, uniques, flags["present"])
        self.kept = hi
        if self.sink is not None and self.kept >= SINK_ROWS:
            self.flush()

    def flush(self) -> None:
        """Hand the kept rows to the sink (it copies them) and start over."""
        if self.sink is not None and self.kept:
            self.sink.add(self.frame(None))
            self.kept = 0

    def _reserve(self, rows: int) -> None:
        if rows <= self.capacity:
            return
        self.capacity = max(rows, 2 * self.capacity)
        for pos, values in self.values.items():
            self.values[pos] = np.concatenate([values, np.full(self.capacity - len(values), None, dtype=object)])
        self.extra = np.concatenate([self.extra, np.full(self.capacity - len(self.extra), None, dtype=object)])
        self.numbers = np.concatenate([self.numbers, np.zeros(self.capacity - len(self.numbers), dtype=np.int64)])
        if self.from_text:
            self.hashes = np.concatenate([self.hashes, np.zeros(self.capacity - len(self.hashes), dtype=np.uint64)])

    def _extra_name(self, pos: int) -> str:
        if pos not in self.extra_names:
            name = f"列{pos + 1}"
            self.extra_names[pos] = name if name not in self._taken else f"{name}#{pos + 1}"
            self._taken.add(self.extra_names[pos])
        return self.extra_names[pos]

    def _extra_json(self, codes: np.ndarray, uniques: np.ndarray, present: np.ndarray) -> pa.Array | None:
        """`{"header": value, …}` of each kept row's unknown columns (empty cells left out, null when all are
        empty), as Arrow text; None when no row has any."""
        positions = [pos for pos in range(len(codes)) if pos not in self.match.columns and present[codes[pos]].any()]
        if not positions:
            return None
        used = np.unique(codes[positions])
        as_json = np.full(len(uniques), None, dtype=object)
        for code in used:
            if uniques[code] is not None:
                as_json[code] = json.dumps(_jsonable(uniques[code]), ensure_ascii=False)
        text = pa.large_string()
        values = pa.array(as_json, type=text)
        last = len(uniques) - 1  # a missing cell (-1) is the trailing None
        nothing = pa.scalar("", text)
        fragments = []
        for pos in positions:  # each present cell carries its own leading separator; an empty one is ""
            key = pa.scalar(f", {json.dumps(self._extra_name(pos), ensure_ascii=False)}: ", text)
            taken = values.take(pa.array(np.where(codes[pos] < 0, last, codes[pos])))
            fragments.append(pc.fill_null(pc.binary_join_element_wise(key, taken, nothing), nothing))
        # (arrow's null_handling="skip" would drop rows whose inputs are all null: no nulls go in)
        joined = pc.binary_join_element_wise(*fragments, nothing)
        wrapped = pc.binary_join_element_wise(pa.scalar("{", text), pc.utf8_slice_codeunits(joined, 2),
                                              pa.scalar("}", text), nothing)
        return pc.if_else(pc.equal(joined, nothing), pa.scalar(None, text), wrapped)

    def fresh(self) -> Rows:
        """An empty collector like this one: a read that failed half-way starts again."""
        return Rows(self.match, self.header_cells, self.capacity, self.sink)

    def frame(self, sheet: str | None) -> pd.DataFrame:
        """The canonical frame, column by column, without copies (one consolidated block would double it)."""
        n = self.kept
        frame = pd.DataFrame({SHEET_COLUMN: pd.Series(np.full(n, sheet, dtype=object), dtype=object, copy=False)})
        frame[ROW_COLUMN] = pd.Series(self.numbers[:n], dtype="int64", copy=False)
        for pos, name in self.match.columns.items():
            frame[name] = pd.Series(self.values[pos][:n], dtype=object, copy=False)
        frame[EXTRA_COLUMN] = pd.Series(self.extra[:n], dtype=object, copy=False)
        return frame

    def row_hashes(self, frame: pd.DataFrame) -> RowHashes | None:
        """The hashes of the rows of `frame`, the frame just made by `frame()`: None when a batch was not text."""
        if not self.from_text or len(frame) != self.kept:
            return None
        return RowHashes(frame, self.hashes[:self.kept])

    def arrow_twins(self, frame: pd.DataFrame) -> ArrowTwins | None:
        """The declared columns and `__extra` of `frame`, the frame just made by `frame()`, as Arrow: None when a
        batch was not text or the rows went to a sink."""
        if not self.from_text or len(frame) != self.kept:
            return None
        columns = {name: pa.chunked_array(self.twins[pos], _TWIN) for pos, name in self.match.columns.items()}
        columns[EXTRA_COLUMN] = pa.chunked_array(self.extra_twins, pa.large_string())
        return ArrowTwins(frame, columns)


def _row_hashes(codes: np.ndarray, uniques: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Each row's hash over every position, from each distinct value's (an empty cell, which the frame holds as
    None, hashes as 0): rows whose cells are equal, declared or folded into `__extra`, hash alike."""
    cell = pd.util.hash_array(uniques, categorize=False)
    cell[~present] = 0
    out = np.zeros(codes.shape[1], dtype=np.uint64)
    for position in codes:  # order matters: a|b and b|a are different rows
        out *= np.uint64(1_000_003)
        out ^= cell[position]
    return out



def check_required(feed: Feed, match: HeaderMatch | None) -> None:
    if match is None:
        raise ExtractRejected(
            "no_header",
            f"未找到可识别的表头（应包含如「{feed.required[0].header}」等列名）",
            f"no recognisable header row (expected column names such as '{feed.required[0].header}')",
        )
    missing = [c for c in feed.required if c.name not in match.matched]
    if missing:
        raise ExtractRejected(
            "missing_required_column",
            "缺少必填列：" + "、".join(c.header for c in missing),
            "required column missing: " + ", ".join(f"{c.header} ({c.name})" for c in missing),
        )


def header_scales(feed: Feed, match: HeaderMatch) -> dict[str, float]:
    """Factor to the stored unit per column (raises for a unit not declared or two that disagree)."""
    return column_scales(feed, match.written_units(feed), match.matched)



def too_wide(width: int) -> ExtractRejected:
    return ExtractRejected(
        "too_many_columns",
        f"文件有 {width} 列，超过 Excel 的上限 {MAX_COLUMNS} 列，不是可读的表格（检查分隔符或引号）",
        f"the file has {width} columns, more than Excel's {MAX_COLUMNS}: not a readable table "
        "(check the delimiter and quotes)",
    )


