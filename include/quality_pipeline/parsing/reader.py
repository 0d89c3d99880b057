"""Read one delivered file (xlsx or csv) into a frame of cleaned cell values under canonical column names.

What is not a data row (title, blank, notes, totals, a repeated header) is skipped
and counted; what cannot be read at all raises `ExtractRejected` with a reason in
Chinese and English that a clerk can act on. Hostile input (a zip bomb, a 200 MB line,
broken quoting, mixed encodings, 10,000 columns) ends in such a rejection, never in a
crash, and within bounded time and memory.

Cells are handled column by column: each distinct value is cleaned once, and rows are
classified with array operations, so a million rows cost seconds, not minutes.
"""

from __future__ import annotations

import csv
import itertools
import json
import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from quality_pipeline.feeds import Feed
from quality_pipeline.parsing.encoding import scan_text
from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.headers import HEADER_SCAN_ROWS, HeaderMatch, find_header
from quality_pipeline.parsing.units import column_scales
from quality_pipeline.parsing.values import NULL_SPELLINGS, clean_text, factorize, tag_bool

log = logging.getLogger(__name__)
SUPPORTED_SUFFIXES = (".xlsx", ".csv")
ROW_COLUMN = "__row"
SHEET_COLUMN = "__sheet"
EXTRA_COLUMN = "__extra"
MAX_COLUMNS = 16_384  # Excel's limit
MAX_CELL_CHARS = 32_767  # Excel's limit
_TOTALS = re.compile(r"^(合计|总计|小计|累计|共计|总合计)[:：]?$")
_NOTES = re.compile(r"^(注|备注|说明|填表人|填报人|制表人|制表|审核人|审核|负责人|联系人|联系电话|填报日期|制表日期|填报单位)")
# C0/C1 control characters other than whitespace (which clean_text folds into spaces), and the bidirectional
# overrides that make text display as something else: never data.
_CONTROLS = dict.fromkeys([*range(0x00, 0x09), *range(0x0E, 0x1C), 0x7F, *range(0x80, 0x85), *range(0x86, 0xA0),
                           0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# A cell made only of these (printable ASCII, CJK ideographs, 、。〃) with single inner spaces is already clean:
# NFKC leaves it alone and there is nothing to strip, so only the other values go through clean_text.
_SAFE_CHARS = r"[\x21-\x7e\x{3001}-\x{3003}\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}]"
_SAFE = rf"^{_SAFE_CHARS}+(?: {_SAFE_CHARS}+)*$"
_LABEL_STARTS = pa.array(list("合总小累共注备说填制审负联"), type=pa.large_string())  # first characters of the labels above


@dataclass
class RawExtract:
    """Data rows of one file: cleaned values under canonical names, plus where each row came from."""

    feed: Feed
    frame: pd.DataFrame
    header: dict[str, str]  # canonical column -> header as written
    multipliers: dict[str, float]
    sheets: list[str]
    encoding: str | None = None
    rows_skipped: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    text_only: bool = False  # every cell a str or None (a CSV read by Arrow): nothing to turn into text
    skipped_sheets: list[dict] = field(default_factory=list)  # {"sheet", "reason"}: copies and references
    generated_by: str | None = None  # who generated the file, when it says so (`headers.GENERATED_MARK`)

    @property
    def rows_read(self) -> int:
        return len(self.frame)


class RowSink(Protocol):
    """Where a CSV's data rows go as they are read, instead of one frame (`loading.partitions`)."""

    def add(self, frame: pd.DataFrame) -> None: ...

    def reset(self) -> None: ...  # a read that failed half-way starts again: forget what was added


SINK_ROWS = 2 * 122_880  # rows handed to a sink at a time


def read_extract(path: Path, feed: Feed, *, sink: RowSink | None = None) -> RawExtract:
    """Read one delivered file. With a `sink` (CSV only: its cells are all text), the data rows go to it as
    they are read and the returned frame is empty: memory then holds one batch, not the file."""
    suffix = path.suffix.lower()
    if sink is not None and suffix != ".csv":
        raise ValueError("only a CSV is read into a sink: its cells are all text")
    if suffix not in SUPPORTED_SUFFIXES:
        raise ExtractRejected(
            "unsupported_type",
            f"不支持的文件类型「{path.suffix or '无扩展名'}」，请另存为 .xlsx 或 .csv",
            f"unsupported file type '{path.suffix or 'none'}'; save as .xlsx or .csv",
        )
    if path.stat().st_size == 0:
        raise ExtractRejected("empty", "文件为空", "the file is empty")
    try:
        return _read_csv(path, feed, sink) if suffix == ".csv" else _read_xlsx(path, feed)
    except ExtractRejected:
        raise
    except MemoryError as exc:
        raise ExtractRejected("too_large", "文件过大，无法在内存限制内读取，请拆分后重新报送",
                              "the file is too large to read within the memory limit; split it and deliver again") from exc
    except Exception as exc:  # a file must never crash the run: say what happened, keep the trace in the log
        log.exception("unexpected error reading %s", path)
        raise ExtractRejected("unreadable", f"文件无法读取（{type(exc).__name__}: {exc}）",
                              f"the file cannot be read ({type(exc).__name__}: {exc})") from exc


# --- cells ------------------------------------------------------------------------------------------


def _cell_text(value: object) -> object:
    """A cleaned cell: text normalised (controls dropped, nulls to None), other values as they are."""
    if isinstance(value, str):
        return clean_text(value.translate(_CONTROLS))
    if isinstance(value, float) and value != value:
        return None
    if value == "":
        return None
    return value


def _encode_strings(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(codes, cleaned distinct values): cell i is `uniques[codes[i]]`; code -1 (a missing cell) picks the
    trailing None. Each distinct value is cleaned once, and only when it is not already clean."""
    if not pa.types.is_large_string(values.type):
        values = values.cast(pa.large_string())
    encoded = pc.dictionary_encode(values)
    dictionary = encoded.dictionary
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    uniques = np.empty(len(dictionary) + 1, dtype=object)
    uniques[:-1] = dictionary.to_numpy(zero_copy_only=False)
    safe = pc.match_substring_regex(dictionary, _SAFE).to_numpy(zero_copy_only=False)
    unsafe = np.flatnonzero(~safe)
    for i in unsafe:
        uniques[i] = _cell_text(uniques[i])
    nulls = pc.is_in(dictionary, value_set=pa.array(sorted(NULL_SPELLINGS), type=dictionary.type))
    uniques[np.flatnonzero(safe & nulls.to_numpy(zero_copy_only=False))] = None
    if len(unsafe):  # " 合格" and "合格" are one value once cleaned: give them one code
        canon, distinct = pd.factorize(uniques[:-1], use_na_sentinel=True)
        remap = np.append(canon, -1).astype(np.int32)
        codes = remap[codes]
        uniques = np.empty(len(distinct) + 1, dtype=object)
        uniques[:-1] = np.asarray(distinct, dtype=object) if len(distinct) else []
    return codes, uniques


def _codes(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values + a trailing null slot) of an object column of cleaned cells."""
    codes, uniques = factorize(pd.Series(column, dtype=object, copy=False))
    out = np.empty(len(uniques) + 1, dtype=object)
    out[:-1] = uniques
    return codes.astype(np.int32, copy=False), out


# --- rows that are not data -------------------------------------------------------------------------


def _text_array(uniques: np.ndarray, all_text: bool) -> pa.Array:
    if all_text:  # csv: every present value is a string
        return pa.array(uniques, type=pa.large_string(), from_pandas=True)
    return pa.array([u if type(u) is str else None for u in uniques], type=pa.large_string())


def _unique_flags(uniques: np.ndarray, text: pa.Array, all_text: bool) -> dict[str, np.ndarray]:
    """Per distinct value: present, text, looks like a totals label, a notes label."""
    present = pd.notna(uniques)
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
    if texts:
        found = pc.index_in(pa.array([h for _, h in texts], type=pa.large_string()), value_set=text)
        for (pos, _), code in zip(texts, found.to_pylist(), strict=True):
            if code is not None:
                out[pos] = code
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


class _Rows:
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
        self.extra_names = dict(match.extras)  # position -> key in __extra
        self._taken = set(self.extra_names.values())
        self.kept = 0
        self.seen = 0  # rows of every batch, kept or not
        self.skipped: dict[str, int] = {}
        self.text_only = True

    def add_text(self, arrays: list[pa.Array], first_number: int) -> None:
        """A batch of string columns (csv): cleaned here, all columns at once."""
        if not arrays:
            return
        n = len(arrays[0])
        combined = pa.chunked_array([a.cast(pa.large_string()) for a in arrays], pa.large_string()).combine_chunks()
        codes, uniques = _encode_strings(combined)
        self._add(codes.reshape(len(arrays), n), uniques, first_number, all_text=True)

    def add_cells(self, columns: list[np.ndarray], first_number: int) -> None:
        """A batch of cleaned cells (xlsx), one object array per position."""
        if not columns:
            return
        codes, uniques = _codes(np.concatenate(columns))
        self._add(codes.reshape(len(columns), len(columns[0])), uniques, first_number, all_text=False)

    def _add(self, codes: np.ndarray, uniques: np.ndarray, first_number: int, all_text: bool) -> None:
        width, n = codes.shape
        self.text_only &= all_text
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
        for pos, values in self.values.items():
            if pos < width:
                values[lo:hi] = uniques[codes[pos][keep]]
        self.extra[lo:hi] = self._extra_json(codes[:, keep], uniques, flags["present"])
        self.numbers[lo:hi] = first_number + keep
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

    def _extra_name(self, pos: int) -> str:
        if pos not in self.extra_names:
            name = f"列{pos + 1}"
            self.extra_names[pos] = name if name not in self._taken else f"{name}#{pos + 1}"
            self._taken.add(self.extra_names[pos])
        return self.extra_names[pos]

    def _extra_json(self, codes: np.ndarray, uniques: np.ndarray, present: np.ndarray) -> np.ndarray:
        """`{"header": value, …}` of each kept row's unknown columns (empty cells left out), None when all are empty."""
        positions = [pos for pos in range(len(codes)) if pos not in self.match.columns and present[codes[pos]].any()]
        n = codes.shape[1]
        if not positions:
            return np.full(n, None, dtype=object)
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
        wrapped = pc.if_else(pc.equal(joined, nothing), pa.scalar(None, text), wrapped)
        return np.asarray(wrapped.to_numpy(zero_copy_only=False), dtype=object)

    def fresh(self) -> _Rows:
        """An empty collector like this one: a read that failed half-way starts again."""
        return _Rows(self.match, self.header_cells, self.capacity, self.sink)

    def frame(self, sheet: str | None) -> pd.DataFrame:
        """The canonical frame, column by column, without copies (one consolidated block would double it)."""
        n = self.kept
        frame = pd.DataFrame({SHEET_COLUMN: pd.Series(np.full(n, sheet, dtype=object), dtype=object, copy=False)})
        frame[ROW_COLUMN] = pd.Series(self.numbers[:n], dtype="int64", copy=False)
        for pos, name in self.match.columns.items():
            frame[name] = pd.Series(self.values[pos][:n], dtype=object, copy=False)
        frame[EXTRA_COLUMN] = pd.Series(self.extra[:n], dtype=object, copy=False)
        return frame


def _check_required(feed: Feed, match: HeaderMatch | None) -> None:
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


def _scales(feed: Feed, match: HeaderMatch) -> dict[str, float]:
    """Factor to the stored unit per column (raises for a unit not declared or two that disagree)."""
    return column_scales(feed, match.written_units(feed), match.matched)


def _sheets_disagree(feed: Feed, column: str, sheets: list[str]) -> ExtractRejected:
    """One frame carries one factor per column: sheets in different units cannot be loaded together."""
    header, names = feed.column(column).header, "、".join(sheets)
    return ExtractRejected(
        "unit_conflict",
        f"各工作表中「{header}」的单位不一致（{names}），请统一单位后重新报送",
        f"the sheets ({', '.join(sheets)}) write {column} ({header}) in different units; use one unit and deliver again",
    )


def _too_wide(width: int) -> ExtractRejected:
    return ExtractRejected(
        "too_many_columns",
        f"文件有 {width} 列，超过 Excel 的上限 {MAX_COLUMNS} 列，不是可读的表格（检查分隔符或引号）",
        f"the file has {width} columns, more than Excel's {MAX_COLUMNS}: not a readable table "
        "(check the delimiter and quotes)",
    )


# --- csv --------------------------------------------------------------------------------------------


def _read_csv(path: Path, feed: Feed, sink: RowSink | None = None) -> RawExtract:
    scan = scan_text(path)
    encoding = scan.encoding
    head, head_lines = _csv_head(path, encoding)
    cleaned = [[_cell_text(v) for v in row] for row in head]
    match = find_header(cleaned, feed)
    _check_required(feed, match)
    assert match is not None
    multipliers = _scales(feed, match)
    header_cells = cleaned[match.row_index]
    skip, last = match.data_start, match.data_start - 1
    width = max(len(r) for r in head[match.row_index:])
    if width > MAX_COLUMNS:
        raise _too_wide(width)
    rows = _Rows(match, header_cells, capacity=scan.lines + 1 - head_lines[last], sink=sink)
    rows = _read_csv_rows(path, encoding, skip, head_lines[last], width, rows)
    rows.flush()
    frame = rows.frame(None)
    header_text = {col: str(head[match.row_index][pos]) for pos, col in match.columns.items()}
    return RawExtract(
        feed=feed, frame=frame, header=header_text, multipliers=multipliers,
        sheets=[], encoding=encoding, rows_skipped=sum(rows.skipped.values()), skipped=rows.skipped,
        text_only=rows.text_only, generated_by=match.generated_by,
    )


def _csv_error(exc: Exception, line: int) -> ExtractRejected:
    return ExtractRejected(
        "malformed_csv",
        f"第 {line} 行附近的 CSV 格式有误（引号未闭合或单元格超过 {MAX_CELL_CHARS} 个字符）：{exc}",
        f"malformed CSV near line {line} (an unclosed quote or a cell over {MAX_CELL_CHARS} characters): {exc}",
    )


def _field_limit() -> None:
    # Python's csv refuses fields over 128 KiB by default; allow Excel's cell limit in any encoding, no more,
    # so an unclosed quote fails fast instead of swallowing the file.
    csv.field_size_limit(max(MAX_CELL_CHARS * 4, 1 << 17))


def _csv_head(path: Path, encoding: str) -> tuple[list[list[str]], list[int]]:
    """The first records (enough to find the header), quote-aware, with the physical line each one ends on."""
    _field_limit()
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh)
        head, lines = [], []
        try:
            for row in reader:
                head.append(row)
                lines.append(reader.line_num)
                if len(head) >= HEADER_SCAN_ROWS + 10:
                    break
        except csv.Error as exc:
            raise _csv_error(exc, reader.line_num) from exc
    return head, lines


_ARROW_ENCODINGS = {"utf-8": "utf8", "utf-8-sig": "utf8"}
_BLOCK_BYTES = 8 << 20
_CHUNK_ROWS = 200_000


def _read_csv_rows(path: Path, encoding: str, skip: int, skip_lines: int, width: int, rows: _Rows) -> _Rows:
    """Every record after the header, batch by batch, without guessing anything.

    Arrow's streaming reader takes regular files; a file it refuses (rows of different lengths, one data line
    without its newline, broken quoting) is read again with pandas in chunks, which pads short rows and says
    where quoting breaks.
    """
    import pyarrow.csv as pa_csv

    names = [f"f{i}" for i in range(width)]
    try:
        fh = open(path, "rb")  # a Python file: arrow would refuse a path that is not valid UTF-8
    except OSError as exc:
        raise ExtractRejected("unreadable", f"文件无法打开：{exc}", f"the file cannot be opened: {exc}") from exc
    try:
        reader = pa_csv.open_csv(
            fh,
            read_options=pa_csv.ReadOptions(skip_rows=skip_lines, column_names=names, block_size=_BLOCK_BYTES,
                                            use_threads=False, encoding=_ARROW_ENCODINGS.get(encoding, encoding)),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
        for batch in reader:
            columns = batch.columns
            del batch
            _check_cell_length(columns, skip + 1 + rows.seen)
            rows.add_text(columns, skip + 1 + rows.seen)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeError):
        rows = _pandas_rows(path, encoding, skip, rows.fresh)
    finally:
        fh.close()
    pa.default_memory_pool().release_unused()
    return rows


def _pandas_rows(path: Path, encoding: str, skip: int, fresh) -> _Rows:
    kwargs = dict(
        header=None, skiprows=skip, dtype=str, keep_default_na=False, na_filter=False,
        skip_blank_lines=False, encoding=encoding, engine="c", chunksize=_CHUNK_ROWS,
    )
    try:
        return _chunked_read(path, kwargs, skip, fresh())
    except pd.errors.EmptyDataError:
        return fresh()
    except pd.errors.ParserError as exc:
        if "EOF inside string" in str(exc):
            row = re.search(r"row (\d+)", str(exc))
            raise _csv_error(exc, skip + 1 + int(row.group(1)) if row else skip + 1) from exc
        if "Expected" not in str(exc):
            raise _csv_error(exc, skip + 1) from exc
    width = _max_fields(path, encoding)
    if width > MAX_COLUMNS:
        raise _too_wide(width)
    try:
        return _chunked_read(path, {**kwargs, "names": list(range(width))}, skip, fresh())
    except pd.errors.ParserError as exc:
        raise _csv_error(exc, skip + 1) from exc


def _chunked_read(path: Path, kwargs: dict, skip: int, rows: _Rows) -> _Rows:
    with pd.read_csv(path, **kwargs) as chunks:
        for chunk in chunks:
            if chunk.shape[1] > MAX_COLUMNS:
                raise _too_wide(chunk.shape[1])
            columns = [_arrow(chunk[pos]) for pos in range(chunk.shape[1])]
            del chunk
            _check_cell_length(columns, skip + 1 + rows.seen)
            rows.add_text(columns, skip + 1 + rows.seen)
    return rows


def _arrow(series: pd.Series) -> pa.Array:
    array = pa.array(series.array)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _max_fields(path: Path, encoding: str) -> int:
    _field_limit()
    with open(path, encoding=encoding, newline="") as fh:
        reader = csv.reader(fh)
        try:
            return max((len(r) for r in reader), default=0)
        except csv.Error as exc:
            raise _csv_error(exc, reader.line_num) from exc


def _check_cell_length(columns: list[pa.Array], first_number: int) -> None:
    for column in columns:
        lengths = pc.utf8_length(column)
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > MAX_CELL_CHARS:
            first = int(pc.index(pc.greater(lengths, MAX_CELL_CHARS), True).as_py())
            raise ExtractRejected(
                "cell_too_long",
                f"第 {first_number + first} 行有单元格超过 {MAX_CELL_CHARS} 个字符（Excel 单元格上限），文件可能已损坏",
                f"line {first_number + first} has a cell over {MAX_CELL_CHARS} characters (Excel's limit); "
                "the file may be damaged",
            )


# --- xlsx -------------------------------------------------------------------------------------------


def _read_xlsx(path: Path, feed: Feed) -> RawExtract:
    from quality_pipeline.parsing.xlsx import open_workbook

    workbook, handle = open_workbook(path)
    frames, header_text, multipliers, used, skipped, copies = [], {}, {}, [], {}, []
    generated_by = None
    best_partial: HeaderMatch | None = None
    try:
        for sheet in workbook.sheets:
            if reason := copy_sheet_reason(sheet.name):
                copies.append({"sheet": sheet.name, "reason": reason})
                continue
            found = _sheet_frame(feed, sheet, workbook.date1904)
            if found is None:
                continue
            match, frame, kinds, header_row = found
            if not all(c.name in match.matched for c in feed.required):
                if best_partial is None or len(match.matched) > len(best_partial.matched):
                    best_partial = match
                continue
            scales = _scales(feed, match)
            for kind, n in kinds.items():
                skipped[kind] = skipped.get(kind, 0) + n
            frames.append(frame)
            used.append(sheet.name)
            generated_by = generated_by or match.generated_by
            for pos, col in match.columns.items():
                header_text.setdefault(col, str(header_row[pos]))
                if multipliers.setdefault(col, scales[col]) != scales[col]:
                    raise _sheets_disagree(feed, col, used)
    finally:
        handle.close()
    if not frames and copies and best_partial is None:
        names = "、".join(c["sheet"] for c in copies)
        raise ExtractRejected(
            "only_copy_sheets",
            f"只有名为副本或参考的工作表（{names}），未读取；请将数据放在正式工作表中（不要以参考、上季度、备份等命名）",
            f"only sheets named as copies or references ({names}); none read: put the data on a sheet not named "
            "as a copy or reference (参考, 上季度, 备份, copy, old …)",
        )
    if not frames:
        _check_required(feed, best_partial)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return RawExtract(
        feed=feed, frame=frame, header=header_text, multipliers=multipliers, sheets=used,
        encoding=None, rows_skipped=sum(skipped.values()), skipped=skipped, skipped_sheets=copies,
        generated_by=generated_by,
    )


# Sheet names that mark a copy or a reference (WPS names a copied sheet `…副本`, Excel `… (2)`): such a sheet
# repeats an earlier delivery, and loading it would revert the corrections made since.
COPY_SHEET = re.compile(r"参考|上季度|上期|备份|副本|原表|\bcopy\b|\bold\b|\(\d+\)\s*$", re.IGNORECASE)


def copy_sheet_reason(name: str) -> str | None:
    """Why a sheet is skipped as a copy or reference of the data, or None when its name marks none."""
    match = COPY_SHEET.search(unicodedata.normalize("NFKC", name))
    if match is None:
        return None
    return (f"工作表名「{name}」含「{match.group(0)}」，视为副本或参考表，未读取 / "
            f"sheet '{name}' is named as a copy or a reference ('{match.group(0)}'); not read")


def _cleaner():
    cache: dict[str, object] = {}

    def clean(row: list) -> list:
        out = []
        for v in row:
            if type(v) is str:
                c = cache.get(v, cache)
                if c is cache:
                    c = cache[v] = _cell_text(v)
                out.append(c)
            else:
                out.append(_cell_text(v))
        return out

    return clean


_XLSX_BATCH = 50_000


def _sheet_frame(feed: Feed, sheet, date1904: bool):
    """(header match, canonical frame, skipped kinds, header row as written) of one sheet, or None."""
    from quality_pipeline.parsing.xlsx import Merges, from_1904

    rows = sheet.rows
    head = []
    for row in rows:
        head.append(row)
        if len(head) >= HEADER_SCAN_ROWS:
            break
    filled_head = Merges(sheet.merges)
    clean = _cleaner()
    match = find_header([clean(filled_head.apply(r, list(row))) for r, row in enumerate(head)], feed)
    if match is None:
        return None
    if not all(c.name in match.matched for c in feed.required):
        return match, None, {}, None
    h = match.row_index
    header_filled = Merges([m for m in sheet.merges if m[0] <= h])
    header_row = [header_filled.apply(r, list(row)) for r, row in enumerate(head[: h + 1])][h]
    header_cells = clean(header_row)
    dates = {pos: feed.column(name).type for pos, name in match.columns.items()
             if date1904 and feed.column(name).type in ("date", "month")}
    merges = Merges(sheet.merges, floor=match.data_start - 1)
    collected = _Rows(match, header_cells, capacity=sheet.height - h)
    batch: list[list] = []

    def flush() -> None:
        width = max(len(r) for r in batch)
        if width > MAX_COLUMNS:
            raise _too_wide(width)
        grid = np.empty((len(batch), width), dtype=object)
        for i, r in enumerate(batch):
            grid[i, : len(r)] = r
        columns = [grid[:, pos] for pos in range(width)]
        for pos, kind in dates.items():
            if pos < width:
                columns[pos] = np.array([from_1904(v, kind) for v in columns[pos]], dtype=object)
        collected.add_cells(columns, start + 1 + collected.seen)
        batch.clear()

    start = match.data_start
    for r, row in enumerate(itertools.chain(head[start:], rows), start=start):
        if len(row) > MAX_COLUMNS:
            raise _too_wide(len(row))
        batch.append(clean(merges.apply(r, row)))
        if len(batch) >= _XLSX_BATCH:
            flush()
    if batch:
        flush()
    frame = collected.frame(sheet.name)
    return match, frame, collected.skipped, header_row
