"""A row suite's verdicts computed on a whole frame without Great Expectations, for GX to confirm.

GX on pandas costs seconds per million rows for what are column comparisons; `Gate.validate_rows` calls
`unexpected` here on the whole part, then lets GX validate a sample of the rows plus every row found failing,
and keeps GX's outcomes. Each expectation is evaluated as GX's pandas engine does it: the same domain
(row condition, nulls dropped for a column rule, `ignore_row_if` for a pair, missing rows for a compound key)
and the same condition (GX's own expression for the built-ins, the functions of `validation.conditions` that
the custom expectations call). `tests/hostile/test_gx_agreement.py` checks that GX and this find the same
unexpected rows for every expectation over the demo deliveries and every loadable hostile file; on every
ingest GX re-checks the failing rows and a sample, and any disagreement sends the whole part back to GX.

No GX import here: it runs on the frame alone.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from quality_pipeline.validation import conditions


class Unsupported(ValueError):
    """An expectation this module does not evaluate (GX then validates the whole frame)."""


def _value(value: object, parameters: dict) -> object:
    if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
        return parameters[value["$PARAMETER"]]
    return value


def _domain(frame: pd.DataFrame, kwargs: dict) -> pd.Series:
    """Rows GX's pandas engine keeps before the condition: those matching `row_condition` (DataFrame.query)."""
    condition = kwargs.get("row_condition")
    if not condition:
        return pd.Series(True, index=frame.index)
    if kwargs.get("condition_parser") != "pandas" or not isinstance(condition, str):
        raise Unsupported(f"row_condition {condition!r}")
    kept = frame.query(condition, parser="pandas").index
    return pd.Series(frame.index.isin(kept), index=frame.index)


def _between(column: pd.Series, min_value, max_value, strict_min, strict_max) -> pd.Series:
    """GX's ColumnValuesBetween._pandas: vectorised on numpy and datetime dtypes, value by value otherwise."""
    if min_value is None and max_value is None:
        raise Unsupported("between without bounds")
    if column.dtype == object:  # GX compares value by value there, raising on text against a number
        raise Unsupported("between on an object column")
    if min_value is not None and max_value is not None and min_value > max_value:
        raise Unsupported("min_value above max_value")  # GX reports it as the expectation's error

    def low(values):
        return values > min_value if strict_min else values >= min_value

    def high(values):
        return values < max_value if strict_max else values <= max_value

    if min_value is None:
        result = high(column)
    elif max_value is None:
        result = low(column)
    else:
        result = low(column) & high(column)
    return pd.Series(np.asarray(result, dtype=bool), index=column.index)


