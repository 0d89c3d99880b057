"""Header matching: find the header row of a sheet and map its cells to a feed's canonical columns.

Spellings are compared after NFKC (full-width brackets and letters become ASCII),
with whitespace and line breaks removed and a trailing unit in brackets split off.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from quality_pipeline.feeds import Feed

HEADER_SCAN_ROWS = 30
_UNIT = re.compile(r"^(?P<base>.*?)[(\[](?P<unit>[^()\[\]]*)[)\]]$")
_BARE_MONEY_UNIT = re.compile(r"^(?P<base>.+?)(?P<unit>万元|亿元)$")
_TABLE_UNIT = re.compile(r"(?:金额)?单位[:：]\s*(?P<unit>万元|亿元|元)")
MONEY_UNITS = {"元": 1.0, "万元": 10_000.0, "亿元": 100_000_000.0}


def normalise_header(cell: object) -> tuple[str, str | None]:
    """Return (base spelling, unit) of a header cell: `罚款金额（万元）` → (`罚款金额`, `万元`)."""
    text = unicodedata.normalize("NFKC", str(cell))
    text = "".join(text.split())
    match = _UNIT.match(text)
    if match and match.group("base"):
        return match.group("base"), match.group("unit") or None
    match = _BARE_MONEY_UNIT.match(text)
    if match:
        return match.group("base"), match.group("unit")
    return text, None


@dataclass
class HeaderMatch:
    """Where the header is and what each of its cells means."""

    row_index: int  # 0-based index into the sheet's rows
    columns: dict[int, str]  # cell position -> canonical column
    units: dict[str, str] = field(default_factory=dict)  # canonical column -> unit written in its header
    extras: dict[int, str] = field(default_factory=dict)  # cell position -> header text of an unknown column
    duplicates: dict[int, str] = field(default_factory=dict)  # second occurrence of a canonical column
    table_unit: str | None = None  # `单位：万元` written above the header

    @property
    def matched(self) -> set[str]:
        return set(self.columns.values())


def spelling_index(feed: Feed) -> dict[str, str]:
    """Normalised spelling -> canonical column name, for every header and alias of the feed."""
    index: dict[str, str] = {}
    for column in feed.columns:
        for spelling in (*column.spellings, column.name):
            base, _ = normalise_header(spelling)
            index.setdefault(base, column.name)
            index.setdefault(base.lower(), column.name)
    return index


def _match_row(cells: list, index: dict[str, str]) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    columns: dict[int, str] = {}
    units: dict[int, str] = {}
    duplicates: dict[int, str] = {}
    for pos, cell in enumerate(cells):
        if cell is None or cell == "":
            continue
        base, unit = normalise_header(cell)
        name = index.get(base) or index.get(base.lower())
        if name is None:
            continue
        if name in columns.values():
            duplicates[pos] = name
            continue
        columns[pos] = name
        if unit:
            units[pos] = unit
    return columns, units, duplicates


def find_header(rows: list[list], feed: Feed) -> HeaderMatch | None:
    """Pick the row among the first few that names the most canonical columns; None if no row names two."""
    index = spelling_index(feed)
    best: tuple[int, int] | None = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns, _, _ = _match_row(row, index)
        if len(columns) >= 2 and (best is None or len(columns) > best[1]):
            best = (i, len(columns))
    if best is None:
        return None
    row_index = best[0]
    cells = rows[row_index]
    columns, unit_pos, duplicates = _match_row(cells, index)
    extras: dict[int, str] = {}
    taken: set[str] = set()
    for pos, cell in enumerate(cells):
        if cell not in (None, "") and pos not in columns and pos not in duplicates:
            name = "".join(unicodedata.normalize("NFKC", str(cell)).split())
            extras[pos] = name if name not in taken else f"{name}#{pos + 1}"  # two 备注 columns: keep both
            taken.add(extras[pos])
    for pos, name in duplicates.items():
        extras[pos] = f"{name}#{pos + 1}"
    return HeaderMatch(
        row_index=row_index,
        columns=columns,
        units={columns[pos]: unit for pos, unit in unit_pos.items()},
        extras=extras,
        duplicates=duplicates,
        table_unit=_table_unit(rows[:row_index]),
    )


def _table_unit(title_rows: list[list]) -> str | None:
    for row in title_rows:
        for cell in row:
            if isinstance(cell, str):
                match = _TABLE_UNIT.search(unicodedata.normalize("NFKC", cell).replace(" ", ""))
                if match:
                    return match.group("unit")
    return None


def money_multiplier(match: HeaderMatch, column: str) -> float:
    """Yuan per written unit for a money column: its header's unit first, then a table-wide `单位：万元`."""
    unit = match.units.get(column) or match.table_unit
    return MONEY_UNITS.get(unit or "元", 1.0)
