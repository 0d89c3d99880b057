"""The calendar of reporting: quarters (`2026Q3`), years, quarter arithmetic and the region's time zone.

Every quarter code, quarter boundary and "which day is it in the district" goes through here.
The time zone is a property of the region (`timezone:` in its file, Asia/Shanghai when absent);
it is read from the file named by the settings, once per file.
"""

from __future__ import annotations

import calendar as _gregorian
import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"
QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
PERIOD = re.compile(r"^(\d{4})(?:Q([1-4]))?$")  # a quarter (2026Q3) or a year (2026)


# --- the time zone -----------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _timezone_of(region_file: Path) -> str:
    import yaml

    try:
        data = yaml.safe_load(region_file.read_text(encoding="utf-8")) or {}
    except OSError:  # a missing region file fails where the region is loaded, with its own message
        return DEFAULT_TIMEZONE
    name = data.get("timezone", DEFAULT_TIMEZONE) if isinstance(data, dict) else DEFAULT_TIMEZONE
    ZoneInfo(str(name))  # an unknown zone fails here, by name
    return str(name)


def timezone_name(region_file: Path | None = None) -> str:
    """The region's time zone (IANA name), from `region_file` or the configured region file."""
    if region_file is None:
        from quality_pipeline.settings import load_settings

        region_file = load_settings().region_file
    return _timezone_of(Path(region_file))


def timezone(region_file: Path | None = None) -> ZoneInfo:
    return ZoneInfo(timezone_name(region_file))


def local_now() -> datetime:
    """Now, in the district's time zone."""
    return datetime.now(timezone())


def local_today() -> date:
    """Today in the district's time zone (the default 'today' of a run, never used inside a test)."""
    return local_now().date()


def local_day(moment: date | datetime) -> date:
    """The district's day of `moment`: an aware datetime is taken in the region's time zone first (Airflow's
    03:00 on 1 July in Shanghai is still 30 June in UTC); a naive one or a date as it is."""
    if isinstance(moment, datetime):
        return moment.astimezone(timezone()).date() if moment.tzinfo else moment.date()
    return moment


# --- quarters and years ------------------------------------------------------------------------------


def quarter_number(month: int) -> int:
    """1 to 4: the quarter a month (1 to 12) falls in."""
    return (month - 1) // 3 + 1


def quarter_code(year: int, q: int) -> str:
    return f"{year}Q{q}"


def quarter_name_zh(q: int) -> str:
    """3 → 第三季度"""
    return f"第{'一二三四'[q - 1]}季度"


def quarter_of(day: date) -> str:
    """2026-08-15 → 2026Q3"""
    return quarter_code(day.year, quarter_number(day.month))


def is_quarter(text: object) -> bool:
    return isinstance(text, str) and QUARTER.match(text) is not None


def parse_quarter(quarter: str) -> tuple[int, int]:
    """2026Q3 → (2026, 3); anything else raises ValueError."""
    match = QUARTER.match(str(quarter))
    if not match:
        raise ValueError(f"not a quarter code like 2026Q3: {quarter!r}")
    return int(match.group(1)), int(match.group(2))


def shift_quarter(quarter: str, n: int) -> str:
    """The quarter `n` quarters after (before, when negative) `quarter`."""
    year, q = parse_quarter(quarter)
    index = year * 4 + q - 1 + n
    return quarter_code(index // 4, index % 4 + 1)


def previous_quarter(quarter: str) -> str:
    return shift_quarter(quarter, -1)


def closed_quarter(moment: date | datetime) -> str:
    """The last quarter that had ended by `moment` (its day in the district): 2026-07-01 → 2026Q2."""
    return previous_quarter(quarter_of(local_day(moment)))


def month_end(year: int, month: int) -> date:
    return date(year, month, _gregorian.monthrange(year, month)[1])


def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    """(year, month) `n` months after (before, when negative) the given one."""
    index = year * 12 + month - 1 + n
    return index // 12, index % 12 + 1


def quarter_months(year: int, q: int) -> list[tuple[int, int]]:
    """The three (year, month) of a quarter."""
    return [(year, 3 * q - 2 + i) for i in range(3)]


def quarter_start(quarter: str) -> date:
    year, q = parse_quarter(quarter)
    return date(year, 3 * q - 2, 1)


def quarter_end(quarter: str) -> date:
    year, q = parse_quarter(quarter)
    return month_end(year, 3 * q)


def bounds(period: str) -> tuple[date, date]:
    """First and last day of a quarter (2026Q3) or a year (2026)."""
    match = PERIOD.match(str(period))
    if not match:
        raise ValueError(f"not a quarter like 2026Q3 or a year like 2026: {period!r}")
    year = int(match.group(1))
    if match.group(2) is None:
        return date(year, 1, 1), date(year, 12, 31)
    return quarter_start(period), quarter_end(period)
