"""A row suite's verdicts computed on a whole frame without Great Expectations, for GX to confirm.

GX on pandas costs seconds per million rows for what are column comparisons; `Gate.validate_rows` calls
`unexpected` here on the whole part, then lets GX validate a sample of the rows plus every row found failing,
and keeps GX's outcomes. Each expectation is evaluated as GX's pandas engine does it: the same domain
(row condition, nulls dropped for a column rule, `ignore_row_if` for a pair, missing rows for a compound key)
and the same condition (GX's own expression for the built-ins, the functions of `validation.conditions` that
the custom expectations call). `tests/hostile/test_gx_agreement.py` checks that GX and this find the same
unexpected rows for every expectation over the demo deliveries and every loadable hostile file; on every
ingest GX re-checks the failing rows and a sample, and any disagreement sends the whole part back to GX.

Where the CSV reader made Arrow twins of the frame's text columns (`parsing.frame.ArrowTwins`: each batch's
values and each row's code into them), a column's missing cells, its values in a set and its valid credit
codes are found from them: each distinct value of a batch is looked at once, and no million Python strings are
hashed. (Repeated values are not: Arrow encodes a million distinct strings no faster than pandas finds them.)
The rows found are the same: `tests/unit/test_arrow_twins.py` checks it on generated cells,
`tests/hostile/test_gx_agreement.py` on the demo and hostile files.

No GX import here: it runs on the frame alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from quality_pipeline.validation import conditions


class Unsupported(ValueError):
    """An expectation this module does not evaluate (GX then validates the whole frame)."""


def _value(value: object, parameters: dict) -> object:
    if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
        return parameters[value["$PARAMETER"]]
    return value


# The row condition the suites write for a column required when another has a value (`suites.py`)
_EQUALS = re.compile(r'^`([^`]+)` == "([^"\\]*)"$')


def _domain(frame: pd.DataFrame, kwargs: dict, present: _Present | None = None) -> pd.Series:
    """Rows GX's pandas engine keeps before the condition: those matching `row_condition` (DataFrame.query).
    A text column equal to a value is looked up in its twin when it has one (a null is equal to nothing)."""
    condition = kwargs.get("row_condition")
    if not condition:
        return pd.Series(True, index=frame.index)
    if kwargs.get("condition_parser") != "pandas" or not isinstance(condition, str):
        raise Unsupported(f"row_condition {condition!r}")
    equals = _EQUALS.match(condition)
    twin = present.twin(equals.group(1)) if equals and present is not None else None
    if twin is not None:
        return pd.Series(_per_row(twin, _in_set([equals.group(2)])), index=frame.index)
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


def _per_row(twin: pa.ChunkedArray, per_value: Callable[[pa.Array], np.ndarray]) -> np.ndarray:
    """A mask over the rows from a mask over the values each batch uses (its twin's dictionary), computed once
    per used value; a row's missing value gets False."""
    out = []
    for chunk in twin.chunks:
        codes = chunk.indices.to_numpy(zero_copy_only=False)
        used = pc.unique(chunk.indices)
        used = pc.filter(used, pc.is_valid(chunk.dictionary.take(used))).to_numpy(zero_copy_only=False)
        lookup = np.zeros(len(chunk.dictionary) + 1, dtype=bool)
        if len(used):
            lookup[used] = np.asarray(per_value(chunk.dictionary.take(pa.array(used))), dtype=bool)
        out.append(lookup[codes])
    return np.concatenate(out) if out else np.zeros(0, dtype=bool)


class _Present:
    """Each column's mask of present (not missing) values, computed once for all of a suite's expectations:
    a million-row part's suite asks it of the same few columns a dozen times. It also holds the frame's Arrow
    twins, which the rules below use where a column has one."""

    def __init__(self, frame: pd.DataFrame, twins: dict[str, pa.ChunkedArray] | None = None):
        self.frame = frame
        self.twins = twins or {}
        self._masks: dict[str, pd.Series] = {}

    def twin(self, name: str) -> pa.ChunkedArray | None:
        """The column's twin when it is codes into each batch's values (not a column the file lacks)."""
        twin = self.twins.get(name)
        return twin if twin is not None and pa.types.is_dictionary(twin.type) else None

    def __call__(self, name: str) -> pd.Series:
        if name not in self._masks:
            twin = self.twin(name)
            if twin is None:
                self._masks[name] = self.frame[name].notna()
            else:  # each batch's values that are not null, looked up by each row's code
                present = [c.dictionary.is_valid().to_numpy(zero_copy_only=False)[c.indices.to_numpy(zero_copy_only=False)]
                           for c in twin.chunks]
                self._masks[name] = pd.Series(np.concatenate(present) if present else np.zeros(0, dtype=bool),
                                              index=self.frame.index)
        return self._masks[name]


def _in_set(value_set) -> Callable[[pa.Array], np.ndarray] | None:
    """`isin(value_set)` over a batch's text values, when every member is text (else the frame's own isin)."""
    members = list(value_set)
    if not all(type(m) is str for m in members):
        return None
    allowed = pa.array(members, pa.string())
    return lambda values: pc.fill_null(pc.is_in(values, value_set=allowed), False).to_numpy(zero_copy_only=False)


def _distinct_condition(condition: Callable[[pd.Series], pd.Series]) -> Callable[[pa.Array], np.ndarray]:
    """A per-value condition (`conditions` evaluates it once per distinct value) over a batch's text values."""
    return lambda values: condition(pd.Series(values.to_pylist(), dtype=object)).to_numpy()


def _column_rule(condition: Callable[[pd.Series], pd.Series], per_value: Callable[[pa.Array], np.ndarray] | None = None):
    def evaluate(frame: pd.DataFrame, kwargs: dict, domain: pd.Series, present: _Present) -> pd.Series:
        column = frame[kwargs["column"]]
        kept = domain & present(kwargs["column"])  # GX's column map metrics drop missing values first
        twin = present.twin(kwargs["column"])
        if twin is not None and per_value is not None:  # each value of each batch looked at once
            return pd.Series(kept.to_numpy() & ~_per_row(twin, per_value), index=frame.index)
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
            lambda c: c.isin(p(k, "value_set")), _in_set(p(k, "value_set")))(f, k, d, n),
        "expect_column_values_to_be_between": lambda f, k, d, n: _column_rule(
            lambda c: _between(c, p(k, "min_value"), p(k, "max_value"), p(k, "strict_min"), p(k, "strict_max")))(f, k, d, n),
        "expect_column_values_to_be_unique": lambda f, k, d, n: _column_rule(lambda c: ~c.duplicated(keep=False))(f, k, d, n),
        "expect_compound_columns_to_be_unique": lambda f, k, d, n: _compound_unique(f, k, d, n),
        "expect_column_values_to_be_valid_uscc": lambda f, k, d, n: _column_rule(
            conditions.valid_uscc, _distinct_condition(conditions.valid_uscc))(f, k, d, n),
        "expect_column_values_items_to_be_in_set": lambda f, k, d, n: _column_rule(
            lambda c: conditions.items_in_set(c, p(k, "value_set")),
            _distinct_condition(lambda c: conditions.items_in_set(c, p(k, "value_set"))))(f, k, d, n),
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


def unexpected(expectations: list[dict], frame: pd.DataFrame, parameters: dict,
               twins: dict[str, pa.ChunkedArray] | None = None) -> list[np.ndarray]:
    """For each expectation (as in the suite's JSON), a boolean mask over the frame's rows: True where GX
    would report the row unexpected. Raises `Unsupported` for an expectation it does not evaluate; any other
    exception too (GX would report it as the expectation's error): the caller then asks GX for everything.
    `twins`: Arrow twins of columns of this very frame (`ArrowTwins.of(frame)`), used where a rule can."""
    rules = _rules(parameters)
    present = _Present(frame, twins)
    domains: dict[object, pd.Series] = {}  # per row condition: no rule changes the domain it is given
    masks = []
    for item in expectations:
        kwargs = item["kwargs"]
        if item["type"] not in rules or _GX_ONLY_KWARGS & set(kwargs):
            raise Unsupported(item["type"])
        condition = (kwargs.get("row_condition"), kwargs.get("condition_parser"))
        if condition not in domains:
            domains[condition] = _domain(frame, kwargs, present)
        mask = rules[item["type"]](frame, kwargs, domains[condition], present)
        masks.append(np.asarray(mask, dtype=bool))
    return masks
