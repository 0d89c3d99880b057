"""The frame contract: the special columns a parsed file carries beside its feed's columns.

A file's rows travel as one pandas frame from the reader through coercion, validation and
loading. Besides the feed's canonical columns it carries where each row came from (`__sheet`,
`__row`), the unknown columns folded into JSON (`__extra`), the text as written beside every
parsed column (`<column>__raw`) and, for columns that must never fall, the value last loaded
(`__prev_<column>`). Every module that writes or reads these names imports them from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from quality_pipeline.feeds import Feed

ROW_COLUMN = "__row"  # the row's number in its sheet or file, 1-based as a clerk counts
SHEET_COLUMN = "__sheet"  # the sheet's name (None for a CSV)
EXTRA_COLUMN = "__extra"  # JSON object of the row's cells under headers the feed does not declare, or None
RAW_SUFFIX = "__raw"
PREV_PREFIX = "__prev_"
# Column types parsed from text: each keeps the text as written in `raw_name(column)` for the suite to compare.
PARSED_TYPES = frozenset({"date", "month", "money", "integer", "number", "percent", "bool", "industry_code"})
PROVENANCE_COLUMNS = (SHEET_COLUMN, ROW_COLUMN, EXTRA_COLUMN)  # carried unchanged from reader to loader


def raw_name(column: str) -> str:
    """The column holding `column`'s text as written (parsed types only)."""
    return column + RAW_SUFFIX


def prev_name(column: str) -> str:
    """The column holding `column`'s value last loaded for the same key (never-falling columns only)."""
    return PREV_PREFIX + column


@dataclass(frozen=True, eq=False)
class RowHashes:
    """A 64-bit hash of each row of one frame over its cells, row number and sheet aside, made by the reader from
    the hash of each distinct cleaned value (`parsing.rows`). Rows equal cell for cell hash alike; two rows
    that hash alike are only candidates, which `loading.stage.exact_duplicates` compares cell by cell."""

    frame: pd.DataFrame  # the frame they describe: another frame (a part, a selection, a copy) has none
    values: np.ndarray  # uint64, in the frame's row order


@dataclass(frozen=True, eq=False)
class ArrowTwins:
    """Some columns of one frame as Arrow arrays holding the same values (a str cell as that string, None as
    null), made by the CSV reader from the Arrow arrays it already has (`parsing.rows`), so that staging the
    frame need not convert a million Python strings per column back to Arrow (`loading.stage`). The arrays may
    be dictionary-encoded (`decoded_type` says what they decode to); those of a column a file lacks are Arrow's nulls."""

    frame: pd.DataFrame  # the frame they describe: another frame (a part, a selection, a copy) has none
    columns: dict[str, pa.ChunkedArray]

    def of(self, frame: pd.DataFrame) -> dict[str, pa.ChunkedArray] | None:
        """The arrays, when `frame` is the frame they describe; None for any other."""
        return self.columns if frame is self.frame else None


def decoded_type(twin: pa.DataType) -> pa.DataType:
    """The type of a twin decoded: what `pa.array` makes of Python strings (the reader's twins are
    dictionaries of each batch's values, or Arrow's large strings)."""
    if pa.types.is_dictionary(twin) or pa.types.is_large_string(twin):
        return pa.string()
    return twin


@dataclass
class RawExtract:
    """Data rows of one file: cleaned values under canonical names, plus where each row came from."""

    feed: Feed
    frame: pd.DataFrame
    header: dict[str, str]  # canonical column -> header as written
    multipliers: dict[str, float]
    sheets: list[str]
    encoding: str | None = None
    rows_skipped: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    text_only: bool = False  # every cell a str or None (a CSV read by Arrow): nothing to turn into text
    skipped_sheets: list[dict] = field(default_factory=list)  # {"sheet", "reason"}: copies and references
    generated_by: str | None = None  # who generated the file, when it says so (`headers.GENERATED_MARK`)
    row_hashes: RowHashes | None = field(default=None, compare=False, repr=False)
    arrow: ArrowTwins | None = field(default=None, compare=False, repr=False)

    def hashes(self) -> np.ndarray | None:
        """The reader's row hashes of `frame`, or None when it made none or `frame` is not the frame it read
        (`dataclasses.replace` with another frame keeps the field, never its meaning)."""
        if self.row_hashes is None or self.row_hashes.frame is not self.frame:
            return None
        return self.row_hashes.values

    def twins(self) -> dict[str, pa.ChunkedArray]:
        """The reader's Arrow twins of columns of `frame` ({} when it made none or `frame` is not the frame it
        read, as for `hashes`)."""
        if self.arrow is None:
            return {}
        return self.arrow.of(self.frame) or {}

    @property
    def rows_read(self) -> int:
        return len(self.frame)

