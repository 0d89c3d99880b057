"""What the report shows, read from the published warehouse in one read-only session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from quality_pipeline.region import Region
from quality_pipeline.report import quarters
from quality_pipeline.report.reference import StockFigure, stock_figures

SQL_DIR = Path(__file__).resolve().parent / "sql"
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

    def series(self, indicator: str) -> list[dict]:
        """The district rows of one indicator, oldest quarter first."""
        return [r for r in self.history if r["indicator"] == indicator]

    def street_values(self, indicator: str) -> dict[str, dict]:
        return {r["street"]: r for r in self.streets if r["indicator"] == indicator}


def _rows(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> list[dict]:
    cursor = con.execute((SQL_DIR / f"{name}.sql").read_text(encoding="utf-8"), params or {})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def available_quarters(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r["quarter"] for r in _rows(con, "quarters")]


def load(con: duckdb.DuckDBPyConnection, quarter: str, region: Region, index_config: dict) -> ReportData:
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
    )
