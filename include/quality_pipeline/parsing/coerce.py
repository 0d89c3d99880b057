"""Turn a file's cleaned cells into typed columns, keeping the text as written beside every parsed column.

The validation suite compares the two: text present but no parsed value means
"unparseable", which is a rejection.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from quality_pipeline.feeds import Column, Feed, unit_families
from quality_pipeline.parsing.frame import (
    EXTRA_COLUMN,
    PARSED_TYPES,
    PROVENANCE_COLUMNS,
    RawExtract,
    raw_name,
)
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
        return pd.Series(np.full(len(series), None, dtype=object), index=series.index, dtype=object, copy=False)
    table = np.array([fn(u) for u in uniques] + [None], dtype=object)
    return pd.Series(table[codes], index=series.index, dtype=object, copy=False)  # a new array: not copied again


def _map_twin(series: pd.Series, twin: pa.ChunkedArray, fn) -> tuple[pd.Series, pa.ChunkedArray | None]:
    """`_map_unique` of a column that has an Arrow twin (codes into each batch's values): fn applied once per
    value a batch uses, the codes found by Arrow rather than by hashing a million Python strings. Also the
    result's own twin, unless fn made something other than text."""
    objects, chunks, text = [], [], True
    for chunk in twin.chunks:
        codes = chunk.indices.to_numpy()
        used = pc.unique(chunk.indices).to_numpy()
        table = np.array([None if v is None else fn(v) for v in chunk.dictionary.take(used).to_pylist()] + [None],
                         dtype=object)
        remap = np.full(len(chunk.dictionary), len(used), dtype=np.int32)  # never used: the trailing None
        remap[used] = np.arange(len(used), dtype=np.int32)
        mapped = remap[codes]
        objects.append(table[mapped])
        text = text and all(v is None or type(v) is str for v in table)
        if text:
            chunks.append(pa.DictionaryArray.from_arrays(pa.array(mapped, pa.int32()),
                                                         pa.array(table, pa.string(), from_pandas=True)))
    values = np.concatenate(objects) if objects else np.empty(0, dtype=object)
    out = pd.Series(values, index=series.index, dtype=object, copy=False)  # a new array: not copied again
    return out, (pa.chunked_array(chunks, twin.type) if text else None)


def _mapped(series: pd.Series, twin: pa.ChunkedArray | None, fn) -> tuple[pd.Series, pa.ChunkedArray | None]:
    if twin is None:
        return _map_unique(series, fn), None
    if pa.types.is_null(twin.type):  # a column the file lacks: nothing to map
        return _map_unique(series, fn), twin
    return _map_twin(series, twin, fn)


def _as_text(series: pd.Series, text_only: bool) -> pd.Series:
    return series if text_only else _map_unique(series, _text_of)


def _mapper(column: Column, region: Region):
    """What a text column's each distinct value becomes (None: the text as it is)."""
    if column.type == "uscc":
        return normalise_uscc
    if column.type == "street":
        return lambda v: region.canonical_street(v) or v
    if column.type == "text_list":
        return lambda v: parse_text_list(v, column.allowed) or None
    if column.mapping:
        return lambda v: map_value(v, column.mapping)
    return None


def _coerce_column(column: Column, cells: pd.Series, multiplier: float, region: Region, text_only: bool,
                   twin: pa.ChunkedArray | None = None) -> tuple[dict[str, pd.Series], dict[str, pa.ChunkedArray]]:
    """The column's typed columns, and the Arrow twins of those of them that are text (given the cells' own
    twin, which only a text-only file has)."""
    twins: dict[str, pa.ChunkedArray] = {}
    if column.type in PARSED_TYPES:
        parse = None
        if column.type == "number" and column.units:  # a unit in the cell is checked against the column's units
            parse = partial(parse_quantity, family=unit_families()[column.units], multiplier=multiplier)
        parsed, _failed = parse_series(cells, column.type, multiplier=multiplier, parse=parse)
        if twin is not None:
            twins[raw_name(column.name)] = twin
        return {column.name: parsed, raw_name(column.name): _as_text(cells, text_only)}, twins
    text = _as_text(cells, text_only)
    fn = _mapper(column, region)
    if fn is None:
        if twin is not None:
            twins[column.name] = twin
        return {column.name: text}, twins
    values, mapped = _mapped(text, twin, fn)
    if mapped is not None:
        twins[column.name] = mapped
    return {column.name: values}, twins


def typed_frame(raw: RawExtract, region: Region) -> pd.DataFrame:
    """One typed column per declared column (all-null when the file lacks it), plus `<col>__raw` text."""
    return typed_columns(raw, region)[0]


def typed_columns(raw: RawExtract, region: Region) -> tuple[pd.DataFrame, dict[str, pa.ChunkedArray]]:
    """`typed_frame`, and Arrow twins of its text columns where the reader made twins of the file's cells
    (`RawExtract.twins`): the same values, which staging writes without converting the frame's strings."""
    feed: Feed = raw.feed
    frame = raw.frame
    read_twins = raw.twins()
    empty = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    out: dict[str, pd.Series] = {name: frame[name] for name in PROVENANCE_COLUMNS}
    twins: dict[str, pa.ChunkedArray] = {}
    if EXTRA_COLUMN in read_twins:
        twins[EXTRA_COLUMN] = read_twins[EXTRA_COLUMN]
    for column in feed.columns:
        present = column.name in frame
        cells = frame[column.name] if present else empty
        twin = read_twins.get(column.name) if present else (pa.chunked_array([pa.nulls(len(frame))]) if read_twins else None)
        columns, made = _coerce_column(column, cells, raw.multipliers.get(column.name, 1.0), region, raw.text_only,
                                       twin)
        out.update(columns)
        twins.update(made)
    return pd.DataFrame(out, index=frame.index, copy=False), twins  # the columns as built, not copied into blocks


def typed_key(frame: pd.DataFrame, feed: Feed, region: Region, text_only: bool) -> pd.Series:
    """The first key column as `typed_frame` would type it: rows that share it share a key."""
    column = feed.column(feed.key[0])
    cells = frame[column.name] if column.name in frame else pd.Series([None] * len(frame), index=frame.index,
                                                                      dtype=object)
    return _coerce_column(column, cells, 1.0, region, text_only)[0][column.name]
