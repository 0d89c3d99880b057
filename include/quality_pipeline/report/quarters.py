"""Quarter codes (`2026Q3`) as the report shows them: labels, and the calendar's bounds under short names."""

from __future__ import annotations

from quality_pipeline.calendar import parse_quarter as parse
from quality_pipeline.calendar import previous_quarter as previous
from quality_pipeline.calendar import quarter_end as end
from quality_pipeline.calendar import quarter_name_zh
from quality_pipeline.calendar import quarter_start as start

__all__ = ["end", "label_short", "label_zh", "parse", "previous", "start"]


def label_zh(quarter: str) -> str:
    """2026Q3 → 2026年第三季度"""
    year, q = parse(quarter)
    return f"{year}年{quarter_name_zh(q)}"


def label_short(quarter: str) -> str:
    """2026Q3 → 2026 Q3 (chart axis)"""
    year, q = parse(quarter)
    return f"{year} Q{q}"

