"""Custom Great Expectations for the rules of extracts.md that GX has no built-in for.

Each is a map expectation, so it reports unexpected rows like every built-in one; its row condition is a
plain function of `validation.conditions`, which `validation.fast_rules` calls too.
Importing this module registers them with GX (it imports great_expectations: only
import it inside a task).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from great_expectations.compatibility import pydantic
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation, ColumnPairMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    ColumnPairMapMetricProvider,
    column_condition_partial,
    column_pair_condition_partial,
)

from quality_pipeline.validation import conditions

# --- metrics -----------------------------------------------------------------


class ColumnValuesValidUscc(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_uscc"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return conditions.valid_uscc(column)


class ColumnValuesItemsInSet(ColumnMapMetricProvider):
    condition_metric_name = "column_values.items_in_set"
    condition_value_keys = ("value_set",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, value_set, **kwargs):
        return conditions.items_in_set(column, value_set)


class ColumnValuesInWindow(ColumnMapMetricProvider):
    condition_metric_name = "column_values.in_window"
    condition_value_keys = ("min_value", "max_value")

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, min_value, max_value, **kwargs):
        return conditions.in_window(column, min_value, max_value)


class ColumnPairParsed(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.parsed"
    condition_domain_keys = (
        "batch_id", "table", "column_A", "column_B", "row_condition", "condition_parser", "ignore_row_if",
    )

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, **kwargs):
        return conditions.parsed(column_A, column_B)


class ColumnPairAtMostTimes(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.a_at_most_b_times"
    condition_domain_keys = ColumnPairParsed.condition_domain_keys
    condition_value_keys = ("factor",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, factor, **kwargs):
        return conditions.at_most_times(column_A, column_B, factor)


class ColumnPairInOrder(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.in_order"
    condition_domain_keys = ColumnPairParsed.condition_domain_keys

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, **kwargs):
        return conditions.in_order(column_A, column_B)


class ColumnPairNotFallen(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.not_fallen"
    condition_domain_keys = ColumnPairParsed.condition_domain_keys

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, **kwargs):
        return conditions.not_fell(column_A, column_B)


# --- expectations ------------------------------------------------------------

_IgnoreRowIf = Literal["both_values_are_missing", "either_value_is_missing", "neither"]


class ExpectColumnValuesToBeValidUscc(ColumnMapExpectation):
    """Unified social credit codes (GB 32100-2015) carry a correct check character."""

    map_metric = "column_values.valid_uscc"
    success_keys = ("mostly",)
    library_metadata: ClassVar[dict] = {"tags": ["quality_pipeline"], "contributors": []}


class ExpectColumnValuesItemsToBeInSet(ColumnMapExpectation):
    """Every item of a list-valued cell (`控源截污、生态修复`) is one of the allowed values."""

    value_set: list | dict
    map_metric = "column_values.items_in_set"
    success_keys = ("value_set", "mostly")
    args_keys = ("column", "value_set")
    library_metadata: ClassVar[dict] = {"tags": ["quality_pipeline"], "contributors": []}


class ExpectColumnValuesToBeInDateWindow(ColumnMapExpectation):
    """Dates lie in the region's plausibility window (both ends included); kept apart from the plain range
    rule so a column may carry both."""

    min_value: Any
    max_value: Any
    map_metric = "column_values.in_window"
    success_keys = ("min_value", "max_value", "mostly")
    args_keys = ("column", "min_value", "max_value")
    library_metadata: ClassVar[dict] = {"tags": ["quality_pipeline"], "contributors": []}


class ExpectColumnPairValuesToBeParsed(ColumnPairMapExpectation):
    """Where the text as written (column_A) is present, its parsed value (column_B) is too."""

    ignore_row_if: _IgnoreRowIf = pydantic.Field(default="neither")
    map_metric = "column_pair_values.parsed"
    success_keys = ("column_A", "column_B", "ignore_row_if", "mostly")
    args_keys = ("column_A", "column_B")
    library_metadata: ClassVar[dict] = {"tags": ["quality_pipeline"], "contributors": []}


class ExpectColumnPairValuesAToBeAtMostBTimes(ColumnPairMapExpectation):
    """column_A ≤ factor × column_B (completed investment at most 1.2 × planned)."""

    factor: float
    ignore_row_if: _IgnoreRowIf = pydantic.Field(default="either_value_is_missing")
    map_metric = "column_pair_values.a_at_most_b_times"
    success_keys = ("column_A", "column_B", "factor", "ignore_row_if", "mostly")
    args_keys = ("column_A", "column_B", "factor")
    library_metadata: ClassVar[dict] = {"tags": ["quality_pipeline"], "contributors": []}


class ExpectColumnPairValuesToBeInOrder(ColumnPairMapExpectation):
    """column_A is on or before column_B (filing date before decision date); a missing date passes."""

    ignore_row_if: _IgnoreRowIf = pydantic.Field(default="either_value_is_missing")
    map_metric = "column_pair_values.in_order"
    success_keys = ("column_A", "column_B", "ignore_row_if", "mostly")
    args_keys = ("column_A", "column_B")
    library_metadata: ClassVar[dict] = {"tags": ["quality_pipeline"], "contributors": []}


class ExpectColumnPairValuesToNotFall(ColumnPairMapExpectation):
    """A cumulative figure (column_A) is not below its value in the previous month (column_B)."""

    ignore_row_if: _IgnoreRowIf = pydantic.Field(default="either_value_is_missing")
    map_metric = "column_pair_values.not_fallen"
    success_keys = ("column_A", "column_B", "ignore_row_if", "mostly")
    args_keys = ("column_A", "column_B")
    library_metadata: ClassVar[dict] = {"tags": ["quality_pipeline"], "contributors": []}


CUSTOM = {
    "expect_column_values_to_be_valid_uscc": ExpectColumnValuesToBeValidUscc,
    "expect_column_values_items_to_be_in_set": ExpectColumnValuesItemsToBeInSet,
    "expect_column_values_to_be_in_date_window": ExpectColumnValuesToBeInDateWindow,
    "expect_column_pair_values_to_be_parsed": ExpectColumnPairValuesToBeParsed,
    "expect_column_pair_values_a_to_be_at_most_b_times": ExpectColumnPairValuesAToBeAtMostBTimes,
    "expect_column_pair_values_to_be_in_order": ExpectColumnPairValuesToBeInOrder,
    "expect_column_pair_values_to_not_fall": ExpectColumnPairValuesToNotFall,
}
