"""What the report shows, read from the published warehouse in one read-only session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb

from quality_pipeline import calendar
from quality_pipeline.indicators import periods
from quality_pipeline.region import Region
from quality_pipeline.report import quarters
from quality_pipeline.report.reference import StockFigure, sample_data_note, stock_figures
from quality_pipeline.sql_files import sql_file

MAX_QUARTERS = 8  # quarters shown in the trend charts and tables


@dataclass
class ReportData:
    quarter: str
    region: Region
    index_config: dict
    district: dict[str, dict]  # indicator → row of the quarter (with previous_value)
    history: list[dict]  # district rows, quarter × indicator, up to the quarter
    streets: list[dict]  # street × indicator rows of the quarter
    projects: list[dict]  # one row per remediation project, at its latest report by quarter end
    data_as_of: datetime | None = None
    stock: list[StockFigure] = field(default_factory=list)
    today: date | None = None  # the day the report judges status and pace from
    status: str = periods.CLOSED  # provisional while the quarter is open or within its delivery grace
    elapsed: float = 1.0  # share of the quarter's days gone by on the report's day
    annual: dict[str, dict] = field(default_factory=dict)  # indicator → the year-to-date row (district)
    year_quarters: list[dict] = field(default_factory=list)  # district rows of the year's quarters
    sample_data: str | None = None  # why the report is sample data (shown on every page and sheet), if it is

    @property
    def provisional(self) -> bool:
        return self.status == periods.PROVISIONAL

    @property
    def year(self) -> int:
        return quarters.parse(self.quarter)[0]

    def series(self, indicator: str) -> list[dict]:
        """The district rows of one indicator, oldest quarter first."""
        return [r for r in self.history if r["indicator"] == indicator]

    def street_values(self, indicator: str) -> dict[str, dict]:
        return {r["street"]: r for r in self.streets if r["indicator"] == indicator}


def _rows(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> list[dict]:
    cursor = con.execute(sql_file(__file__, name), params or {})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def available_quarters(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r["quarter"] for r in _rows(con, "quarters")]


def quarter_statuses(con: duckdb.DuckDBPyConnection, today: date, grace_days: int) -> dict[str, str]:
    """Every quarter with indicators and its status on `today`, oldest first."""
    return {r["quarter"]: periods.current_status(r["quarter"], r["period_status"], today, grace_days)
            for r in _rows(con, "quarters")}


def latest_closed(statuses: dict[str, str]) -> str | None:
    """The newest closed quarter: what a report or the CLI shows unless asked for another."""
    closed = [q for q, s in statuses.items() if s == periods.CLOSED]
    return max(closed) if closed else None


def load(con: duckdb.DuckDBPyConnection, quarter: str, region: Region, index_config: dict,
         today: date | None = None) -> ReportData:
    today = today or calendar.local_today()
    statuses = quarter_statuses(con, today, region.grace_days)
    year = quarters.parse(quarter)[0]
    previous = quarters.previous(quarter)
    quarter_end = quarters.end(quarter)
    district = {r["indicator"]: r for r in _rows(con, "district_indicators",
                                                 {"quarter": quarter, "previous": previous})}
    return ReportData(
        quarter=quarter,
        region=region,
        index_config=index_config,
        district=district,
        history=_rows(con, "district_history", {"quarter": quarter, "max_quarters": MAX_QUARTERS}),
        streets=_rows(con, "street_indicators", {"quarter": quarter}),
        projects=_rows(con, "remediation_projects", {"quarter_end": quarter_end}),
        data_as_of=_rows(con, "data_as_of")[0]["data_as_of"],
        stock=stock_figures(con, quarter_end),
        sample_data=sample_data_note(con),
        today=today,
        status=statuses.get(quarter, periods.status(quarter, today, region.grace_days)),
        elapsed=periods.elapsed_share(quarter, today),
        annual={r["indicator"]: r for r in _rows(con, "annual_indicators", {"year": year})},
        year_quarters=[{**r, "period_status": statuses.get(r["quarter"], r["period_status"])}
                       for r in _rows(con, "year_quarters", {"year": year})],
    )
