"""Compute `marts.quarterly_indicators` from the warehouse and replace the affected quarters in one transaction."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import yaml

from quality_pipeline.indicators.quality_index import index_rows, load_index_config
from quality_pipeline.region import Region
from quality_pipeline.settings import PACKAGE_DIR, WAREHOUSE_SQL_DIR

INDICATOR_SQL_DIR = WAREHOUSE_SQL_DIR / "marts" / "indicators"
INDICATORS_FILE = PACKAGE_DIR / "config" / "indicators.yaml"
COLUMNS = ["quarter", "indicator", "scope", "value", "numerator", "denominator", "target", "target_met", "unit"]


def indicator_config(path: Path = INDICATORS_FILE) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def raw_values(con: duckdb.DuckDBPyConnection, region: Region) -> pd.DataFrame:
    """Every indicator SQL file's rows: quarter, indicator, scope, value, numerator, denominator."""
    frames = []
    for path in sorted(INDICATOR_SQL_DIR.glob("*.sql")):
        sql = path.read_text(encoding="utf-8")
        params = {"streets": list(region.streets)} if "$streets" in sql else {}
        frames.append(con.execute(sql, params).df())
    if not frames:
        return pd.DataFrame(columns=COLUMNS[:6])
    return pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)


def _targets(values: pd.DataFrame, config: dict, n_streets: int) -> pd.DataFrame:
    def target(row) -> float | None:
        spec = config[row["indicator"]]
        if "target" not in spec:
            return None
        if row["scope"] != "district" and spec.get("target_street") == "divide_by_streets":
            return spec["target"] / n_streets
        return float(spec["target"])

    def met(row) -> bool | None:
        if row["target"] is None or pd.isna(row["target"]) or pd.isna(row["value"]):
            return None
        direction = config[row["indicator"]]["direction"]
        return bool(row["value"] >= row["target"] - 1e-9 if direction == "at_least" else row["value"] <= row["target"] + 1e-9)

    out = values.copy()
    out["target"] = out.apply(target, axis=1) if len(out) else []
    out["target_met"] = out.apply(met, axis=1) if len(out) else []
    out["unit"] = out["indicator"].map(lambda i: config[i]["unit"])
    return out


def compute(con: duckdb.DuckDBPyConnection, region: Region, index_file: Path) -> pd.DataFrame:
    values = raw_values(con, region)
    index = index_rows(values, load_index_config(index_file), len(region.streets))
    values = pd.concat([values, index], ignore_index=True) if len(index) else values
    unknown = set(values["indicator"]) - set(indicator_config())
    if unknown:
        raise ValueError(f"indicators without a unit/target entry in indicators.yaml: {sorted(unknown)}")
    out = _targets(values, indicator_config(), len(region.streets))
    return out[COLUMNS].sort_values(["quarter", "indicator", "scope"]).reset_index(drop=True)


def refresh(con: duckdb.DuckDBPyConnection, region: Region, index_file: Path,
            quarters: list[str] | None = None) -> pd.DataFrame:
    """Replace the rows of `quarters` (default: every quarter with data) with freshly computed ones."""
    table = compute(con, region, index_file)
    if quarters:
        table = table[table["quarter"].isin(quarters)]
    con.register("fresh_indicators", table)
    con.execute("BEGIN TRANSACTION")
    try:
        if quarters:
            con.execute("DELETE FROM marts.quarterly_indicators WHERE list_contains(?, quarter)", [quarters])
        else:
            con.execute("DELETE FROM marts.quarterly_indicators")
        con.execute("INSERT INTO marts.quarterly_indicators BY NAME SELECT * FROM fresh_indicators")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("fresh_indicators")
    return table
