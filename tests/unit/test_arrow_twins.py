"""The CSV reader's Arrow twins (`parsing.frame.ArrowTwins`): staging writes a part from the Arrow arrays the
reader already had instead of converting the frame's Python strings, so the two must be the same table, typed
columns (streets, credit codes, mapped and list values) included, and twins never describe another frame."""

from __future__ import annotations

import dataclasses
from datetime import date
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from quality_pipeline.feeds import load_feed
from quality_pipeline.loading import stage
from quality_pipeline.loading.partitions import KeyPartitions
from quality_pipeline.loading.stage import row_parameters
from quality_pipeline.parsing import csvfile
from quality_pipeline.parsing.coerce import typed_columns, typed_frame
from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.reader import read_extract
from quality_pipeline.region import load_region
from quality_pipeline.settings import DEFAULT_REGION_FILE
from quality_pipeline.validation import fast_rules
from quality_pipeline.validation.suites import load_suite_dict, needs_history

REGION = load_region(DEFAULT_REGION_FILE)
FEEDS = ["product_sampling", "remediation_projects"]
# Cells that clean, map, canonicalise or split differently, null spellings, controls and full-width forms
CELLS = st.sampled_from(["", " ", "NULL", "-", "A1", "Ａ１", "合格", " 合格", "P", "f", "不符合", "金砂", "金砂街道",
                         " 大华 ", "外区", "91440500MA4UXK2X3B", "91440500ma4uxk2x3b", "控源截污、内源治理",
                         "控源截污内源治理", "2026-03-01", "2026/3/1", "1,000", "x\u200ey", "合计", "注：说明"])


