"""Quarter codes (`2026Q3`): validation, calendar bounds and labels."""

from __future__ import annotations

import re
from datetime import date, timedelta

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_ZH_NUMERALS = "一二三四"


def parse(quarter: str) -> tuple[int, int]:
    match = _QUARTER.match(str(quarter))
    if not match:
        raise ValueError(f"not a quarter code like 2026Q3: {quarter!r}")
    return int(match.group(1)), int(match.group(2))


def start(quarter: str) -> date:
    year, q = parse(quarter)
    return date(year, 3 * q - 2, 1)


def end(quarter: str) -> date:
    year, q = parse(quarter)
    return date(year, 12, 31) if q == 4 else date(year, 3 * q + 1, 1) - timedelta(days=1)


def previous(quarter: str) -> str:
    year, q = parse(quarter)
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def label_zh(quarter: str) -> str:
    """2026Q3 → 2026年第三季度"""
    year, q = parse(quarter)
    return f"{year}年第{_ZH_NUMERALS[q - 1]}季度"


def label_short(quarter: str) -> str:
    """2026Q3 → 2026 Q3 (chart axis)"""
    year, q = parse(quarter)
    return f"{year} Q{q}"

