"""Read one delivered file (xlsx or csv) into a frame of cleaned cell values under canonical column names.

What is not a data row (title, blank, notes, totals, a repeated header) is skipped
and counted; what cannot be read at all raises `ExtractRejected` with a reason in
Chinese and English that a clerk can act on. Hostile input (a zip bomb, a 200 MB line,
broken quoting, mixed encodings, 10,000 columns) ends in such a rejection, never in a
crash, and within bounded time and memory.

Cells are handled column by column: each distinct value is cleaned once, and rows are
classified with array operations, so a million rows cost seconds, not minutes.

This module dispatches on the file's type and turns any unexpected failure into a rejection; the
rooms behind it: `parsing.csvfile` (CSV), `parsing.sheets` (XLSX), `parsing.rows` (which rows are
data, the canonical frame), `parsing.cells` (cell cleaning), `parsing.frame` (the frame's contract).
"""

from __future__ import annotations

import logging
from pathlib import Path

from quality_pipeline.feeds import Feed
from quality_pipeline.parsing.csvfile import read_csv
from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.frame import RawExtract
from quality_pipeline.parsing.rows import RowSink
from quality_pipeline.parsing.sheets import read_xlsx

__all__ = ["SUPPORTED_SUFFIXES", "RawExtract", "RowSink", "read_extract"]

log = logging.getLogger(__name__)
SUPPORTED_SUFFIXES = (".xlsx", ".csv")


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
        return read_csv(path, feed, sink) if suffix == ".csv" else read_xlsx(path, feed)
    except ExtractRejected:
        raise
    except MemoryError as exc:
        raise ExtractRejected("too_large", "文件过大，无法在内存限制内读取，请拆分后重新报送",
                              "the file is too large to read within the memory limit; split it and deliver again") from exc
    except Exception as exc:  # a file must never crash the run: say what happened, keep the trace in the log
        log.exception("unexpected error reading %s", path)
        raise ExtractRejected("unreadable", f"文件无法读取（{type(exc).__name__}: {exc}）",
                              f"the file cannot be read ({type(exc).__name__}: {exc})") from exc

