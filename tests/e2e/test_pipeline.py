"""End to end: generated extracts → the DAGs, run by Airflow's test runner → indicators equal to ground truth."""

from __future__ import annotations

from quality_pipeline.demo import generate
from quality_pipeline.region import load_region
from tests.support.dags import INGEST_DAG_IDS, run_dag
from tests.support.truth_check import (
    assert_files_match,
    assert_indicators_match,
    assert_row_issues_match,
    files,
    indicators,
)


def _run_all(dagbag) -> dict[str, str]:
    states = {dag_id: run_dag(dagbag, dag_id) for dag_id in INGEST_DAG_IDS}
    states["quarterly_indicators"] = run_dag(dagbag, "quarterly_indicators")
    return states


def test_dags_reproduce_ground_truth_over_two_delivery_rounds(quality_env, dagbag):
    args = dict(seed=11, quarters=2, rows_per_quarter=60, defect_rate=0.06)
    truth = generate(quality_env.landing_dir, **args)
    assert set(_run_all(dagbag).values()) == {"success"}
    assert_files_match(quality_env, truth)
    assert assert_row_issues_match(quality_env, truth) >= 10
    assert assert_indicators_match(quality_env, truth) >= 200

    before = (indicators(quality_env), files(quality_env))
    assert set(_run_all(dagbag).values()) == {"success"}  # nothing new: nothing changes
    assert (indicators(quality_env), files(quality_env)) == before

    truth2 = generate(quality_env.landing_dir, round=2, **args)
    states = _run_all(dagbag)
    broken_feeds = {f.feed for f in truth2.files if f.round == 2 and f.status == "rejected"}
    for dag_id, source in (("ingest_product_sampling", "product_sampling"), ("ingest_enforcement", "enforcement"),
                           ("ingest_remediation", "remediation")):
        expected = "failed" if any(feed.startswith(source.split("_")[0]) for feed in broken_feeds) else "success"
        assert states[dag_id] == expected, (dag_id, states[dag_id], broken_feeds)
    assert states["quarterly_indicators"] == "success"
    assert_files_match(quality_env, truth2)
    assert_row_issues_match(quality_env, truth2)
    assert assert_indicators_match(quality_env, truth2) >= 200


def test_a_second_region_runs_the_same_pipeline(quality_env, dagbag, tmp_path, monkeypatch):
    region_file = tmp_path / "region.yaml"
    region_file.write_text("code: '999001'\nname: 示例区\nstreets: [东湖, 西湖, 南湖]\n", encoding="utf-8")
    monkeypatch.setenv("QUALITY_REGION_FILE", str(region_file))
    region = load_region(region_file)
    truth = generate(quality_env.landing_dir, seed=3, quarters=1, rows_per_quarter=40, defect_rate=0.05,
                     region=region)
    assert run_dag(dagbag, "ingest_product_sampling") == "success"
    assert run_dag(dagbag, "quarterly_indicators") == "success"
    scopes = {k[2] for k in indicators(quality_env) if k[1] == "sampling_batches"}
    assert scopes == {"district", "东湖街道", "西湖街道", "南湖街道"}
    sampling_truth = [t for t in truth.indicators if t["indicator"].startswith("sampling_")]
    truth.indicators = sampling_truth
    assert assert_indicators_match(quality_env, truth) == 10  # 4 batches + 4 pass rates + 2 district-only
