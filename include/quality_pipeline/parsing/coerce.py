"""Turn a file's cleaned cells into typed columns, keeping the text as written beside every parsed column.

The validation suite compares the two: text present but no parsed value means
"unparseable", which is a rejection.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from quality_pipeline.feeds import Column, Feed, unit_families
from quality_pipeline.parsing.frame import PARSED_TYPES, PROVENANCE_COLUMNS, RawExtract, raw_name
from quality_pipeline.parsing.units import parse_quantity
from quality_pipeline.parsing.uscc import normalise_uscc
from quality_pipeline.parsing.values import factorize, map_value, parse_series, parse_text_list
from quality_pipeline.region import Region


def _text_of(value: object) -> object:
    """A cell as text: integral floats from xlsx lose their `.0` (an ID typed as a number)."""
    if value is None:
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _map_unique(series: pd.Series, fn) -> pd.Series:
    """fn applied once per distinct value (missing cells stay None), without a per-cell dict lookup."""
    codes, uniques = factorize(series)
    if not len(uniques):
        return pd.Series(np.full(len(series), None, dtype=object), index=series.index, dtype=object)
    table = np.array([fn(u) for u in uniques] + [None], dtype=object)
    return pd.Series(table[codes], index=series.index, dtype=object)


def _as_text(series: pd.Series, text_only: bool) -> pd.Series:
    return series if text_only else _map_unique(series, _text_of)


def _coerce_column(column: Column, cells: pd.Series, multiplier: float, region: Region,
                   text_only: bool) -> dict[str, pd.Series]:
    if column.type in PARSED_TYPES:
        parse = None
        if column.type == "number" and column.units:  # a unit in the cell is checked against the column's units
            parse = partial(parse_quantity, family=unit_families()[column.units], multiplier=multiplier)
        parsed, _failed = parse_series(cells, column.type, multiplier=multiplier, parse=parse)
        return {column.name: parsed, raw_name(column.name): _as_text(cells, text_only)}
    text = _as_text(cells, text_only)
    if column.type == "uscc":
        return {column.name: _map_unique(text, normalise_uscc)}
    if column.type == "street":
        return {column.name: _map_unique(text, lambda v: region.canonical_street(v) or v)}
    if column.type == "text_list":
        return {column.name: _map_unique(text, lambda v: parse_text_list(v, column.allowed) or None)}
    if column.mapping:
        return {column.name: _map_unique(text, lambda v: map_value(v, column.mapping))}
    return {column.name: text}


def typed_frame(raw: RawExtract, region: Region) -> pd.DataFrame:
    """One typed column per declared column (all-null when the file lacks it), plus `<col>__raw` text."""
    feed: Feed = raw.feed
    frame = raw.frame
    empty = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    out: dict[str, pd.Series] = {name: frame[name] for name in PROVENANCE_COLUMNS}
    for column in feed.columns:
        cells = frame[column.name] if column.name in frame else empty
        out.update(_coerce_column(column, cells, raw.multipliers.get(column.name, 1.0), region, raw.text_only))
    return pd.DataFrame(out, index=frame.index, copy=False)  # the columns as built, not copied into blocks


def typed_key(frame: pd.DataFrame, feed: Feed, region: Region, text_only: bool) -> pd.Series:
    """The first key column as `typed_frame` would type it: rows that share it share a key."""
    column = feed.column(feed.key[0])
    cells = frame[column.name] if column.name in frame else pd.Series([None] * len(frame), index=frame.index,
                                                                      dtype=object)
    return _coerce_column(column, cells, 1.0, region, text_only)[column.name]
