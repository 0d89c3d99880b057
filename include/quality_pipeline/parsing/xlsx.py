"""Open an .xlsx workbook safely and stream the rows of its visible worksheets (calamine).

Before calamine inflates anything, the zip directory is checked: a part that would inflate
beyond a limit, or far more than real sheets compress, is refused (a zip bomb inflates to
gigabytes from a few megabytes; calamine itself only refuses parts that lie about their size).
Formulas are never evaluated: calamine returns the value Excel cached, or nothing. External
links are never followed. The 1904 date system is reported so serial dates can be read right, and
percent-formatted numbers become the text Excel shows (`parsing.formats`).
"""

from __future__ import annotations

import itertools
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.formats import as_percent_text, percent_cells

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_PARTS = 10_000
MAX_PART_BYTES = 512 << 20  # one part (a sheet's XML) inflated
MAX_TOTAL_BYTES = 1 << 30  # all parts inflated
MAX_RATIO = 100  # inflated / compressed, for parts above RATIO_FLOOR; real sheets compress 5-15x
RATIO_FLOOR = 1 << 20
MAX_MERGE_WIDTH = 16_384  # Excel's column limit
_EPOCH_1904 = date(1904, 1, 1)
_DATE1904 = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904\s*=\s*[\"'](?:1|true)[\"']")


