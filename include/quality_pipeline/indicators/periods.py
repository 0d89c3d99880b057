"""Reporting periods (quarters `2026Q3` and years `2026`): bounds, status and elapsed share on a given day.

Offices deliver a quarter's records for some days after it ends, so a quarter stays `provisional` until
the region's delivery grace period has passed, and only then is `closed`. Every function takes the day
it judges from ("today") as an argument, so a run, a report and a test all see the same answer for the
same day; `local_today` is the one place that reads the clock.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Asia/Shanghai")
PROVISIONAL, CLOSED = "provisional", "closed"
_PERIOD = re.compile(r"^(\d{4})(?:Q([1-4]))?$")


def local_today() -> date:
    """Today in the district's time zone (the default 'today' of a run, never used inside a test)."""
    return datetime.now(TIMEZONE).date()


def bounds(period: str) -> tuple[date, date]:
    """First and last day of a quarter (2026Q3) or a year (2026)."""
    match = _PERIOD.match(str(period))
    if not match:
        raise ValueError(f"not a quarter like 2026Q3 or a year like 2026: {period!r}")
    year = int(match.group(1))
    if match.group(2) is None:
        return date(year, 1, 1), date(year, 12, 31)
    q = int(match.group(2))
    first = date(year, 3 * q - 2, 1)
    last = date(year, 12, 31) if q == 4 else date(year, 3 * q + 1, 1) - timedelta(days=1)
    return first, last


def status(period: str, today: date, grace_days: int) -> str:
    """`closed` once more than `grace_days` days have passed since the period ended, else `provisional`."""
    return CLOSED if today > bounds(period)[1] + timedelta(days=grace_days) else PROVISIONAL


def elapsed_share(period: str, today: date) -> float:
    """Share of the period's days up to and including `today`, between 0 and 1."""
    first, last = bounds(period)
    days = (last - first).days + 1
    return min(max(((today - first).days + 1) / days, 0.0), 1.0)


def current_status(period: str, stored: str | None, today: date, grace_days: int) -> str:
    """The status a reader should show: a period stored as closed stays closed; one stored as provisional
    (or before statuses existed) is closed once its grace period has passed by `today`."""
    return CLOSED if stored == CLOSED else status(period, today, grace_days)


# The period a date falls in, as SQL over a DATE column (the grains a period-snapshot feed restates): the
# same labels as the marts (2026Q3) and as report months (2026-09).
PERIOD_SQL = {
    "quarter": "(strftime({column}, '%Y') || 'Q' || quarter({column}))",
    "month": "strftime({column}, '%Y-%m')",
}


def period_sql(grain: str, column: str) -> str:
    """The SQL expression of the `grain` period ('quarter' or 'month') of the DATE column `column`."""
    return PERIOD_SQL[grain].format(column=column)