def _write(path, feed_name: str, rows: list[list[str]], extra_column: bool) -> list[str]:
    feed = load_feed(feed_name)
    header = [c.header for c in feed.columns] + (["备用列"] if extra_column else [])

    def quoted(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if any(ch in cell for ch in ',"') else cell

    rows = [(r * len(header))[: len(header)] for r in rows]
    path.write_text("\n".join(",".join(map(quoted, r)) for r in [header, *rows]) + "\n", encoding="utf-8")
    return header


def _same_table(ours: pa.Table, theirs: pa.Table) -> None:
    assert ours.column_names == theirs.column_names
    assert ours.schema.types == theirs.schema.types
    assert ours.to_pydict() == theirs.to_pydict()


@settings(max_examples=60)
@given(st.sampled_from(FEEDS), st.lists(st.lists(CELLS, min_size=1, max_size=12), min_size=1, max_size=25),
       st.booleans(), st.lists(st.booleans(), max_size=25), st.booleans())
def test_a_part_staged_from_the_readers_arrow_is_the_part_converting_the_frame_stages(
        tmp_path_factory, feed_name, rows, extra_column, dropped, small_blocks):
    path = tmp_path_factory.mktemp("twins") / "extract.csv"
    _write(path, feed_name, rows, extra_column)
    # small blocks: many batches, each with values of its own (the twins' dictionaries differ batch by batch)
    with mock.patch.object(csvfile, "_BLOCK_BYTES", 1 << 10 if small_blocks else csvfile._BLOCK_BYTES):
        try:
            raw = read_extract(path, load_feed(feed_name))
        except ExtractRejected:  # e.g. a first row taken for a row of units: nothing is staged
            return
    key = load_feed(feed_name).key[0]
    assert not small_blocks or len(raw.frame) < 10 or raw.twins()[key].num_chunks > 1
    frame, twins = typed_columns(raw, REGION)
    assert twins  # the reader made them
    # the typed values are those typing without twins makes (each distinct value mapped as `_map_unique` maps it)
    pd.testing.assert_frame_equal(frame, typed_frame(dataclasses.replace(raw, arrow=None), REGION))
    _same_table(stage._arrow(frame, twins), stage._arrow(frame))
    # a selection of the rows (exact duplicates left out), as `_prepare_part` makes it
    keep = np.array([not d for d in dropped] + [True] * len(frame), dtype=bool)[: len(frame)]
    kept = frame[keep]
    kept_twins = {name: twin.filter(pa.array(keep)) for name, twin in twins.items()}
    _same_table(stage._arrow(kept, kept_twins), stage._arrow(kept))
    # the row suite's rules find the same rows from the twins as from the frame
    items = [i for i in load_suite_dict(f"{feed_name}.rows")["expectations"] if not needs_history(i)]
    params = row_parameters(REGION, date(2026, 12, 1))
    for frame_, twins_ in ((frame, twins), (kept, kept_twins)):
        plain = fast_rules.unexpected(items, frame_, params)
        fast = fast_rules.unexpected(items, frame_, params, twins_)
        assert [m.tolist() for m in fast] == [m.tolist() for m in plain]


def test_twins_belong_to_the_frame_they_were_made_for(tmp_path):
    path = tmp_path / "s.csv"
    _write(path, "product_sampling", [["A1", "合格"], ["A2", "P"]], extra_column=True)
    raw = read_extract(path, load_feed("product_sampling"))
    assert set(raw.twins()) >= {"sample_no", "conclusion", "__extra"}
    assert raw.twins()["sample_no"].to_pylist() == ["A1", "A2"]
    part = dataclasses.replace(raw, frame=raw.frame.iloc[1:].copy())
    assert part.twins() == {}  # another frame: converted as before, never given the whole file's arrays
    assert typed_columns(part, REGION)[1] == {}


def test_no_twins_for_rows_read_into_a_sink_or_from_a_workbook(tmp_path):
    """Rows that go to a sink (a file read in parts) are not kept by the reader, so neither are their twins;
    a workbook's cells are Python objects from the start."""
    path = tmp_path / "s.csv"
    _write(path, "product_sampling", [[f"A{i}", "合格"] for i in range(50)], extra_column=False)
    feed = load_feed("product_sampling")
    with KeyPartitions(2, feed, REGION, tmp_path / "parts") as parts:
        raw = read_extract(path, feed, sink=parts)
        assert raw.arrow is None and raw.twins() == {}
    workbook = pd.DataFrame([[f"A{i}", "食品", "饼干", "商行", "2026-03-01", "合格"] for i in range(3)],
                            columns=[c.header for c in feed.required])
    xlsx = tmp_path / "s.xlsx"
    workbook.to_excel(xlsx, index=False)
    assert read_extract(xlsx, feed).twins() == {}


# Cells that need no cleaning (a batch of only these takes the encoder's Arrow-only path), null spellings among them
CLEAN = st.sampled_from(["NULL", "-", "--", "N/A", "A1", "合格", "P", "金砂街道", "91440500MA4UXK2X3B", "2026-03-01",
                         "1,000", "a b"])


@settings(max_examples=300)
@given(st.one_of(
    st.lists(st.lists(CLEAN, min_size=1, max_size=30), min_size=1, max_size=4),
    st.lists(st.lists(st.one_of(CELLS, CLEAN, st.text(max_size=4)), min_size=1, max_size=30), min_size=1, max_size=4)))
def test_the_encoders_arrow_text_is_its_cleaned_values_as_arrow_makes_them(columns):
    """`encode_text` gives the batch's cleaned distinct values twice, as Python objects and as Arrow text (made
    from Arrow's own values when none needed cleaning): the same values, nulls where the objects are None, so
    the reader's flags and twins may come from either."""
    from quality_pipeline.parsing.rows import encode_text

    n = min(len(c) for c in columns)
    codes, uniques, text = encode_text([pa.array(c[:n], pa.string()) for c in columns])
    assert text.type == pa.large_string()
    assert text.equals(pa.array(uniques, type=pa.large_string(), from_pandas=True))
    assert (text.is_valid().to_numpy(zero_copy_only=False) == pd.notna(uniques)).all()
    assert [[uniques[k] for k in row] for row in codes.tolist()] == [
        [stage_cell(v) for v in c[:n]] for c in columns]


def stage_cell(value: str):
    from quality_pipeline.parsing.cells import cell_text

    return cell_text(value)
