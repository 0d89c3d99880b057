"""Header matching: find the header row of a sheet and map its cells to a feed's canonical columns.

Spellings are compared after NFKC (full-width brackets and letters become ASCII),
with whitespace and line breaks removed; a unit in brackets, after a slash, after `单位：`
or run on (`计划总投资万元`) is split off and kept for `parsing.units`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from quality_pipeline.feeds import Feed, unit_families
from quality_pipeline.parsing.units import TABLE_UNIT, looks_like_unit, scale_of

HEADER_SCAN_ROWS = 30
_UNIT = re.compile(r"^(?P<base>.*?)[(\[【〔](?P<unit>[^()\[\]【】〔〕]*)[)\]】〕]$")
_SLASH_UNIT = re.compile(r"^(?P<base>[^/]+?)/(?P<unit>.+)$")
_NOTE_UNIT = re.compile(r"^(?P<base>.+?)(?P<unit>单位:.+)$")
_BARE_UNIT = re.compile(r"^(?P<base>.+?)(?P<unit>千元|万元|亿元)$")


def _compact(cell: object) -> str:
    return "".join(unicodedata.normalize("NFKC", str(cell)).split())


def header_readings(cell: object) -> list[tuple[str, str | None, bool]]:
    """Every (base spelling, unit, unit-only form) a header cell can be read as, the cell as a whole first:
    `罚款金额(万)`, `罚款金额（单位：万元）`, `罚款金额/万元`, `罚款金额单位：万元`, `计划总投资万元`.
    A unit-only form (after a slash, `单位：`, run on) only names a column that has units: `受检单位/地址`
    is not the inspected unit."""
    text = _compact(cell)
    readings: list[tuple[str, str | None, bool]] = [(text, None, False)]
    for pattern in (_UNIT, _SLASH_UNIT, _NOTE_UNIT, _BARE_UNIT):
        match = pattern.match(text)
        if match and match.group("base"):
            readings.append((match.group("base"), match.group("unit") or None, pattern is not _UNIT))
    return readings


def normalise_header(cell: object) -> tuple[str, str | None]:
    """Return (base spelling, unit) of a header cell: `罚款金额（万元）` → (`罚款金额`, `万元`)."""
    readings = header_readings(cell)
    base, unit, _ = readings[1] if len(readings) > 1 else readings[0]
    return base, unit


# The first row of every file the demo generator writes (`quality_pipeline.demo`): a file that carries it above
# its header is recorded as generated (`audit.files.details.generated_by`), and a report built on such files
# is marked sample data. Matched whole, so no office's title could carry it by chance.
GENERATED_MARK = "示例数据：由质量强区演示生成器生成，不是真实台账 / sample data made by the quality pipeline's demo generator"
GENERATED_BY = "quality_pipeline.demo"
_MARK = "".join(unicodedata.normalize("NFKC", GENERATED_MARK).split())


@dataclass
class HeaderMatch:
    """Where the header is and what each of its cells means."""

    row_index: int  # 0-based index into the sheet's rows
    columns: dict[int, str]  # cell position -> canonical column
    units: dict[str, str] = field(default_factory=dict)  # canonical column -> unit written in its header
    extras: dict[int, str] = field(default_factory=dict)  # cell position -> header text of an unknown column
    duplicates: dict[int, str] = field(default_factory=dict)  # second occurrence of a canonical column
    table_unit: str | None = None  # `单位：万元` written above the header
    row_units: dict[str, str] = field(default_factory=dict)  # canonical column -> unit in a row below the header
    generated_by: str | None = None  # GENERATED_BY when the demo generator's mark is above the header

    @property
    def data_start(self) -> int:
        """Index of the first row after the header (and after its unit row, when there is one)."""
        return self.row_index + (2 if self.row_units else 1)

    def written_units(self, feed: Feed) -> dict[str, list[str]]:
        """Every unit written for each column: its header, the unit row, and (amounts only) the title's."""
        out: dict[str, list[str]] = {}
        for name in self.matched:
            found = [u for u in (self.units.get(name), self.row_units.get(name)) if u]
            if self.table_unit and feed.column(name).units == "yuan":
                found.append(self.table_unit)
            out[name] = list(dict.fromkeys(found))
        return out

    @property
    def matched(self) -> set[str]:
        return set(self.columns.values())


