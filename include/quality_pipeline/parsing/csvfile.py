"""CSV files: the header from the first records, then every data row through Arrow's streaming reader,
or pandas in chunks when Arrow refuses the file (ragged rows, broken quoting).

The encoding is found first (`parsing.encoding`); an unclosed quote, a cell over Excel's limit or
too many columns end in a rejection that says near which line.
"""

from __future__ import annotations

import csv
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from quality_pipeline.feeds import Feed
from quality_pipeline.parsing.cells import cell_text
from quality_pipeline.parsing.encoding import scan_text
from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.frame import RawExtract
from quality_pipeline.parsing.headers import HEADER_SCAN_ROWS, find_header
from quality_pipeline.parsing.rows import (
    MAX_COLUMNS,
    Rows,
    RowSink,
    check_required,
    encode_text,
    header_scales,
    too_wide,
)

MAX_CELL_CHARS = 32_767  # Excel's limit


def read_csv(path: Path, feed: Feed, sink: RowSink | None = None) -> RawExtract:
    scan = scan_text(path)
    encoding = scan.encoding
    head, head_lines = _csv_head(path, encoding)
    cleaned = [[cell_text(v) for v in row] for row in head]
    match = find_header(cleaned, feed)
    check_required(feed, match)
    assert match is not None
    multipliers = header_scales(feed, match)
    header_cells = cleaned[match.row_index]
    skip, last = match.data_start, match.data_start - 1
    width = max(len(r) for r in head[match.row_index:])
    if width > MAX_COLUMNS:
        raise too_wide(width)
    rows = Rows(match, header_cells, capacity=scan.lines + 1 - head_lines[last], sink=sink)
    rows = _read_csv_rows(path, encoding, skip, head_lines[last], width, rows)
    rows.flush()
    frame = rows.frame(None)
    header_text = {col: str(head[match.row_index][pos]) for pos, col in match.columns.items()}
    return RawExtract(
        feed=feed, frame=frame, header=header_text, multipliers=multipliers,
        sheets=[], encoding=encoding, rows_skipped=sum(rows.skipped.values()), skipped=rows.skipped,
        text_only=rows.text_only, generated_by=match.generated_by, row_hashes=rows.row_hashes(frame),
        arrow=rows.arrow_twins(frame),
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


def _read_csv_rows(path: Path, encoding: str, skip: int, skip_lines: int, width: int, rows: Rows) -> Rows:
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
        seen = 0

        def encoded(batch: pa.RecordBatch) -> tuple[np.ndarray, np.ndarray, pa.Array]:
            nonlocal seen
            columns = batch.columns
            _check_cell_length(columns, skip + 1 + seen)
            seen += batch.num_rows
            return encode_text(columns)

        # Three steps at once: Arrow parses a block (without the GIL), the block before is encoded, and the one
        # before that is classified and kept here (1M rows: 1.3 s in one thread, 0.96 in two, 0.87 in three)
        with closing(_ahead(reader, _as_is)) as parsed, closing(_ahead(parsed, encoded)) as batches:
            for codes, uniques, text in batches:
                rows.add_encoded(codes, uniques, text, skip + 1 + rows.seen)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeError):
        rows = _pandas_rows(path, encoding, skip, rows.fresh)
    finally:
        fh.close()
    pa.default_memory_pool().release_unused()
    return rows


_END = object()


def _ahead(items: Iterable, work: Callable) -> Iterator:
    """`work(item)` of each item, computed in a thread one item ahead of the caller, in order: Arrow parses the
    next block and encodes its cells (mostly without the GIL) while the caller classifies and keeps the rows of
    the last one. An exception in the thread is raised here, where that item would have come; closing the
    generator (or an exception in the caller) stops the thread, which finishes the item in hand first."""
    out: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(entry: tuple) -> bool:
        while not stop.is_set():
            try:
                out.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((work(item), None)):
                    return
            put((_END, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, who raises it
            put((None, exc))

    thread = threading.Thread(target=produce, name="csv-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            result, exc = out.get()
            if exc is not None:
                raise exc
            if result is _END:
                return
            yield result
    finally:
        stop.set()
        thread.join()


def _as_is(item: object) -> object:
    return item


def _pandas_rows(path: Path, encoding: str, skip: int, fresh) -> Rows:
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
        raise too_wide(width)
    try:
        return _chunked_read(path, {**kwargs, "names": list(range(width))}, skip, fresh())
    except pd.errors.ParserError as exc:
        raise _csv_error(exc, skip + 1) from exc


def _chunked_read(path: Path, kwargs: dict, skip: int, rows: Rows) -> Rows:
    with pd.read_csv(path, **kwargs) as chunks:
        for chunk in chunks:
            if chunk.shape[1] > MAX_COLUMNS:
                raise too_wide(chunk.shape[1])
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

