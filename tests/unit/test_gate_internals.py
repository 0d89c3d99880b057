"""Guards on the one Great Expectations internal the gate relies on (a GX upgrade that changes it fails here)."""

from __future__ import annotations

import contextlib

import pandas as pd

# A product-sampling batch summary that passes: what these tests validate when only the validation matters.
SUMMARY = {"rows_read": 10, "rejected_share": 0.0, "keys_vs_period": None, "columns_dropped": 0, "sheet_conflicts": 0}


def _validated(docs_dir, assets_in=None):
    """A gate writing Data Docs to `docs_dir` (static files shared in `assets_in`) that validated `SUMMARY`."""
    from quality_pipeline.validation.gate import Gate

    gate = Gate(docs_dir=docs_dir, assets_in=assets_in)
    gate.validate("product_sampling.batch", pd.DataFrame([SUMMARY]), {})
    return gate


def test_gx_no_longer_fingerprints_each_frame(gate):
    """GX hashes every pandas batch under HASH_THRESHOLD bytes for a batch marker (twice per validation,
    half the validation time at 1M rows). The gate sets the threshold to 0; the marker must be gone."""
    from great_expectations.execution_engine import pandas_execution_engine

    assert pandas_execution_engine.HASH_THRESHOLD == 0
    outcomes = gate.validate("product_sampling.batch", pd.DataFrame([SUMMARY]), {})
    assert outcomes and all(o.error is None for o in outcomes)
    markers = gate._results[-1].meta["batch_markers"]
    assert "ge_load_time" in markers
    assert "pandas_data_fingerprint" not in markers


def test_gx_metric_cache_is_emptied_after_each_validation(gate):
    """GX keeps the resolved metrics (row masks, unexpected values) of a validation until the next one; the
    gate drops them at once, and must not reuse anything stale."""
    frame = pd.DataFrame({"rows_read": [10], "rejected_share": [0.5], "keys_vs_period": [0.1],
                          "columns_dropped": [0], "sheet_conflicts": [0]})
    first = gate.validate("product_sampling.batch", frame, {})
    engine = gate._asset.datasource.get_execution_engine()
    assert isinstance(engine._metric_cache, dict) and not engine._metric_cache
    assert not engine.batch_manager.batch_data_cache
    second = gate.validate("product_sampling.batch", frame.assign(rejected_share=0.0, keys_vs_period=1.0), {})
    assert [o.success for o in first] != [o.success for o in second]  # nothing stale is reused


def test_data_docs_templates_are_compiled_once_per_process(tmp_path, monkeypatch):
    """GX makes a Jinja environment per Data Docs view; the gate gives each one the process's compiled
    templates, so a second task's pages compile nothing. Fails if GX's views stop holding their environment
    in `env` (then every task compiles every template again)."""
    import jinja2
    from great_expectations.render.view.view import DefaultJinjaView

    first, second = _validated(tmp_path / "first"), _validated(tmp_path / "second")
    assert isinstance(DefaultJinjaView().env, jinja2.Environment)
    assert first.build_docs().is_file()
    compiled = []
    compile_template = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda env, *a, **k: compiled.append(a[1] if len(a) > 1 else None)
                        or compile_template(env, *a, **k))
    page = second.build_docs()
    assert page.is_file() and "product_sampling.batch" in page.read_text(encoding="utf-8")
    assert compiled == []


def _sampling_frame(tmp_path):
    """A typed product-sampling frame with rows that fail rules (a bad date, a conclusion not in the list, a
    repeated sample number) beside good ones."""
    from datetime import date

    from quality_pipeline.feeds import load_feed
    from quality_pipeline.loading.stage import row_parameters
    from quality_pipeline.parsing.coerce import typed_frame
    from quality_pipeline.parsing.reader import read_extract
    from quality_pipeline.region import load_region
    from quality_pipeline.settings import DEFAULT_REGION_FILE
    from tests.support.extracts import sampling_row, write_sampling_csv

    rows = [sampling_row(n) for n in range(1, 30)]
    rows[3][5] = "2026-13-40"
    rows[7][6] = "待定"
    rows[9][0] = rows[10][0]
    region = load_region(DEFAULT_REGION_FILE)
    raw = read_extract(write_sampling_csv(tmp_path / "s.csv", rows), load_feed("product_sampling"))
    return typed_frame(raw, region), row_parameters(region, date(2026, 12, 1))


def _as_compared(outcomes) -> list[tuple]:
    return [(o.expectation, sorted(o.meta.items()), o.success, o.unexpected_count, sorted(o.unexpected_index),
             repr(o.observed_value), o.error) for o in outcomes]


