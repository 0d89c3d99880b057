"""Read one delivered file (xlsx or csv) into a frame of cleaned cell values under canonical column names.

What is not a data row (title, blank, notes, totals, a repeated header) is skipped
and counted; what cannot be read at all raises `ExtractRejected` with a reason in
Chinese and English that a clerk can act on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from quality_pipeline.feeds import Feed
from quality_pipeline.parsing.encoding import detect_encoding
from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.headers import HeaderMatch, find_header
from quality_pipeline.parsing.values import clean_text

SUPPORTED_SUFFIXES = (".xlsx", ".csv")
ROW_COLUMN = "__row"
SHEET_COLUMN = "__sheet"
EXTRA_COLUMN = "__extra"
_TOTALS = re.compile(r"^(合计|总计|小计|累计|共计|总合计)[:：]?$")
_NOTES = re.compile(r"^(注|备注|说明|填表人|填报人|制表人|制表|审核人|审核|负责人|联系人|联系电话|填报日期|制表日期|填报单位)")


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

    @property
    def rows_read(self) -> int:
        return len(self.frame)


def read_extract(path: Path, feed: Feed) -> RawExtract:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ExtractRejected(
            "unsupported_type",
            f"不支持的文件类型「{path.suffix or '无扩展名'}」，请另存为 .xlsx 或 .csv",
            f"unsupported file type '{path.suffix or 'none'}'; save as .xlsx or .csv",
        )
    if path.stat().st_size == 0:
        raise ExtractRejected("empty", "文件为空", "the file is empty")
    if suffix == ".xlsx":
        from quality_pipeline.parsing.xlsx import read_xlsx_sheets

        sheets = read_xlsx_sheets(path)
        return _from_sheets(feed, sheets, encoding=None)
    return _read_csv(path, feed)


def _cell_text(value: object) -> object:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and value != value:
        return None
    if value == "":
        return None
    return value


def _is_blank(cells: list) -> bool:
    return all(c is None for c in cells)


def _skip_kind(cells: list, header_cells: list) -> str | None:
    """Why a row after the header is not data, or None if it is data."""
    filled = [c for c in cells if c is not None]
    if not filled:
        return "blank"
    first = "".join(str(filled[0]).split())
    if _TOTALS.match(first):
        return "totals"
    if len(filled) <= 3 and isinstance(filled[0], str) and _NOTES.match(first):
        return "notes"
    same = sum(1 for a, b in zip(cells, header_cells, strict=False) if a is not None and a == b)
    if same >= max(2, len([h for h in header_cells if h is not None]) // 2):
        return "repeated_header"
    return None


def _check_required(feed: Feed, match: HeaderMatch | None, where: str) -> None:
    if match is None:
        raise ExtractRejected(
            "no_header",
            f"{where}未找到可识别的表头（应包含如「{feed.required[0].header}」等列名）",
            f"{where and where + ': '}no recognisable header row (expected column names such as "
            f"'{feed.required[0].header}')",
        )
    missing = [c for c in feed.required if c.name not in match.matched]
    if missing:
        raise ExtractRejected(
            "missing_required_column",
            "缺少必填列：" + "、".join(c.header for c in missing),
            "required column missing: " + ", ".join(f"{c.header} ({c.name})" for c in missing),
        )


def _from_sheets(feed: Feed, sheets: list[tuple[str, list[list]]], encoding: str | None) -> RawExtract:
    """Find the data sheets (those with a recognisable header) and stack their data rows."""
    frames, header_text, multipliers, used, skipped = [], {}, {}, [], {}
    best_partial: HeaderMatch | None = None
    for name, rows in sheets:
        cleaned = [[_cell_text(v) for v in row] for row in rows[:40]]
        match = find_header(cleaned, feed)
        if match is None:
            continue
        if not all(c.name in match.matched for c in feed.required):
            if best_partial is None or len(match.matched) > len(best_partial.matched):
                best_partial = match
            continue
        frame, kinds = _sheet_frame(feed, name, rows, match)
        for kind, n in kinds.items():
            skipped[kind] = skipped.get(kind, 0) + n
        frames.append(frame)
        used.append(name)
        for pos, col in match.columns.items():
            header_text.setdefault(col, str(rows[match.row_index][pos]))
            multipliers.setdefault(col, _multiplier(feed, match, col))
    if not frames:
        _check_required(feed, best_partial, "")
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return RawExtract(
        feed=feed, frame=frame, header=header_text, multipliers=multipliers, sheets=used,
        encoding=encoding, rows_skipped=sum(skipped.values()), skipped=skipped,
    )


def _multiplier(feed: Feed, match: HeaderMatch, column: str) -> float:
    from quality_pipeline.parsing.headers import money_multiplier

    return money_multiplier(match, column) if feed.column(column).type == "money" else 1.0


def _sheet_frame(feed: Feed, sheet: str, rows: list[list], match: HeaderMatch) -> tuple[pd.DataFrame, dict]:
    header_cells = [_cell_text(v) for v in rows[match.row_index]]
    records: list[list] = []
    numbers: list[int] = []
    kinds: dict[str, int] = {}
    for i in range(match.row_index + 1, len(rows)):
        cells = [_cell_text(v) for v in rows[i]]
        kind = _skip_kind(cells, header_cells)
        if kind:
            if kind != "blank":
                kinds[kind] = kinds.get(kind, 0) + 1
            continue
        records.append(cells)
        numbers.append(i + 1)
    width = max([len(header_cells), *(len(r) for r in records)] or [0])
    frame = pd.DataFrame([r + [None] * (width - len(r)) for r in records], columns=range(width), dtype=object)
    out = _canonical_frame(frame, match, width)
    out.insert(0, ROW_COLUMN, pd.Series(numbers, dtype="int64"))
    out.insert(0, SHEET_COLUMN, sheet)
    return out, kinds


def _canonical_frame(frame: pd.DataFrame, match: HeaderMatch, width: int) -> pd.DataFrame:
    """Rename matched positions to canonical names and fold every other column into a JSON `__extra`."""
    out = pd.DataFrame({name: frame[pos] for pos, name in match.columns.items()}, index=frame.index)
    extra_names = dict(match.extras)
    for pos in range(width):
        if pos not in match.columns and pos not in extra_names and frame[pos].notna().any():
            extra_names[pos] = f"列{pos + 1}"
    if extra_names:
        sub = frame[list(extra_names)].rename(columns=extra_names)
        values = []
        for row in sub.to_dict(orient="records"):
            kept = {k: _jsonable(v) for k, v in row.items() if v is not None and v == v}
            values.append(json.dumps(kept, ensure_ascii=False) if kept else None)
        out[EXTRA_COLUMN] = pd.Series(values, index=out.index, dtype=object)
    else:
        out[EXTRA_COLUMN] = None
    return out


def _jsonable(value: object) -> object:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _read_csv(path: Path, feed: Feed) -> RawExtract:
    encoding = detect_encoding(path)
    head = _csv_head(path, encoding)
    cleaned = [[_cell_text(v) for v in row] for row in head]
    match = find_header(cleaned, feed)
    _check_required(feed, match, "")
    assert match is not None
    frame = _csv_body(path, encoding, match.row_index + 1)
    header_cells = cleaned[match.row_index]
    width = max(len(header_cells), frame.shape[1])
    frame = frame.reindex(columns=range(width))
    frame, numbers, skipped = _drop_csv_non_data(frame, header_cells, match.row_index + 2)
    out = _canonical_frame(frame, match, width)
    out.insert(0, ROW_COLUMN, numbers)
    out.insert(0, SHEET_COLUMN, None)
    multipliers = {c: _multiplier(feed, match, c) for c in match.matched}
    header_text = {col: str(head[match.row_index][pos]) for pos, col in match.columns.items()}
    return RawExtract(
        feed=feed, frame=out.reset_index(drop=True), header=header_text, multipliers=multipliers,
        sheets=[], encoding=encoding, rows_skipped=sum(skipped.values()), skipped=skipped,
    )


def _csv_head(path: Path, encoding: str) -> list[list[str]]:
    import csv
    import io

    with open(path, "rb") as fh:
        raw = fh.read(256 * 1024)
    text = raw.decode(encoding, errors="replace")
    lines = text.splitlines()[:40]
    return list(csv.reader(io.StringIO("\n".join(lines))))


def _csv_body(path: Path, encoding: str, skip: int) -> pd.DataFrame:
    """All records after the header as strings, without dropping or guessing anything."""
    kwargs = dict(
        header=None, skiprows=skip, dtype=str, keep_default_na=False, na_filter=False,
        skip_blank_lines=False, encoding=encoding, engine="c",
    )
    try:
        return pd.read_csv(path, **kwargs)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except pd.errors.ParserError:
        width = _max_fields(path, encoding)
        return pd.read_csv(path, names=list(range(width)), **kwargs)


def _max_fields(path: Path, encoding: str) -> int:
    import csv

    with open(path, encoding=encoding, newline="") as fh:
        return max((len(r) for r in csv.reader(fh)), default=0)


def _clean_series(series: pd.Series) -> pd.Series:
    """Vectorised clean_text for a column of strings: each distinct value is cleaned once."""
    uniques = pd.unique(series.dropna())
    mapping = {u: clean_text(u) for u in uniques}
    return series.map(mapping, na_action="ignore").astype(object).where(lambda s: s.notna(), None)


def _drop_csv_non_data(frame: pd.DataFrame, header_cells: list, first_line: int):
    """Clean every cell, then drop blank, totals, notes and repeated-header records (vectorised)."""
    frame = frame.apply(_clean_series) if len(frame) else frame
    numbers = pd.Series(range(first_line, first_line + len(frame)), index=frame.index, dtype="int64")
    if not len(frame):
        return frame, numbers, {}
    filled = frame.notna().sum(axis=1)
    first = frame[0].copy()
    lacking = first.isna() & (filled > 0)
    if lacking.any():
        first[lacking] = frame[lacking].bfill(axis=1).iloc[:, 0]
    first_text = first.astype(str).str.replace(r"\s", "", regex=True)
    totals = first_text.str.match(_TOTALS.pattern) & (filled > 0)
    notes = first_text.str.match(_NOTES.pattern) & (filled <= 3) & ~totals
    named = [h for h in header_cells if h is not None]
    same = sum((frame[pos] == cell).fillna(False) for pos, cell in enumerate(header_cells) if cell is not None)
    repeated = (same >= max(2, len(named) // 2)) & ~totals & ~notes if named else totals & False
    keep = (filled > 0) & ~totals & ~notes & ~repeated
    kinds = {k: int(v.sum()) for k, v in (("totals", totals), ("notes", notes), ("repeated_header", repeated))}
    return frame[keep].reset_index(drop=True), numbers[keep].reset_index(drop=True), {k: v for k, v in kinds.items() if v}
