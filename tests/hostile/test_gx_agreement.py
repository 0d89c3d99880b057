"""GX stays the validator of record: `fast_rules` finds exactly the rows GX finds, expectation by expectation.

`Gate.validate_rows` lets GX validate only a sample of a part plus every row `fast_rules` found failing; that is
GX's verdict on the whole part only if `fast_rules` never passes a row GX fails. This checks it where the rules
are exercised: every feed's files of two generated demo deliveries (one with many planted defects), run with two
"today"s (one inside the data, so the date window and "not in the future" fail too), and every loadable file of
the hostile suite. For each expectation of each row suite, the set of unexpected rows GX reports over the whole
frame equals the set `fast_rules` computes, from the frame alone and, for a CSV, with the reader's Arrow twins
of its text columns. Then `validate_rows` itself: with a sample of 3 rows it returns GX's whole-frame outcomes,
and when `fast_rules` is wrong it falls back to GX on every row.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from quality_pipeline.demo import generate
from quality_pipeline.feeds import load_feed
from quality_pipeline.loading.stage import exact_duplicates, row_parameters
from quality_pipeline.parsing.coerce import typed_columns
from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.reader import read_extract
from quality_pipeline.region import load_region
from quality_pipeline.settings import DEFAULT_REGION_FILE
from quality_pipeline.validation import fast_rules
from quality_pipeline.validation.gate import _expectation_key
from tests.hostile.test_hostile_input import CASES, xlsx_external_links
from tests.support.demo import DEMO_ARGS, FEEDS

REGION = load_region(DEFAULT_REGION_FILE)
TODAYS = (date(2026, 12, 1), date(2026, 8, 15))


def _unique_frame(path: Path, feed_name: str) -> tuple[pd.DataFrame, dict] | None:
    """The frame the row suite runs on when `path` is prepared and the Arrow twins of its columns that staging
    gives fast_rules (a CSV's; none for a workbook); None when the file is rejected unread."""
    feed = load_feed(feed_name)
    try:
        raw = read_extract(path, feed)
    except ExtractRejected:
        return None
    frame, twins = typed_columns(raw, REGION)
    duplicate = exact_duplicates(raw)
    if not duplicate.any():
        return frame, twins
    kept = pa.array(~np.asarray(duplicate, dtype=bool))
    return frame[~duplicate], {name: twin.filter(kept) for name, twin in twins.items()}


def _files(tmp: Path) -> list[tuple[str, str, pd.DataFrame, dict]]:
    """(feed, file, frame, its twins) of two demo deliveries and the loadable hostile files."""
    out = []
    for name, kwargs in (("demo", DEMO_ARGS), ("defects", {**DEMO_ARGS, "seed": 5, "defect_rate": 0.4})):
        landing = tmp / name
        generate(landing, **kwargs)
        for feed_name in FEEDS:
            folder = landing / load_feed(feed_name).folder
            for path in sorted(folder.rglob("*")):
                if path.suffix in (".csv", ".xlsx") and (read := _unique_frame(path, feed_name)) is not None:
                    out.append((feed_name, f"{name}/{path.relative_to(landing)}", *read))
    out.append(_planted(max((frame for feed, name, frame, _ in out if feed == "remediation_projects"), key=len)))
    hostile = tmp / "hostile"
    hostile.mkdir()
    fifo = tmp / "linked-workbook.fifo"
    os.mkfifo(fifo)
    for case in CASES:
        if case.status != "loaded":
            continue
        path = hostile / case.name
        case.build(path, fifo) if case.build is xlsx_external_links else case.build(path)
        read = _unique_frame(path, "product_sampling")
        assert read is not None, case.name
        out.append(("product_sampling", f"hostile/{case.name}", *read))
    return out


def _planted(frame: pd.DataFrame) -> tuple[str, str, pd.DataFrame, dict]:
    """A project file with what the demo never plants: an unknown measure beside known ones, completed
    investment above 1.2 × planned, and exactly 1.2 × (allowed)."""
    frame = frame.copy()
    rows = frame.index
    frame.loc[rows[::3], "measures"] = "控源截污、填海造地"
    frame.loc[rows[1::3], "measures"] = "内源治理生态修复"
    planned = frame["planned_investment"].fillna(100.0)
    frame.loc[rows[::4], "completed_investment"] = planned[rows[::4]] * 2
    frame.loc[rows[2::4], "completed_investment"] = planned[rows[2::4]] * 1.2
    frame.loc[rows[3::4], "planned_investment"] = None
    return "remediation_projects", "planted/projects", frame, {}  # changed: the reader's twins no longer hold


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[tuple[str, str, pd.DataFrame, dict]]:
    return _files(tmp_path_factory.mktemp("agreement"))


def test_gx_and_fast_rules_find_the_same_rows_for_every_expectation(files, gate):
    failing = Counter()  # expectation type -> frames where some row failed it: the comparison had something to find
    compared = twinned = 0
    for feed_name, name, frame, twins in files:
        suite = f"{feed_name}.rows"
        items = gate.suite_items(suite, history=False)
        for today in TODAYS if name.startswith(("defects/", "planted/")) else TODAYS[:1]:
            params = row_parameters(REGION, today)
            masks = fast_rules.unexpected(items, frame, params)
            if twins:  # a CSV: what staging asks, with the reader's twins, is the same
                with_twins = fast_rules.unexpected(items, frame, params, twins)
                assert all((a == b).all() for a, b in zip(masks, with_twins, strict=True)), (name, today)
                twinned += 1
            outcomes = {_expectation_key(o.expectation, o.meta): o for o in gate.validate(suite, frame, params,
                                                                                          history=False)}
            assert len(outcomes) == len(items), (name, "two expectations alike")
            for item, mask in zip(items, masks, strict=True):
                o = outcomes[_expectation_key(item["type"], item["meta"])]
                assert o.error is None, (name, item["type"], o.error)
                assert set(o.unexpected_index) == set(frame.index[mask].tolist()), (name, today, item)
                assert o.unexpected_count == int(mask.sum()), (name, today, item)
                failing[item["type"]] += bool(mask.any())
                compared += 1
    assert len({feed for feed, *_ in files}) == len(FEEDS)
    assert compared > 1000 and twinned > 20
    # Every kind of row rule failed somewhere, so each comparison above could have found a difference.
    kinds = {item["type"] for feed in FEEDS for item in gate.suite_items(f"{feed}.rows", history=False)}
    assert {k for k in kinds if not failing[k]} == set(), failing


def _as_found(outcomes) -> dict:
    return {_expectation_key(o.expectation, o.meta): (o.success, o.unexpected_count, sorted(o.unexpected_index))
            for o in outcomes}


def test_validate_rows_on_a_sample_gives_gx_whole_frame_outcomes(files, gate):
    checked = 0
    for feed_name, name, frame, _ in files:
        if len(frame) < 20:
            continue
        suite, params = f"{feed_name}.rows", row_parameters(REGION, TODAYS[1])
        whole = gate.validate(suite, frame, params, history=False)
        sampled = gate.validate_rows(suite, frame, params, history=False, sample_rows=3)
        assert _as_found(sampled) == _as_found(whole), name
        checked += 1
    assert checked >= 10


def test_validate_rows_falls_back_to_gx_on_every_row_when_fast_rules_disagree(files, gate, monkeypatch, caplog):
    feed_name, name, frame, _ = next(f for f in files if f[0] == "product_sampling" and len(f[2]) >= 20)
    suite, params = f"{feed_name}.rows", row_parameters(REGION, TODAYS[1])
    whole = gate.validate(suite, frame, params, history=False)
    assert any(not o.success for o in whole), name
    real = fast_rules.unexpected

    def passes_everything(items, frame, parameters, twins=None):  # a fast_rules that misses every failing row
        return [np.zeros(len(frame), dtype=bool) for _ in real(items, frame, parameters, twins)]

    monkeypatch.setattr(fast_rules, "unexpected", passes_everything)
    # GX sees what it is given: here every row, among them the failing ones fast_rules missed
    sampled = gate.validate_rows(suite, frame, params, history=False, sample_rows=len(frame))
    assert _as_found(sampled) == _as_found(whole)
    assert "disagree" in caplog.text
