"""`stage.exact_duplicates`: a row is a copy when its cells, row number and sheet aside, equal an earlier row's,
whether the hashes come from the reader (a CSV: one hash per distinct value) or from the frame (anything else),
and whatever the hashes say: rows that only share a hash are compared cell by cell and both kept."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from quality_pipeline.feeds import load_feed
from quality_pipeline.loading.stage import _confirmed_copies, exact_duplicates
from quality_pipeline.parsing.frame import ROW_COLUMN, SHEET_COLUMN, RawExtract
from quality_pipeline.parsing.reader import read_extract

FEED = load_feed("product_sampling")
HEADER = ["抽样单编号", "产品类别", "产品名称", "受检单位", "所在街道", "抽样日期", "检验结论", "备用列", "另一列"]  # two columns the feed does not declare
# Values that clean to the same text (" 合格", "合格\u3000"), to nothing ("", " ", "NULL"?), or differ by little
CELLS = st.sampled_from(["A1", "A2", "合格", " 合格", "合格\u3000", "不合格", "", " ", "NULL", "大华", "2026-03-01",
                         "x,y", '"q"', "a b", "a  b"])


def _definition(frame: pd.DataFrame) -> list[bool]:
    """Each row: whether an earlier row has the same cells (row number and sheet aside), None alike."""
    columns = [c for c in frame.columns if c not in (ROW_COLUMN, SHEET_COLUMN)]
    seen: set[tuple] = set()
    out = []
    for row in frame[columns].itertuples(index=False, name=None):
        out.append(row in seen)
        seen.add(row)
    return out


def _write(path, rows: list[list[str]]) -> None:
    def quoted(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if any(ch in cell for ch in ',"') else cell
    path.write_text("\n".join(",".join(map(quoted, r)) for r in [HEADER, *rows]) + "\n", encoding="utf-8")


@given(st.lists(st.lists(CELLS, min_size=len(HEADER), max_size=len(HEADER)), min_size=1, max_size=30))
def test_a_csv_row_is_a_copy_exactly_when_an_earlier_row_has_its_cells(tmp_path_factory, rows):
    rows = [r for r in rows if any(c.strip() and c != "NULL" for c in r)] or [["A1", *[""] * (len(HEADER) - 1)]]
    rows = rows + rows[: len(rows) // 2]  # some copies for certain
    path = tmp_path_factory.mktemp("dup") / "sampling.csv"
    _write(path, rows)
    raw = read_extract(path, FEED)
    assert raw.hashes() is not None  # the reader's hashes were used
    expected = _definition(raw.frame)
    assert exact_duplicates(raw).tolist() == expected
    # the frame's own hashes (the path of an xlsx or a part) find the same rows
    assert exact_duplicates(dataclasses.replace(raw, row_hashes=None)).tolist() == expected


def test_rows_sharing_a_hash_are_compared_cell_by_cell(tmp_path):
    _write(tmp_path / "s.csv", [["A1", "食品", "x", "大华", "", "合格", "", "", ""], ["A2", "食品", "x", "大华", "", "合格", "", "", ""],
                                ["A1", "食品", "x", "大华", "", "合格", "", "", ""], ["A2", "食品", "x", "大华", "", "合格", "", "", "附注"],
                                ["A2", "食品", "x", "大华", "", "合格", "", "", ""]])
    raw = read_extract(tmp_path / "s.csv", FEED)
    # every row hashing alike (as a collision would make them): only the true copies, rows 3 and 5, are copies
    collided = _confirmed_copies(raw.frame, np.zeros(len(raw.frame), dtype=np.uint64), text=True)
    assert collided.tolist() == [False, False, True, False, True] == _definition(raw.frame)


def test_hashes_belong_to_the_frame_they_were_made_for(tmp_path):
    _write(tmp_path / "s.csv", [["A1", "食品", "x", "大华", "", "合格", "", "", ""], ["A1", "食品", "x", "大华", "", "合格", "", "", ""]])
    raw = read_extract(tmp_path / "s.csv", FEED)
    assert raw.hashes() is not None and len(raw.hashes()) == 2
    part = dataclasses.replace(raw, frame=raw.frame.iloc[1:].copy())
    assert part.hashes() is None  # a part of the frame: hashed again, never given the whole file's hashes
    assert exact_duplicates(part).tolist() == [False]


def test_cells_that_are_not_text_compare_as_they_print():
    frame = pd.DataFrame({SHEET_COLUMN: ["s", "t", "s", "s", "s"], ROW_COLUMN: [1, 2, 3, 4, 5],
                          "sample_no": pd.Series([1, "1", 1.5, None, "None"], dtype=object),
                          "__extra": pd.Series([None] * 5, dtype=object)})
    raw = RawExtract(FEED, frame, {}, {}, ["s", "t"])
    # 1 and "1" print alike (the number an xlsx cell held, the text another wrote); None is not "None"
    assert exact_duplicates(raw).tolist() == [False, True, False, False, False]
    collided = _confirmed_copies(frame, np.zeros(5, dtype=np.uint64), text=False)
    assert collided.tolist() == [False, True, False, False, False]