def test_each_expectation_configuration_is_built_once_per_validation_with_gx_s_outcomes(gate, tmp_path,
                                                                                         monkeypatch):
    """GX rebuilds an expectation's `configuration` on every read (about a hundred per expectation in one
    validation); the gate builds it once per validation. Fails if GX's property goes away or changes kind (the
    Gate refuses to start), if the outcomes differ from GX's own property's, or if a configuration outlives its
    validation."""
    from great_expectations.expectations.expectation import Expectation

    from quality_pipeline.validation import gate as gate_module

    frame, params = _sampling_frame(tmp_path)
    one_each = gate_module._one_configuration_each
    assert Expectation.__dict__["configuration"].fget.built_once_per_validation
    builds = []  # GX builds a configuration from the expectation's fields: `dict(exclude_defaults=True)`
    as_dict = Expectation.dict
    monkeypatch.setattr(Expectation, "dict", lambda self, *a, **k: builds.append(k) or as_dict(self, *a, **k))
    with_memo = gate.validate("product_sampling.rows", frame, params, history=False)
    built_with_memo = len(builds)
    monkeypatch.setattr(gate_module, "_one_configuration_each", contextlib.nullcontext)  # GX's own behaviour
    without = gate.validate("product_sampling.rows", frame, params, history=False)
    built_without = len(builds) - built_with_memo

    assert any(not o.success for o in with_memo) and any(o.success for o in with_memo)
    assert _as_compared(with_memo) == _as_compared(without)
    assert 0 < 3 * built_with_memo < built_without
    import great_expectations as gx

    probe = gx.expectations.ExpectColumnValuesToNotBeNull(column="sample_no")
    assert gate_module._CONFIGURATIONS.get() is None  # nothing kept after the validations
    assert probe.configuration is not probe.configuration  # outside one: GX's own, a new object per read
    with one_each():
        assert probe.configuration is probe.configuration


def _documented(tmp_path, name: str, assets_in=None):
    return _validated(tmp_path / "validation" / name, assets_in).build_docs()


def _local_files_of(page):
    import re

    text = page.read_text(encoding="utf-8")
    return re.findall(r'<(?:script|link|img)\b[^>]*?(?:src|href)="(?!https?:|#|data:)([^"#?]+)"', text)


def test_sites_of_one_reports_folder_share_one_copy_of_the_static_files(tmp_path, monkeypatch):
    """GX copies its static files (4 MB) into each site and the vendored ones (2 MB) were copied beside them: 435 MB
    for the 72 sites of one 36-file night. Sites built with `assets_in` skip both copies and point at the reports
    folder's one copy; every file a page names exists; a self-contained site still carries its own. Fails if GX's
    `HtmlSiteStore.copy_static_assets` goes away."""
    from great_expectations.data_context.store.html_site_store import HtmlSiteStore

    from quality_pipeline.validation.docs import SHARED_ASSETS
    from quality_pipeline.validation.gate import Gate

    Gate()  # a gate puts its hook on GX's copy
    assert getattr(HtmlSiteStore.copy_static_assets, "skipped_when_shared", False)
    copies = []
    copy = HtmlSiteStore.copy_static_assets
    monkeypatch.setattr(HtmlSiteStore, "copy_static_assets",
                        lambda self, *a, **k: copies.append(a) or copy(self, *a, **k))
    pages = [_documented(tmp_path, f"run{n}/file/rows", assets_in=tmp_path) for n in range(3)]
    shared = tmp_path / SHARED_ASSETS
    assert not any((page.parent / "static").exists() for page in pages)
    for page in pages:
        for html in page.parent.rglob("*.html"):
            named = _local_files_of(html)
            assert any(SHARED_ASSETS in n for n in named), html
            assert all((html.parent / n).is_file() for n in named), html
    assert (shared / "vendor" / "jquery" / "jquery.min.js").is_file() and (shared / "styles").is_dir()
    assert sum(f.stat().st_size for f in pages[0].parent.rglob("*") if f.is_file()) < 500_000

    own = _documented(tmp_path, "own")  # no assets_in: a site that carries its files
    assert copies and (own.parent / "static" / "vendor" / "jquery" / "jquery.min.js").is_file()
    assert all((own.parent / n).is_file() for n in _local_files_of(own))


def test_the_shared_static_files_are_written_once_and_replaced_whole(tmp_path):
    """Written once per version of GX and of the vendored files: a second site does not write them again; a copy
    with another stamp (an upgrade) or none (a copy interrupted before it was renamed into place could not leave
    one, but a person could) is replaced whole; a crashed writer's temporary folder goes once an hour old."""
    import os

    from quality_pipeline.validation.docs import SHARED_ASSETS, STAMP, shared_assets

    shared = shared_assets(tmp_path)
    assert shared == tmp_path / SHARED_ASSETS and (shared / STAMP).is_file()
    inode = shared.stat().st_ino
    assert shared_assets(tmp_path).stat().st_ino == inode  # not written again

    (shared / STAMP).write_text("great_expectations 0.18", encoding="utf-8")
    (shared / "vendor" / "jquery" / "jquery.min.js").unlink()
    crashed, fresh = tmp_path / f".{SHARED_ASSETS}-crashed", tmp_path / f".{SHARED_ASSETS}-writing"
    crashed.mkdir()
    fresh.mkdir()
    os.utime(crashed, (0, 0))
    again = shared_assets(tmp_path)
    assert again.stat().st_ino != inode and (again / "vendor" / "jquery" / "jquery.min.js").is_file()
    assert not crashed.exists() and fresh.exists()  # another writer's may still be in use
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([SHARED_ASSETS, fresh.name])


def test_the_process_that_imports_gx_leaves_its_objects_out_of_full_collections():
    """`import_great_expectations` freezes what importing GX made (gc.freeze): a million-row file then does
    not trigger a full collection that walks GX's ~275,000 objects. In a fresh interpreter, as a task is."""
    import subprocess
    import sys

    probe = ("import gc\nfrom quality_pipeline.validation.gate import import_great_expectations\n"
             "before = gc.get_freeze_count()\nimport_great_expectations()\nfirst = gc.get_freeze_count()\n"
             "import_great_expectations()\nprint(before, first, gc.get_freeze_count())")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300)
    before, first, again = map(int, out.stdout.split())
    assert before == 0 and first > 100_000, out.stdout
    assert again == first  # imported once, frozen once
