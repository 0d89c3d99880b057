"""Guards on the one Great Expectations internal the gate relies on (a GX upgrade that changes it fails here)."""

from __future__ import annotations

import pandas as pd


def test_gx_no_longer_fingerprints_each_frame(gate):
    """GX hashes every pandas batch under HASH_THRESHOLD bytes for a batch marker (twice per validation,
    half the validation time at 1M rows). The gate sets the threshold to 0; the marker must be gone."""
    from great_expectations.execution_engine import pandas_execution_engine

    assert pandas_execution_engine.HASH_THRESHOLD == 0
    summary = pd.DataFrame([{"rows_read": 10, "rejected_share": 0.0, "keys_vs_period": None, "columns_dropped": 0,
                             "sheet_conflicts": 0}])
    outcomes = gate.validate("product_sampling.batch", summary, {})
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

    from quality_pipeline.validation.gate import Gate

    def documented(name: str) -> Gate:
        gate = Gate(docs_dir=tmp_path / name)
        summary = pd.DataFrame([{"rows_read": 10, "rejected_share": 0.0, "keys_vs_period": None,
                                 "columns_dropped": 0, "sheet_conflicts": 0}])
        gate.validate("product_sampling.batch", summary, {})
        return gate

    first, second = documented("first"), documented("second")
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
