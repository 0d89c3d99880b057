"""Reporting periods (quarters `2026Q3` and years `2026`): bounds, status and elapsed share on a given day.

Offices deliver a quarter's records for some days after it ends, so a quarter stays `provisional` until
the region's delivery grace period has passed, and only then is `closed`. Every function takes the day
it judges from ("today") as an argument, so a run, a report and a test all see the same answer for the
same day; `calendar.local_today` is the one place that reads the clock.
"""

from __future__ import annotations

from datetime import date, timedelta

from quality_pipeline.calendar import bounds

PROVISIONAL, CLOSED = "provisional", "closed"


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


def period_start_sql(grain: str, column: str) -> str:
    """The first day of the `grain` period of the DATE column `column`: rows grouped by it have only each
    group's period named by `period_sql` (naming it on every row formats a string per row: bench/results.md)."""
    return f"CAST(date_trunc('{grain}', {column}) AS DATE)"
