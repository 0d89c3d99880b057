"""Number formats of xlsx cells that change what a number means: a percent format shows 0.5 as 50%.

calamine returns the bare number, so the styles and the sheet XML are read here, once, and only
when the workbook has a percent style at all. A percent-formatted number becomes the text a CSV
export shows (`50%`), so the same value gives the same typed result through either reader.
Date formats need nothing here (calamine turns such cells into dates); text-formatted numbers are
stored as text by Excel and arrive as text.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PERCENT_BUILTIN = {"9", "10"}
_QUOTED = re.compile(r'"[^"]*"|\\.')
_REF = re.compile(r"([A-Z]+)([0-9]+)")


def _percent_styles(zf: zipfile.ZipFile) -> set[str]:
    """Indices (as written in `s=`) of the cell styles whose number format is a percentage."""
    try:
        root = ElementTree.fromstring(zf.read("xl/styles.xml"))
    except KeyError:
        return set()
    custom = {f.get("numFmtId"): f.get("formatCode", "") for f in root.iter(f"{_NS}numFmt")}
    percent = _PERCENT_BUILTIN | {i for i, code in custom.items() if "%" in _QUOTED.sub("", code)}
    xfs = root.find(f"{_NS}cellXfs")
    if xfs is None:
        return set()
    return {str(i) for i, xf in enumerate(xfs.findall(f"{_NS}xf")) if xf.get("numFmtId") in percent}


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip part holding its XML."""
    book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    parts = {}
    for sheet in book.iter(f"{_NS}sheet"):
        target = targets.get(sheet.get(_REL), "")
        parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return parts


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def percent_cells(path: Path) -> dict[str, set[tuple[int, int]]]:
    """Per sheet name, the 0-based (row, column) of every number cell with a percent format; {} when the
    workbook has no percent style (the usual case: nothing else is read)."""
    try:
        with zipfile.ZipFile(path) as zf:
            styles = _percent_styles(zf)
            if not styles:
                return {}
            found: dict[str, set[tuple[int, int]]] = {}
            for name, part in _sheet_parts(zf).items():
                if part not in zf.namelist():
                    continue
                with zf.open(part) as fh:
                    found[name] = _styled_numbers(fh, styles)
            return found
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile):
        return {}  # a workbook calamine can read but these parts cannot: no formats, as before


def _styled_numbers(fh, styles: set[str]) -> set[tuple[int, int]]:
    cells: set[tuple[int, int]] = set()
    for _, element in ElementTree.iterparse(fh, events=("end",)):
        if element.tag == f"{_NS}c":
            if element.get("s") in styles and element.get("t", "n") == "n":
                match = _REF.fullmatch(element.get("r", ""))
                if match:
                    cells.add((int(match.group(2)) - 1, _column_index(match.group(1))))
            element.clear()
        elif element.tag == f"{_NS}row":
            element.clear()
    return cells


def as_percent_text(value: object) -> object:
    """0.5 -> `50%`, as Excel shows and exports the cell; anything but a number is left alone."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return value
    scaled = (Decimal(repr(value)) * 100).normalize()
    return f"{scaled:f}%"
