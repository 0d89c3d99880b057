"""XLSX workbooks: each visible sheet's header and data rows, merged cells filled, into one frame.

Sheets named as copies or references are skipped and said so; sheets whose header lacks a
required column are passed over; sheets that write one column in different units are refused.
Opening the workbook safely and streaming its rows is `parsing.xlsx`.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from quality_pipeline.feeds import Feed
from quality_pipeline.parsing.cells import cleaner
from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.frame import RawExtract
from quality_pipeline.parsing.headers import HEADER_SCAN_ROWS, HeaderMatch, find_header
from quality_pipeline.parsing.rows import MAX_COLUMNS, Rows, check_required, header_scales, too_wide
from quality_pipeline.parsing.xlsx import Merges, from_1904, open_workbook


def read_xlsx(path: Path, feed: Feed) -> RawExtract:
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
            scales = header_scales(feed, match)
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
        check_required(feed, best_partial)
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



_XLSX_BATCH = 50_000


def _sheet_frame(feed: Feed, sheet, date1904: bool):
    """(header match, canonical frame, skipped kinds, header row as written) of one sheet, or None."""
    rows = sheet.rows
    head = []
    for row in rows:
        head.append(row)
        if len(head) >= HEADER_SCAN_ROWS:
            break
    filled_head = Merges(sheet.merges)
    clean = cleaner()
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
    collected = Rows(match, header_cells, capacity=sheet.height - h)
    batch: list[list] = []

    def flush() -> None:
        width = max(len(r) for r in batch)
        if width > MAX_COLUMNS:
            raise too_wide(width)
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
            raise too_wide(len(row))
        batch.append(clean(merges.apply(r, row)))
        if len(batch) >= _XLSX_BATCH:
            flush()
    if batch:
        flush()
    frame = collected.frame(sheet.name)
    return match, frame, collected.skipped, header_row



def _sheets_disagree(feed: Feed, column: str, sheets: list[str]) -> ExtractRejected:
    """One frame carries one factor per column: sheets in different units cannot be loaded together."""
    header, names = feed.column(column).header, "、".join(sheets)
    return ExtractRejected(
        "unit_conflict",
        f"各工作表中「{header}」的单位不一致（{names}），请统一单位后重新报送",
        f"the sheets ({', '.join(sheets)}) write {column} ({header}) in different units; use one unit and deliver again",
    )


