"""Vintages: a quarter's figures frozen when it is published, so later restatements stay visible.

`publish_vintage` copies the quarter's rows of `marts.quarterly_indicators` into
`marts.indicator_vintages` under a new `vintage_id`, and the rows of its year to date
from `marts.annual_indicators` into `marts.annual_indicator_vintages` under the same id
(what a quarterly report shows is the quarter and the year so far); vintages are never
updated or deleted. `marts.indicator_restatements` and `marts.annual_indicator_restatements`
compare every vintage with the current figures. Publishing is idempotent per run: when the same run already froze figures
identical to today's for the quarter (a task retry), its vintage is returned and no new
one is made. A different run, or the same run after the figures changed, always makes a
new vintage, because each publication is an event someone may have reported.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from quality_pipeline.calendar import closed_quarter, is_quarter, parse_quarter
from quality_pipeline.sql_files import sql_file
from quality_pipeline.warehouse.sequences import VINTAGE_ID, next_value
from quality_pipeline.warehouse.transaction import transaction


def quarters_to_publish_at_close(today: date | datetime) -> list[str]:
    """The quarter that closed before `today`'s quarter began: [2026Q2] for any day of 2026Q3.

    An aware datetime is read in the region's time zone first: Airflow's logical date of the quarter-close
    run (03:00 on 1 July in Shanghai) is still 30 June in UTC.
    """
    return [closed_quarter(today)]


def _unchanged_vintage(con: duckdb.DuckDBPyConnection, quarter: str, run_id: str) -> int | None:
    """The newest vintage of this quarter by this run, if nothing has been restated since."""
    row = con.execute(
        "SELECT max(vintage_id) FROM marts.indicator_vintages WHERE quarter = ? AND published_by_run = ?",
        [quarter, run_id],
    ).fetchone()
    if row[0] is None:
        return None
    restated = con.execute(sql_file(__file__, "vintage_restatements"), {"v": row[0]}).fetchone()[0]
    return None if restated else row[0]


def publish_vintage(con: duckdb.DuckDBPyConnection, quarter: str, run_id: str,
                    published_at: datetime | None = None) -> int:
    """Freeze the quarter's current rows of `marts.quarterly_indicators`, and its year's rows of
    `marts.annual_indicators` (if any), as a vintage; return its vintage_id."""
    if not is_quarter(quarter):
        raise ValueError(f"quarter must look like 2026Q2, not {quarter!r}")
    if not run_id:
        raise ValueError("run_id is required: it makes publishing idempotent per run")
    with transaction(con):
        rows = con.execute("SELECT count(*) FROM marts.quarterly_indicators WHERE quarter = ?",
                           [quarter]).fetchone()[0]
        if not rows:
            raise ValueError(f"marts.quarterly_indicators has no rows for {quarter}: nothing to publish")
        vintage_id = _unchanged_vintage(con, quarter, run_id)
        if vintage_id is None:
            vintage_id = next_value(con, VINTAGE_ID)
            at = published_at or datetime.now()
            frozen = {"vintage_id": vintage_id, "published_at": at, "run_id": run_id}
            con.execute(sql_file(__file__, "freeze_quarter_vintage"), {**frozen, "quarter": quarter})
            con.execute(sql_file(__file__, "freeze_annual_vintage"), {**frozen, "year": parse_quarter(quarter)[0]})
    return vintage_id


def latest_vintage(con: duckdb.DuckDBPyConnection, quarter: str) -> int | None:
    """The vintage of `quarter` reported last, or None if it was never published."""
    return con.execute("SELECT max(vintage_id) FROM marts.indicator_vintages WHERE quarter = ?",
                       [quarter]).fetchone()[0]
