"""Compute `marts.quarterly_indicators` and `marts.annual_indicators` from the warehouse, and replace them.

One set of SQL files (`warehouse/marts/indicators/*.sql`) computes both: each is bound with `$period`
('quarter' or 'year'), so a year's rate is over the year's events, never an average of quarters, and with
`$periods`, the periods to compute (NULL: all). Every row carries its period's status (provisional or closed)
as of `today`, the run's day, which tests set.

`refresh` is incremental: it recomputes the quarters recorded in `marts.dirty_quarters` (those whose current
versions changed, `loading.current`) and any it is asked for, their years and the years still provisional
(a year to date is judged against the elapsed share of the year, which moves with `today`), and does nothing
when there are none; `full=True` recomputes everything. Either way it gives the rows a full recomputation
would (tests/unit/test_incremental_marts.py).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from quality_pipeline import calendar
from quality_pipeline.indicators import periods
from quality_pipeline.indicators.quality_index import index_rows, load_index_config
from quality_pipeline.region import Region
from quality_pipeline.settings import PACKAGE_DIR, WAREHOUSE_SQL_DIR
from quality_pipeline.sql_files import sql_file
from quality_pipeline.warehouse.transaction import transaction

INDICATOR_SQL_DIR = WAREHOUSE_SQL_DIR / "marts" / "indicators"
INDICATORS_FILE = PACKAGE_DIR / "config" / "indicators.yaml"
VALUE_COLUMNS = ["indicator", "scope", "value", "numerator", "denominator"]
COLUMNS = ["quarter", "indicator", "scope", "value", "numerator", "denominator", "target", "target_met", "unit",
           "period_status"]
ANNUAL_COLUMNS = ["year", "indicator", "scope", "value", "numerator", "denominator", "target", "target_met",
                  "on_track", "unit", "period_status", "through_quarter"]
ACCUMULATING_UNITS = ("count", "person-times", "yuan")  # figures that grow through a year, unlike rates and scores
QUARTERS_A_YEAR = 4


def indicator_config(path: Path = INDICATORS_FILE) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def raw_values(con: duckdb.DuckDBPyConnection, region: Region, period: str = "quarter",
               periods: list[str] | None = None) -> pd.DataFrame:
    """Every indicator SQL file's rows for `period` ('quarter' or 'year'), of the periods labelled `periods`
    (default: all): the period column, then indicator, scope, value, numerator, denominator."""
    if period not in ("quarter", "year"):
        raise ValueError(f"period must be 'quarter' or 'year', not {period!r}")
    con.execute(sql_file(__file__, "period_macros"))
    frames = []
    for path in sorted(INDICATOR_SQL_DIR.glob("*.sql")):
        sql = path.read_text(encoding="utf-8")
        params = {"period": period} if "$period" in sql else {}
        if "$periods" in sql:
            params["periods"] = None if periods is None else [str(p) for p in periods]
        if "$streets" in sql:
            params["streets"] = list(region.streets)
        frames.append(con.execute(sql, params).df().rename(columns={"period": period}))
    if not frames:
        return pd.DataFrame(columns=[period, *VALUE_COLUMNS])
    return pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)


def _target_for(spec: dict, key: str, scope: str, n_streets: int) -> float | None:
    if key not in spec:
        return None
    if scope != "district" and spec.get("target_street") == "divide_by_streets":
        return spec[key] / n_streets
    return float(spec[key])


def _meets(value, target, direction: str) -> bool | None:
    if target is None or pd.isna(target) or value is None or pd.isna(value):
        return None
    return bool(value >= target - 1e-9 if direction == "at_least" else value <= target + 1e-9)


def _targets(values: pd.DataFrame, config: dict, n_streets: int, key: str = "target") -> pd.DataFrame:
    """Add target (from `key` of indicators.yaml), target_met and unit."""
    out = values.copy()
    targets = [_target_for(config[i], key, s, n_streets) for i, s in zip(out["indicator"], out["scope"], strict=True)]
    out["target"] = pd.Series(targets, index=out.index, dtype=object)
    out["target_met"] = pd.Series(
        [_meets(v, t, config[i].get("direction", "at_least"))
         for i, v, t in zip(out["indicator"], out["value"], out["target"], strict=True)],
        index=out.index, dtype=object)
    out["unit"] = out["indicator"].map(lambda i: config[i]["unit"])
    return out


def _check_known(values: pd.DataFrame, config: dict) -> None:
    unknown = set(values["indicator"]) - set(config)
    if unknown:
        raise ValueError(f"indicators without a unit/target entry in indicators.yaml: {sorted(unknown)}")


def compute(con: duckdb.DuckDBPyConnection, region: Region, index_file: Path,
            today: date | None = None, quarters: list[str] | None = None) -> pd.DataFrame:
    """Every quarter with data (or those of `quarters` that have data): one row per quarter × indicator ×
    scope, with its status as of `today`."""
    today = today or calendar.local_today()
    values = raw_values(con, region, "quarter", quarters)
    index = index_rows(values, load_index_config(index_file), len(region.streets))
    values = pd.concat([values, index], ignore_index=True) if len(index) else values
    config = indicator_config()
    _check_known(values, config)
    out = _targets(values, config, len(region.streets))
    out["period_status"] = out["quarter"].map(lambda q: periods.status(q, today, region.grace_days))
    return out[COLUMNS].sort_values(["quarter", "indicator", "scope"]).reset_index(drop=True)


def _through(quarters: pd.Series) -> dict[str, str]:
    """Per year, the latest quarter with any data (the year's figures run through it)."""
    years = quarters.str.slice(0, 4)
    return quarters.groupby(years).max().to_dict()


def year_elapsed_share(through_quarter: str, today: date) -> float:
    """The share of the year its figures cover: up to the end of `through_quarter`, or up to today when
    that quarter is still running."""
    last_day = min(today, calendar.bounds(through_quarter)[1])
    return periods.elapsed_share(str(calendar.parse_quarter(through_quarter)[0]), last_day)


def _on_track(row, config: dict, share: float) -> bool | None:
    """Against the annual target pro-rated to the elapsed share for a figure that accumulates, else the target."""
    target = row["target"]
    if target is not None and not pd.isna(target) and row["unit"] in ACCUMULATING_UNITS:
        target = target * share
    return _meets(row["value"], target, config[row["indicator"]].get("direction", "at_least"))


def compute_annual(con: duckdb.DuckDBPyConnection, region: Region, index_file: Path,
                   today: date | None = None, quarterly: pd.DataFrame | None = None,
                   years: list[int] | None = None) -> pd.DataFrame:
    """Every year with data (or those of `years`), to date: one row per year × indicator × scope (`quarterly`:
    the quarterly table, or at least its `quarter` column, which says which quarter each year runs through)."""
    today = today or calendar.local_today()
    if quarterly is None:
        quarterly = compute(con, region, index_file, today)
    values = raw_values(con, region, "year", None if years is None else [str(y) for y in years])
    if not len(values):
        return pd.DataFrame(columns=ANNUAL_COLUMNS)
    through = _through(quarterly["quarter"])
    shares = {year: year_elapsed_share(through[year], today) for year in values["year"].unique()}
    index = index_rows(values, load_index_config(index_file), len(region.streets), period="year",
                       scales={y: QUARTERS_A_YEAR * s for y, s in shares.items()})
    values = pd.concat([values, index], ignore_index=True) if len(index) else values
    config = indicator_config()
    _check_known(values, config)
    out = _targets(values, config, len(region.streets), key="annual_target")
    out["on_track"] = pd.Series([_on_track(r, config, shares[r["year"]]) for _, r in out.iterrows()],
                                index=out.index, dtype=object)
    out["through_quarter"] = out["year"].map(through)
    out["period_status"] = out["year"].map(lambda y: periods.status(y, today, region.grace_days))
    out["year"] = out["year"].astype(int)
    return out[ANNUAL_COLUMNS].sort_values(["year", "indicator", "scope"]).reset_index(drop=True)


_DELETE_QUARTERS = "DELETE FROM marts.quarterly_indicators WHERE $all OR list_contains($quarters, quarter)"
_INSERT_QUARTERS = "INSERT INTO marts.quarterly_indicators BY NAME SELECT * FROM fresh_quarters"
_DELETE_YEARS = "DELETE FROM marts.annual_indicators WHERE $all OR list_contains($years, year)"
_INSERT_YEARS = "INSERT INTO marts.annual_indicators BY NAME SELECT * FROM fresh_years"
_DIRTY = "SELECT DISTINCT quarter FROM marts.dirty_quarters ORDER BY quarter"
_CONSUME_DIRTY = "DELETE FROM marts.dirty_quarters WHERE $all OR list_contains($quarters, quarter)"


def _restamp(con: duckdb.DuckDBPyConnection, region: Region, today: date) -> None:
    """Bring the status of quarters this run did not recompute up to `today` (a quarter closes with time)."""
    stamps = pd.DataFrame(
        [(q, periods.status(q, today, region.grace_days))
         for (q,) in con.execute("SELECT DISTINCT quarter FROM marts.quarterly_indicators").fetchall()],
        columns=["quarter", "period_status"])
    if not len(stamps):
        return
    con.register("quarter_stamps", stamps)
    try:
        con.execute(sql_file(__file__, "restamp_quarter_status"))
    finally:
        con.unregister("quarter_stamps")


def dirty_quarters(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The quarters whose current versions changed since the marts last recomputed them."""
    return [q for (q,) in con.execute(_DIRTY).fetchall()]


def _years_to_recompute(con: duckdb.DuckDBPyConnection, quarters: list[str]) -> list[int]:
    """The years of `quarters`, and every stored year still provisional: its year to date is judged against
    the share of the year elapsed by today, and its status closes with time."""
    stored = con.execute("SELECT DISTINCT year FROM marts.annual_indicators "
                         "WHERE period_status IS DISTINCT FROM 'closed'").fetchall()
    return sorted({calendar.parse_quarter(q)[0] for q in quarters} | {int(y) for (y,) in stored})


def refresh(con: duckdb.DuckDBPyConnection, region: Region, index_file: Path,
            quarters: list[str] | None = None, today: date | None = None, *, full: bool = False) -> pd.DataFrame:
    """Recompute the dirty quarters (marts.dirty_quarters) and `quarters`, their years and the years still
    provisional, or with `full` every quarter and year; replace their rows, bring every other quarter's status
    up to `today` and clear what was dirty, in one transaction. Nothing at all when no quarter is dirty or
    asked for. Returns the quarterly rows written."""
    today = today or calendar.local_today()
    dirty = dirty_quarters(con)
    wanted = None if full else sorted(set(dirty) | set(quarters or ()))
    if wanted is not None and not wanted:
        return pd.DataFrame(columns=COLUMNS)
    table = compute(con, region, index_file, today, wanted)
    if wanted is None:
        years, shown = None, table
    else:  # each year runs through its latest quarter with any figures, computed now or kept
        kept = con.execute("SELECT DISTINCT quarter FROM marts.quarterly_indicators "
                           "WHERE NOT list_contains($q, quarter)", {"q": wanted}).df()
        years = _years_to_recompute(con, wanted)
        shown = pd.concat([kept, table[["quarter"]]], ignore_index=True)
    annual = compute_annual(con, region, index_file, today, quarterly=shown, years=years) if years != [] \
        else pd.DataFrame(columns=ANNUAL_COLUMNS)
    con.register("fresh_quarters", table)
    con.register("fresh_years", annual)
    everything = {"all": wanted is None, "quarters": wanted or [], "years": years or []}
    try:
        with transaction(con):
            con.execute(_DELETE_QUARTERS, {k: everything[k] for k in ("all", "quarters")})
            con.execute(_INSERT_QUARTERS)
            con.execute(_DELETE_YEARS, {k: everything[k] for k in ("all", "years")})
            con.execute(_INSERT_YEARS)
            _restamp(con, region, today)
            con.execute(_CONSUME_DIRTY, {"all": wanted is None, "quarters": dirty})
    finally:
        con.unregister("fresh_quarters")
        con.unregister("fresh_years")
    return table
