"""Units of amounts and quantities: what a column's header, unit row or title says, as a factor to the stored unit.

Each column with units names its family in the feed declaration (`feeds/units.yaml`).
A unit nobody declared, or two units that disagree for one column, rejects the file:
a wrong factor would load every amount of the column wrong without a trace.
"""

from __future__ import annotations

import re
import unicodedata

from quality_pipeline.feeds import Column, Feed, UnitFamily, unit_families
from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.values import NUMBER, number_of, scaled, to_float

_QUANTITY = re.compile(rf"(?P<n>{NUMBER}) ?(?P<unit>\S.*)?")

_PREFIX = re.compile(r"^(?:计量|金额|货币)?单位[:：]?")
_BRACKETS = "()[]{}<>（）【】〔〕〈〉《》"
# `单位：万元` in a title or note row; not `填报单位：…` (the office that filled the form in).
TABLE_UNIT = re.compile(r"(?:^|[(\[\s,;，；、。]|金额|计量)单位[:：]\s*(?P<unit>[^\s,;，；、。()\[\]]{1,8})(?=$|[\s,;，；、。)\]])")


def unit_key(text: str) -> str:
    """A unit as written, compared without spaces, brackets, a `单位：` prefix or letter case."""
    compact = "".join(unicodedata.normalize("NFKC", str(text)).split())
    compact = compact.strip(_BRACKETS)
    compact = _PREFIX.sub("", compact).strip(_BRACKETS)
    compact = compact.removeprefix("人民币") if compact != "人民币" else "元"
    return compact.casefold()


def scale_of(family: UnitFamily, text: str) -> float | None:
    """The factor of a unit in a family, or None when the family does not know it."""
    key = unit_key(text)
    for unit, scale in family.scales.items():
        if unit_key(unit) == key:
            return scale
    return None


def looks_like_unit(text: object) -> bool:
    """Short text without digits, as a unit row holds (`万元`, `（万元）`, `单位：元`, `%`)."""
    if not isinstance(text, str):
        return False
    key = unit_key(text)
    return 0 < len(key) <= 6 and not any(ch.isdigit() for ch in key)


def _unknown(column: Column, text: str, family: UnitFamily) -> ExtractRejected:
    known = "、".join(family.scales)
    return ExtractRejected(
        "unknown_unit",
        f"「{column.header}」的单位「{text}」无法识别（可用：{known}），请改为可识别的单位后重新报送",
        f"the unit '{text}' of {column.name} ({column.header}) is not recognised (known: {known}); "
        "write one of these units and deliver again",
    )


def _conflict(column: Column, texts: list[str]) -> ExtractRejected:
    shown = "」「".join(texts)
    return ExtractRejected(
        "unit_conflict",
        f"「{column.header}」的单位前后不一致（「{shown}」），请只保留一个单位后重新报送",
        f"{column.name} ({column.header}) has units that disagree ({', '.join(texts)}); keep one and deliver again",
    )


def column_scale(column: Column, written: list[str]) -> float:
    """The factor to the stored unit of a column, from every unit written for it (header, unit row, title)."""
    if column.units is None:
        return 1.0
    family = unit_families()[column.units]
    scales = {}
    for text in written:
        scale = scale_of(family, text)
        if scale is None:
            raise _unknown(column, text, family)
        scales[text] = scale
    if len(set(scales.values())) > 1:
        raise _conflict(column, list(scales))
    return next(iter(scales.values()), family.scales[family.default])


def column_scales(feed: Feed, written: dict[str, list[str]], matched: set[str]) -> dict[str, float]:
    """Factor per matched column; raises ExtractRejected for an unknown unit or two that disagree."""
    return {name: column_scale(feed.column(name), written.get(name, [])) for name in sorted(matched)}


def parse_quantity(value: object, family: UnitFamily, multiplier: float = 1.0) -> float:
    """A measurement in the column's stored unit: `0.35m` in a centimetre column is 35; a unit written in the
    cell wins over the header's; a unit outside the family (`35kg` for a depth) raises, never drops silently."""
    number = number_of(value)
    if number is not None:
        return scaled(number, multiplier)
    match = _QUANTITY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"not a number: {value!r}")
    number = to_float(match["n"])
    if match["unit"]:
        scale = scale_of(family, match["unit"])
        if scale is None:
            raise ValueError(f"unit {match['unit']!r} is not one of {list(family.scales)}")
        multiplier = scale
    return scaled(number, multiplier)
