"""The row conditions of the project's custom expectations, as plain pandas functions (no GX import).

`custom_expectations` wraps each one in a GX metric provider, and `fast_rules` calls the very same function on
a whole part before GX re-checks a sample and every failing row: one definition, so the two cannot drift.
Each takes the column(s) after GX's domain filtering (nulls dropped for a column, `ignore_row_if` for a pair)
and returns a boolean Series on the same index, True where the row meets the rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from quality_pipeline.parsing.uscc import uscc_is_valid
from quality_pipeline.parsing.values import text_list_items
from quality_pipeline.validation.never_falls import not_fallen


def _per_distinct(column: pd.Series, fn) -> pd.Series:
    codes, uniques = pd.factorize(column)  # each distinct value checked once; a missing one (-1) passes
    verdict = np.array([bool(fn(u)) for u in uniques] + [True], dtype=bool)
    return pd.Series(verdict[codes], index=column.index)


def valid_uscc(column: pd.Series) -> pd.Series:
    return _per_distinct(column, lambda u: uscc_is_valid(str(u)))


def items_in_set(column: pd.Series, value_set) -> pd.Series:
    allowed = set(value_set)
    return _per_distinct(column, lambda u: all(item in allowed for item in text_list_items(str(u))))


def in_window(column: pd.Series, min_value, max_value) -> pd.Series:
    days = pd.to_datetime(column)
    return (days >= pd.Timestamp(min_value)) & (days <= pd.Timestamp(max_value))


def parsed(column_a: pd.Series, column_b: pd.Series) -> pd.Series:
    return column_a.isna() | column_b.notna()


def at_most_times(column_a: pd.Series, column_b: pd.Series, factor: float) -> pd.Series:
    return pd.to_numeric(column_a) <= pd.to_numeric(column_b) * factor + 1e-9


def in_order(column_a: pd.Series, column_b: pd.Series) -> pd.Series:
    return column_a <= column_b


def not_fell(column_a: pd.Series, column_b: pd.Series) -> pd.Series:
    return not_fallen(column_a, column_b)