def spelling_index(feed: Feed) -> dict[str, str]:
    """Normalised spelling -> canonical column name, for every header and alias of the feed."""
    index: dict[str, str] = {}
    for column in feed.columns:
        for spelling in (*column.spellings, column.name):
            for base, _, unit_only in header_readings(spelling):  # `透明度(cm)` is also `透明度`
                if unit_only:
                    continue
                index.setdefault(base, column.name)
                index.setdefault(base.lower(), column.name)
    return index


def _lookup(cell: object, index: dict[str, str], with_units: set[str]) -> tuple[str | None, str | None]:
    """(canonical column, unit written in the header) of a header cell; the whole cell wins over a split."""
    for base, unit, unit_only in header_readings(cell):
        name = index.get(base) or index.get(base.lower())
        if name is not None and (not unit_only or name in with_units):
            return name, unit
    return None, None


def _match_row(cells: list, index: dict[str, str],
               with_units: set[str]) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    columns: dict[int, str] = {}
    units: dict[int, str] = {}
    duplicates: dict[int, str] = {}
    for pos, cell in enumerate(cells):
        if cell is None or cell == "":
            continue
        name, unit = _lookup(cell, index, with_units)
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
    with_units = {c.name for c in feed.columns if c.units}
    best: tuple[int, int] | None = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns, _, _ = _match_row(row, index, with_units)
        if len(columns) >= 2 and (best is None or len(columns) > best[1]):
            best = (i, len(columns))
    if best is None:
        return None
    row_index = best[0]
    cells = rows[row_index]
    columns, unit_pos, duplicates = _match_row(cells, index, with_units)
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
        generated_by=GENERATED_BY if any(_is_mark(cell) for row in rows[:row_index] for cell in row) else None,
        row_units=_unit_row(rows[row_index + 1] if row_index + 1 < len(rows) else [], columns, feed),
    )


def _squeezed(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _is_mark(cell: object) -> bool:
    """The demo generator's mark, however a reader normalised its punctuation and spaces."""
    return isinstance(cell, str) and _squeezed(cell) == _MARK


def _unit_row(cells: list, columns: dict[int, str], feed: Feed) -> dict[str, str]:
    """Units written in the row directly below the header (`万元` under `计划总投资`), or {} when that row is data.

    It is a unit row when no cell of it holds a digit, every filled cell looks like a unit, and it gives a
    unit to a column that has units, and either one of those units is known to its column or the row leaves
    every required text column empty (a data row fills them): a short word in the first data row is data."""
    filled = {pos: cell for pos, cell in enumerate(cells) if cell not in (None, "")}
    if not filled or not all(looks_like_unit(cell) for cell in filled.values()):
        return {}
    found = {columns[pos]: str(cell) for pos, cell in filled.items() if pos in columns}
    units = {name: unit for name, unit in found.items() if feed.column(name).units}
    if not units:
        return {}
    known = any(scale_of(unit_families()[feed.column(name).units], unit) is not None for name, unit in units.items())
    keys_empty = not any(feed.column(name).required and not feed.column(name).units for name in found)
    return units if known or keys_empty else {}


def _table_unit(title_rows: list[list]) -> str | None:
    """`单位：万元` written in a title or note row above the header."""
    for row in title_rows:
        for cell in row:
            if isinstance(cell, str):
                match = TABLE_UNIT.search(unicodedata.normalize("NFKC", cell))
                if match and any(ch in match.group("unit") for ch in "元千万亿"):  # not `单位：金平区…`
                    return match.group("unit")
    return None
