"""Cell cleaning: each cell as text a reader can compare (controls dropped, NFKC, nulls to None).

Cells are cleaned once per distinct value: `encode_strings` (CSV, Arrow string columns) and
`object_codes` (xlsx, Python objects) turn a batch into codes into a table of cleaned distinct
values, which is what `parsing.rows` classifies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from quality_pipeline.parsing.values import NULL_SPELLINGS, clean_text, factorize

# C0/C1 control characters other than whitespace (which clean_text folds into spaces), and the bidirectional
# overrides that make text display as something else: never data.
_CONTROLS = dict.fromkeys([*range(0x00, 0x09), *range(0x0E, 0x1C), 0x7F, *range(0x80, 0x85), *range(0x86, 0xA0),
                           0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# A cell made only of these (printable ASCII, CJK ideographs, 、。〃) with single inner spaces is already clean:
# NFKC leaves it alone and there is nothing to strip, so only the other values go through clean_text.
_SAFE_CHARS = r"[\x21-\x7e\x{3001}-\x{3003}\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}]"
_SAFE = rf"^{_SAFE_CHARS}+(?: {_SAFE_CHARS}+)*$"


def cell_text(value: object) -> object:
    """A cleaned cell: text normalised (controls dropped, nulls to None), other values as they are."""
    if isinstance(value, str):
        return clean_text(value.translate(_CONTROLS))
    if isinstance(value, float) and value != value:
        return None
    if value == "":
        return None
    return value


def encode_strings(values: pa.Array) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """(codes, cleaned distinct values, the same as Arrow large strings): cell i is `uniques[codes[i]]`; code -1
    (a missing cell) picks the trailing None. Each distinct value is cleaned once, and only when it is not
    already clean. The Arrow copy is made from Arrow's own values when none needed cleaning (in the reader's
    encoding thread, without the GIL), else from `uniques` as `pa.array` makes it."""
    if not pa.types.is_large_string(values.type):
        values = values.cast(pa.large_string())
    encoded = pc.dictionary_encode(values)
    dictionary = encoded.dictionary
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    uniques = np.empty(len(dictionary) + 1, dtype=object)
    uniques[:-1] = dictionary.to_numpy(zero_copy_only=False)
    safe = pc.match_substring_regex(dictionary, _SAFE).to_numpy(zero_copy_only=False)
    unsafe = np.flatnonzero(~safe)
    for i in unsafe:
        uniques[i] = cell_text(uniques[i])
    nulls = pc.is_in(dictionary, value_set=pa.array(sorted(NULL_SPELLINGS), type=dictionary.type))
    spelled_null = safe & nulls.to_numpy(zero_copy_only=False)
    uniques[np.flatnonzero(spelled_null)] = None
    if len(unsafe):  # " 合格" and "合格" are one value once cleaned: give them one code
        canon, distinct = pd.factorize(uniques[:-1], use_na_sentinel=True)
        remap = np.append(canon, -1).astype(np.int32)
        codes = remap[codes]
        uniques = np.empty(len(distinct) + 1, dtype=object)
        uniques[:-1] = np.asarray(distinct, dtype=object) if len(distinct) else []
        return codes, uniques, pa.array(uniques, type=pa.large_string(), from_pandas=True)
    kept = pc.if_else(pa.array(spelled_null), pa.scalar(None, dictionary.type), dictionary)
    return codes, uniques, pa.concat_arrays([kept, pa.nulls(1, dictionary.type)])


def object_codes(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct values + a trailing null slot) of an object column of cleaned cells."""
    codes, uniques = factorize(pd.Series(column, dtype=object, copy=False))
    out = np.empty(len(uniques) + 1, dtype=object)
    out[:-1] = uniques
    return codes.astype(np.int32, copy=False), out


def cleaner():
    cache: dict[str, object] = {}

    def clean(row: list) -> list:
        out = []
        for v in row:
            if type(v) is str:
                c = cache.get(v, cache)
                if c is cache:
                    c = cache[v] = cell_text(v)
                out.append(c)
            else:
                out.append(cell_text(v))
        return out

    return clean