def _check_container(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(_OLE_MAGIC):
        raise ExtractRejected(
            "encrypted_or_xls",
            "工作簿已设密码保护或为旧版 .xls 格式，请取消密码后另存为 .xlsx",
            "the workbook is password-protected or in the old .xls format; remove the password and save as .xlsx",
        )
    if not head.startswith(_ZIP_MAGIC):
        raise ExtractRejected(
            "not_xlsx", "文件不是有效的 .xlsx 工作簿（文件已损坏或扩展名有误）",
            "not a valid .xlsx workbook (the file is damaged or misnamed)",
        )


def _bomb(what_zh: str, what_en: str) -> ExtractRejected:
    return ExtractRejected(
        "zip_bomb",
        f"工作簿解压后过大（{what_zh}），疑似压缩炸弹或已损坏，未予读取；请将数据另存为 CSV 或拆分后重新报送",
        f"the workbook would inflate too far ({what_en}): a zip bomb or a damaged file, not read; "
        "save the data as CSV or split it and deliver again",
    )


def check_zip_directory(path: Path) -> bool:
    """Refuse an archive whose directory promises too much; return whether the workbook uses the 1904 date system.

    Only the directory is read (and the small workbook.xml, itself size-checked first), so nothing large is
    ever inflated here.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_PARTS:
                raise _bomb(f"{len(infos)} 个部件", f"{len(infos)} parts")
            total = 0
            for info in infos:
                if info.flag_bits & 0x1:
                    raise ExtractRejected(
                        "encrypted_or_xls", "工作簿部件已加密，请取消密码后另存为 .xlsx",
                        "a part of the workbook is encrypted; remove the password and save as .xlsx",
                    )
                total += info.file_size
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > MAX_PART_BYTES:
                    raise _bomb(f"{info.filename} 达 {info.file_size >> 20} MB",
                                f"{info.filename} is {info.file_size >> 20} MB")
                if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
                    raise _bomb(f"{info.filename} 压缩比 {ratio:.0f}:1", f"{info.filename} compressed {ratio:.0f}:1")
            if total > MAX_TOTAL_BYTES:
                raise _bomb(f"合计 {total >> 20} MB", f"{total >> 20} MB in all")
            names = {i.filename: i for i in infos}
            book = names.get("xl/workbook.xml")
            return bool(book and _DATE1904.search(zf.read(book)))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        raise ExtractRejected(
            "not_xlsx", f"文件不是有效的 .xlsx 工作簿（文件已损坏或扩展名有误）：{exc}",
            f"not a valid .xlsx workbook (the file is damaged or misnamed): {exc}",
        ) from exc


@dataclass
class Sheet:
    """One visible worksheet: its rows as an iterator (row i is Excel row i + 1) and its merged ranges."""

    name: str
    rows: Iterator[list]
    merges: list[tuple[int, int, int, int]]  # (first row, first column, last row, last column), 0-based
    height: int


@dataclass
class Workbook:
    date1904: bool
    sheets: Iterator[Sheet]


def _sheet(workbook, name: str, percent: set[tuple[int, int]] = frozenset()) -> Sheet:
    sheet = workbook.get_sheet_by_name(name)
    start = sheet.start or (0, 0)
    end = sheet.end or (0, 0)
    merges = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
    rows = sheet.iter_rows()
    first = next(rows, None)
    # calamine yields rows from Excel row 1 but columns from the first used column: put them back in place.
    offset = start[1] if first is not None and len(first) < end[1] + 1 else 0

    by_row: dict[int, list[int]] = {}
    for r, c in percent:
        by_row.setdefault(r, []).append(c)

    def formatted(i: int, row: list) -> list:
        for c in by_row.get(i, ()):
            if c < len(row):
                row[c] = as_percent_text(row[c])
        return row

    def aligned() -> Iterator[list]:
        if first is None:
            return
        pad = [""] * offset
        for i, r in enumerate(itertools.chain([first], rows)):
            r = pad + r if offset else r
            yield formatted(i, r) if by_row else r

    return Sheet(name=name, rows=aligned(), merges=merges, height=end[0] + 1 if sheet.end else 0)


def open_workbook(path: Path) -> tuple[Workbook, object]:
    """(the workbook's visible worksheets, a handle to close); raises ExtractRejected for anything unreadable."""
    import python_calamine

    _check_container(path)
    date1904 = check_zip_directory(path)
    percent = percent_cells(path)
    try:
        try:
            name = str(path).encode("utf-8") and str(path)
        except UnicodeEncodeError:  # a name that is not UTF-8: calamine only takes UTF-8 paths
            name = None
        if name is not None:
            workbook = python_calamine.CalamineWorkbook.from_path(name)
        else:
            with open(path, "rb") as fh:
                workbook = python_calamine.CalamineWorkbook.from_filelike(fh)
        visible = [m.name for m in workbook.sheets_metadata
                   if str(m.visible).endswith("Visible") and "WorkSheet" in str(m.typ)]
    except Exception as exc:  # calamine raises its own types for every kind of damage
        raise ExtractRejected(
            "unreadable_xlsx", f"无法打开工作簿：{exc}", f"cannot open the workbook: {exc}",
        ) from exc

    def sheets() -> Iterator[Sheet]:
        for name in visible:
            try:
                yield _sheet(workbook, name, percent.get(name, frozenset()))
            except Exception as exc:
                raise ExtractRejected(
                    "unreadable_xlsx", f"无法读取工作表「{name}」：{exc}", f"cannot read worksheet '{name}': {exc}",
                ) from exc

    return Workbook(date1904=date1904, sheets=sheets()), workbook


class Merges:
    """Vertical merges filled down as rows stream past: a cell inside a merged range takes the value of the
    range's top cell. Only ranges starting below `floor` apply, so a header cell never leaks into data."""

    def __init__(self, merges: list[tuple[int, int, int, int]], floor: int = -1):
        self._pending = sorted((m for m in merges if m[2] > m[0] and m[0] > floor), reverse=True)
        self._active: list[tuple[int, int, int, list]] = []  # (last row, first col, last col, values)

    def apply(self, r: int, row: list) -> list:
        if self._active:
            self._active = [a for a in self._active if a[0] >= r]
            for _last, c0, c1, top in self._active:
                for c in range(c0, min(c1 + 1, len(row))):
                    if row[c] in ("", None):
                        row[c] = top[c - c0]
        while self._pending and self._pending[-1][0] < r:  # rows never seen (the header area)
            self._pending.pop()
        while self._pending and self._pending[-1][0] == r:
            _r0, c0, r1, c1 = self._pending.pop()
            top = [row[c] if c < len(row) else "" for c in range(c0, min(c1, c0 + MAX_MERGE_WIDTH) + 1)]
            self._active.append((r1, c0, c0 + len(top) - 1, top))
        return row


def from_1904(value: object, kind: str) -> object:
    """A serial number of a 1904-system workbook as the date it means (calamine already converts cells that
    carry a date format); numbers that the value parser reads as yyyymmdd, yyyymm or a year stay numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return value
    number = float(value)
    if number.is_integer() and 10_000_000 <= number <= 99_999_999:
        return value
    if kind == "month" and ((number.is_integer() and 100_000 <= number <= 999_999) or 1000 <= number < 10_000):
        return value
    if not 0 <= number < 2_957_003:  # up to 9999-12-31
        return value
    return _EPOCH_1904 + timedelta(days=int(number))
