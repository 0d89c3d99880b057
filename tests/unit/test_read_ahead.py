"""`csvfile._ahead`, the thread that parses and encodes a CSV's next block while the reader keeps the last one:
results come in order, an error comes where its item would have, and the thread never outlives the read."""

from __future__ import annotations

import threading
import time
from contextlib import closing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quality_pipeline.feeds import load_feed
from quality_pipeline.parsing import csvfile
from quality_pipeline.parsing.csvfile import _ahead
from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.reader import read_extract


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "csv-read-ahead"]


@given(st.lists(st.integers(), max_size=50), st.one_of(st.none(), st.integers(0, 50)))
def test_results_in_order_and_an_error_where_its_item_was(items, failing_at):
    def work(i):
        if failing_at is not None and i == failing_at:
            raise ValueError(i)
        return i * 2

    seen = []
    positions = list(range(len(items)))
    with closing(_ahead(iter(positions), lambda k: work(k))) as results:
        if failing_at is not None and failing_at < len(items):
            with pytest.raises(ValueError):
                for r in results:
                    seen.append(r)
            assert seen == [k * 2 for k in range(failing_at)]
        else:
            assert list(results) == [k * 2 for k in positions]
    assert not _threads()


def test_a_caller_that_stops_early_stops_the_thread():
    produced = []

    def slow(i):
        produced.append(i)
        time.sleep(0.01)
        return i

    with closing(_ahead(iter(range(1000)), slow)) as results:
        for r in results:
            if r == 3:
                break
    assert not _threads()
    assert len(produced) <= 6  # at most the item in hand and the one queued beyond what was taken


def test_a_caller_error_stops_the_thread():
    with pytest.raises(RuntimeError), closing(_ahead(iter(range(1000)), lambda i: i)) as results:
        for r in results:
            if r == 2:
                raise RuntimeError("the sink failed")
    assert not _threads()


def test_a_long_cell_in_a_later_block_is_named_by_its_line(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "_BLOCK_BYTES", 1 << 17)  # blocks of 128 KB: the bad line is in the third
    monkeypatch.setattr(csvfile, "_pandas_rows", None)  # read by Arrow, not by the fallback
    lines = ["抽样单编号,产品类别,产品名称,受检单位,所在街道,抽样日期,检验结论"]
    lines += [f"A{i},食品,饼干,商行{i},大华,2026-03-01,合格" for i in range(2, 6000)]
    lines.append("A6000,食品," + "长" * (csvfile.MAX_CELL_CHARS + 1) + ",商行,大华,2026-03-01,合格")
    lines += [f"B{i},食品,饼干,商行{i},大华,2026-03-01,合格" for i in range(6001, 6100)]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ExtractRejected) as caught:
        read_extract(path, load_feed("product_sampling"))
    assert caught.value.code == "cell_too_long"
    assert "line 6000 " in str(caught.value)
    assert not _threads()


def test_rows_read_in_many_blocks_are_the_rows_read_in_one(tmp_path, monkeypatch):
    lines = ["抽样单编号,产品类别,产品名称,受检单位,所在街道,抽样日期,检验结论"]
    lines += [f"A{i},食品,饼干,商行{i % 7},大华,2026-03-{1 + i % 28:02d},合格" for i in range(3000)]
    lines.insert(1500, "合计,,,,,,")
    path = tmp_path / "many.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    feed = load_feed("product_sampling")
    whole = read_extract(path, feed)
    monkeypatch.setattr(csvfile, "_BLOCK_BYTES", 1 << 12)
    blocks = read_extract(path, feed)
    assert blocks.frame.equals(whole.frame) and blocks.skipped == whole.skipped == {"totals": 1}
    assert (blocks.hashes() == whole.hashes()).all()
