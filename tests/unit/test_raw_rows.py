"""`stage.raw_rows`, the quarantine's rows as written, built column by column: the same text as `raw_row`, one
row at a time, for any cells a reader can hand over (text, numbers, dates, booleans, missing values of every
kind, characters JSON escapes, unknown columns), and fast enough for a file whose every row is rejected."""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quality_pipeline.feeds import load_feed
from quality_pipeline.loading.stage import raw_row, raw_rows
from quality_pipeline.parsing.frame import EXTRA_COLUMN, ROW_COLUMN, SHEET_COLUMN, RawExtract

FEED = load_feed("product_sampling")
TEXT = st.text(alphabet=st.sampled_from(['a', '合', '格', '"', '\\', '\n', '\t', '\x01', '\x1f', ' ', '\u2028', '9']),
               max_size=6)
CELL = st.one_of(st.none(), TEXT, st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True),
                 st.booleans(), st.just(float("nan")), st.just(pd.NaT), st.dates(date(2020, 1, 1), date(2030, 1, 1)),
                 st.just(datetime(2026, 1, 2, 3, 4, 5)))
EXTRA = st.one_of(st.none(), st.dictionaries(st.sampled_from(["列9", "备注", "抽样单编号"]), TEXT, max_size=2)
                  .map(lambda d: json.dumps(d, ensure_ascii=False) if d else None))


def _raw(columns: dict[str, list], header: dict[str, str], *, text_only: bool, extra: list | None = None,
         sheet: str | None = None) -> RawExtract:
    n = len(next(iter(columns.values()))) if columns else 0
    frame = pd.DataFrame({SHEET_COLUMN: pd.Series([sheet] * n, dtype=object),
                          ROW_COLUMN: pd.Series(range(2, n + 2), dtype="int64"),
                          **{k: pd.Series(v, dtype=object) for k, v in columns.items()},
                          EXTRA_COLUMN: pd.Series(extra if extra is not None else [None] * n, dtype=object)})
    frame.index = pd.Index(np.arange(n) * 3 + 10)  # labels that are not positions
    return RawExtract(FEED, frame, header, {}, [], text_only=text_only)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_raw_rows_writes_every_row_as_raw_row_does(data):
    n = data.draw(st.integers(1, 12))
    text_only = data.draw(st.booleans())
    cell = st.one_of(st.none(), TEXT) if text_only else CELL
    columns = {name: data.draw(st.lists(cell, min_size=n, max_size=n))
               for name in data.draw(st.lists(st.sampled_from(["sample_no", "street", "conclusion", "sampling_date"]),
                                              min_size=1, max_size=4, unique=True))}
    header = {name: data.draw(st.sampled_from([f"{name} as written", "抽样单编号", "所在街道"])) for name in columns}
    extra = data.draw(st.lists(EXTRA, min_size=n, max_size=n))
    raw = _raw(columns, header, text_only=text_only, extra=extra, sheet=data.draw(st.sampled_from([None, "表1"])))
    labels = list(raw.frame.index)
    picked = data.draw(st.lists(st.sampled_from(labels), min_size=1, max_size=n, unique=True))
    assert raw_rows(raw, picked) == [raw_row(raw, idx) for idx in picked]


def test_no_rows_is_no_text():
    raw = _raw({"sample_no": ["a"]}, {"sample_no": "抽样单编号"}, text_only=True)
    assert raw_rows(raw, []) == []


def test_a_file_whose_every_row_is_rejected_is_written_whole():
    # The case the column-by-column path is for (row lookups took ~0.1 ms a row: minutes for a million rows;
    # bench/results.md has the figures): many rows, few distinct values but the sample numbers, some quoted.
    n = 20_000
    rng = np.random.default_rng(7)
    columns = {"sample_no": [f"LS{i:011d}" for i in range(n)],
               "street": list(rng.choice(["大华", "乌桥", "东墩街道", None], n)),
               "conclusion": list(rng.choice(["合格", "不合格", '含"引号"'], n))}
    raw = _raw(columns, {"sample_no": "抽样单编号", "street": "所在街道", "conclusion": "检验结论"}, text_only=True)
    labels = list(raw.frame.index)
    assert raw_rows(raw, labels[::-1]) == [raw_row(raw, idx) for idx in labels[::-1]]