class _Present:
    """Each column's mask of present (not missing) values, computed once for all of a suite's expectations:
    a million-row part's suite asks it of the same few columns a dozen times."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._masks: dict[str, pd.Series] = {}

    def __call__(self, name: str) -> pd.Series:
        if name not in self._masks:
            self._masks[name] = self.frame[name].notna()
        return self._masks[name]


def _column_rule(condition: Callable[[pd.Series], pd.Series]):
    def evaluate(frame: pd.DataFrame, kwargs: dict, domain: pd.Series, present: _Present) -> pd.Series:
        column = frame[kwargs["column"]]
        kept = domain & present(kwargs["column"])  # GX's column map metrics drop missing values first
        values = column[kept]
        met = condition(values) if len(values) else pd.Series(True, index=values.index, dtype=bool)
        unexpected = pd.Series(False, index=frame.index)
        unexpected[kept] = ~np.asarray(met, dtype=bool)
        return unexpected
    return evaluate


def _pair_rule(condition: Callable[[pd.Series, pd.Series], pd.Series], ignore_row_if: str):
    def evaluate(frame: pd.DataFrame, kwargs: dict, domain: pd.Series, present: _Present) -> pd.Series:
        a, b = frame[kwargs["column_A"]], frame[kwargs["column_B"]]
        ignore = kwargs.get("ignore_row_if", ignore_row_if)
        kept = domain.copy()
        if ignore == "both_values_are_missing":
            kept &= present(kwargs["column_A"]) | present(kwargs["column_B"])
        elif ignore == "either_value_is_missing":
            kept &= present(kwargs["column_A"]) & present(kwargs["column_B"])
        elif ignore != "neither":
            raise Unsupported(f"ignore_row_if {ignore!r}")
        unexpected = pd.Series(False, index=frame.index)
        if kept.any():
            met = condition(a[kept], b[kept])
            unexpected[kept] = ~np.asarray(met, dtype=bool)
        return unexpected
    return evaluate


def _not_null(frame: pd.DataFrame, kwargs: dict, domain: pd.Series, present: _Present) -> pd.Series:
    return domain & ~present(kwargs["column"])  # GX's column_values.nonnull keeps missing values


def _compound_unique(frame: pd.DataFrame, kwargs: dict, domain: pd.Series, present: _Present) -> pd.Series:
    columns = list(kwargs["column_list"])
    ignore = kwargs.get("ignore_row_if", "all_values_are_missing")
    if ignore == "all_values_are_missing":
        kept = domain & np.logical_or.reduce([present(c).to_numpy() for c in columns])
    elif ignore == "any_value_is_missing":
        kept = domain & np.logical_and.reduce([present(c).to_numpy() for c in columns])
    elif ignore == "never":
        kept = domain
    else:
        raise Unsupported(f"ignore_row_if {ignore!r}")
    unexpected = pd.Series(False, index=frame.index)
    unexpected[kept] = frame.loc[kept, columns].duplicated(keep=False).to_numpy()
    return unexpected


def _rules(parameters: dict) -> dict[str, Callable]:
    def p(kwargs: dict, name: str) -> object:
        return _value(kwargs.get(name), parameters)

    return {
        "expect_column_values_to_not_be_null": lambda f, k, d, n: _not_null(f, k, d, n),
        "expect_column_values_to_be_in_set": lambda f, k, d, n: _column_rule(
            lambda c: c.isin(p(k, "value_set")))(f, k, d, n),
        "expect_column_values_to_be_between": lambda f, k, d, n: _column_rule(
            lambda c: _between(c, p(k, "min_value"), p(k, "max_value"), p(k, "strict_min"), p(k, "strict_max")))(f, k, d, n),
        "expect_column_values_to_be_unique": lambda f, k, d, n: _column_rule(lambda c: ~c.duplicated(keep=False))(f, k, d, n),
        "expect_compound_columns_to_be_unique": lambda f, k, d, n: _compound_unique(f, k, d, n),
        "expect_column_values_to_be_valid_uscc": lambda f, k, d, n: _column_rule(conditions.valid_uscc)(f, k, d, n),
        "expect_column_values_items_to_be_in_set": lambda f, k, d, n: _column_rule(
            lambda c: conditions.items_in_set(c, p(k, "value_set")))(f, k, d, n),
        "expect_column_values_to_be_in_date_window": lambda f, k, d, n: _column_rule(
            lambda c: conditions.in_window(c, p(k, "min_value"), p(k, "max_value")))(f, k, d, n),
        "expect_column_pair_values_to_be_parsed": lambda f, k, d, n: _pair_rule(conditions.parsed, "neither")(f, k, d, n),
        "expect_column_pair_values_a_to_be_at_most_b_times": lambda f, k, d, n: _pair_rule(
            lambda a, b: conditions.at_most_times(a, b, p(k, "factor")), "either_value_is_missing")(f, k, d, n),
        "expect_column_pair_values_to_be_in_order": lambda f, k, d, n: _pair_rule(
            conditions.in_order, "either_value_is_missing")(f, k, d, n),
        "expect_column_pair_values_to_not_fall": lambda f, k, d, n: _pair_rule(
            conditions.not_fell, "either_value_is_missing")(f, k, d, n),
    }


_GX_ONLY_KWARGS = frozenset({"mostly", "catch_exceptions", "result_format", "include_config", "meta"})


def unexpected(expectations: list[dict], frame: pd.DataFrame, parameters: dict) -> list[np.ndarray]:
    """For each expectation (as in the suite's JSON), a boolean mask over the frame's rows: True where GX
    would report the row unexpected. Raises `Unsupported` for an expectation it does not evaluate; any other
    exception too (GX would report it as the expectation's error): the caller then asks GX for everything."""
    rules = _rules(parameters)
    present = _Present(frame)
    domains: dict[object, pd.Series] = {}  # per row condition: no rule changes the domain it is given
    masks = []
    for item in expectations:
        kwargs = item["kwargs"]
        if item["type"] not in rules or _GX_ONLY_KWARGS & set(kwargs):
            raise Unsupported(item["type"])
        condition = (kwargs.get("row_condition"), kwargs.get("condition_parser"))
        if condition not in domains:
            domains[condition] = _domain(frame, kwargs)
        mask = rules[item["type"]](frame, kwargs, domains[condition], present)
        masks.append(np.asarray(mask, dtype=bool))
    return masks
