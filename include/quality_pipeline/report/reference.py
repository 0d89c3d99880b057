"""Optional section: stock figures from reference data kept by hand (`ref.*`), shown when the tables exist.

The seeds are loaded by another part of the project; a warehouse without them (or with a different shape)
simply has no such section. Each source is used only when its table has every column the query needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from quality_pipeline.sql_files import sql_file


@dataclass(frozen=True)
class StockFigure:
    group_zh: str
    group_en: str
    label: str
    value: float | None
    unit_zh: str


# table → (query file, group labels, unit, columns the query needs)
SOURCES = {
    "standards": ("ref_standards", "主导或参与制定标准", "Standards led or co-drafted", "项",
                  {"level", "published_date"}),
    "brands": ("ref_brands", "品牌存量", "Brand titles in force", "个",
               {"kind", "awarded_date", "expires_date"}),
    "construction_quality": ("ref_construction_quality", "建设工程质量", "Construction quality (quarter)", "",
                             {"quarter", "projects_inspected", "acceptance_pass_rate", "quality_awards"}),
}


def _ref_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_catalog = current_database() AND table_schema = 'ref'"
    ).fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    return columns


def stock_figures(con: duckdb.DuckDBPyConnection, quarter_end: date) -> list[StockFigure]:
    """Every stock figure the warehouse can give for the quarter; empty without `ref.*` tables."""
    available = _ref_columns(con)
    figures = []
    for table, (query, group_zh, group_en, unit, needed) in SOURCES.items():
        if not needed <= available.get(table, set()):
            continue
        sql = sql_file(__file__, query)
        for label, value in con.execute(sql, {"quarter_end": quarter_end}).fetchall():
            figures.append(StockFigure(group_zh, group_en, str(label), value, unit))
    return figures


SAMPLE_ZH, SAMPLE_EN = "示例数据", "sample data"


def sample_data_note(con: duckdb.DuckDBPyConnection) -> str | None:
    """Why this warehouse's report is sample data, or None when it is not: the sample seeds are loaded, or
    files the demo generator made (recorded from the mark it writes in each file, `headers.GENERATED_MARK`).

    The committed seeds are made up (their version ends in `-sample`), and so are demo extracts. A report
    built on either must never pass for the district's, so every page and workbook of it carries the mark.
    """
    notes = [note for note in (_sample_seeds(con), _demo_extracts(con)) if note]
    return "；".join(notes) if notes else None


def _sample_seeds(con: duckdb.DuckDBPyConnection) -> str | None:
    if "seed_versions" not in _ref_columns(con):
        return None
    row = con.execute(sql_file(__file__, "sample_seeds")).fetchone()
    if row is None:
        return None
    return (f"存量数据来自示例参考数据（版本 {row[0]}），不是本区的真实台账 / the stock figures come from the sample "
            f"reference seeds (version {row[0]}), not the district's registers")


def _demo_extracts(con: duckdb.DuckDBPyConnection) -> str | None:
    from quality_pipeline.parsing.headers import GENERATED_BY

    has_files = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                            "AND schema_name = 'audit' "
                            "AND table_name = 'files'").fetchone()[0]
    if not has_files:
        return None
    row = con.execute(sql_file(__file__, "demo_extracts"),
                      {"generated_by": GENERATED_BY}).fetchone()
    if row is None:
        return None
    return (f"本报告的数据含演示生成器生成的 {row[0]} 个示例文件（如 {row[1]}），不是本区的真实报送 / the figures "
            f"include {row[0]} file(s) made by the demo generator (e.g. {row[1]}), not the district's deliveries")
