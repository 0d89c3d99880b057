"""The rule "a cumulative figure never falls" (progress, money spent), in one place.

A column declared `never_falls: true` in its feed is compared with its value of the previous
report month for the same key, taken from the warehouse or from earlier months of the same file:
loading adds that value as `__prev_<column>` (`previous_values`), the row suite flags a row whose
value is below it (`expectation`, checked by `not_fallen`), the contract documents it (`DESCRIPTION`)
and the demo plants falls under the same rule code (`RULE`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from quality_pipeline.feeds import Feed
from quality_pipeline.parsing.frame import prev_name
from quality_pipeline.sql_files import sql_file

if TYPE_CHECKING:
    import duckdb

RULE = "never_falls"  # rule code in suites, audit.row_flags and the demo's answer key
TOLERANCE = 1e-9  # a value equal to the previous one up to float noise has not fallen
DESCRIPTION = "never falls month on month (flag)"


def columns(feed: Feed) -> list[str]:
    """The feed's columns that must never fall."""
    return [c.name for c in feed.columns if c.never_falls]


def not_fallen(current: pd.Series, previous: pd.Series) -> pd.Series:
    """Row by row: the value is at least the previous one (rows missing either are left to GX's ignore rule)."""
    return pd.to_numeric(current) >= pd.to_numeric(previous) - TOLERANCE


def reason(header: str, name: str) -> tuple[str, str]:
    """(Chinese, English) reason of a flagged fall."""
    return f"「{header}」比上一报告期减少", f"{name} fell since the previous report month"


def expectation_kwargs(name: str) -> dict:
    """The `expect_column_pair_values_to_not_fall` arguments for one column."""
    return {"column_A": name, "column_B": prev_name(name)}


def previous_values(con: duckdb.DuckDBPyConnection, feed: Feed, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with `__prev_<column>` for each never-falling column: the value of the latest earlier report
    month for the row's key, from `core.<feed>` and this frame together (the largest value within a month)."""
    cols = columns(feed)
    if not cols or not len(frame):
        return frame
    key, month = feed.key[0], feed.event_date
    this = frame[[key, month, *cols]].reset_index(names="__idx")
    con.register("this_file", this)
    try:
        sql = sql_file(__file__, "previous_values").format(
            key=key, month=month, table=f"core.{feed.name}", columns=", ".join(cols),
            maxima=", ".join(f"max({c}) AS {c}" for c in cols),
            previous=", ".join(f"h.{c} AS {prev_name(c)}" for c in cols))
        prev = con.execute(sql).df().set_index("__idx")
    finally:
        con.unregister("this_file")
    out = frame.copy()
    for c in cols:
        out[prev_name(c)] = pd.to_numeric(prev[prev_name(c)].reindex(out.index), errors="coerce")
    return out
