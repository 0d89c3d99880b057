"""`rows._header_codes`: for each position of a batch, the code of the header cell among the batch's distinct
values, as the definition says (the first distinct value equal to it; -2 when none is)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from quality_pipeline.parsing.rows import _header_codes

WORDS = st.sampled_from(["抽样单编号", "所在街道", "合格", "", "1", "x"])


def _definition(uniques: list, header: list, width: int) -> list[int]:
    out = []
    for h in header[:width]:
        codes = [i for i, u in enumerate(uniques) if isinstance(h, str) and type(u) is str and u == h]
        out.append(codes[0] if codes else -2)
    return out + [-2] * (width - len(out))


@given(st.lists(st.one_of(st.none(), WORDS), max_size=8), st.lists(st.one_of(st.none(), WORDS), max_size=6),
       st.integers(0, 7))
def test_each_header_text_gets_the_code_of_its_first_equal_distinct_value(uniques, header, width):
    values = np.array([*uniques, None], dtype=object)  # the trailing None slot of a batch's codes
    text = pa.array([u for u in values], type=pa.large_string())
    assert _header_codes(values, text, header, width).tolist() == _definition(list(values), header, width)
