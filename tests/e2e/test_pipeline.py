"""End to end: generated extracts → the pipeline's tasks → indicators equal to ground truth, over delivery rounds.

That every DAG, run by Airflow's test runner, reproduces ground truth is checked on `make demo`'s warehouse
(tests/e2e/test_demo.py: every ingest DAG and quarterly_indicators through `make run`). What happens on later runs
(nothing new, a second delivery round) is domain logic, so it calls the same task functions the DAGs call, in
process, on a copy of the session's demo (round 1, ingested by those task functions).
"""

from __future__ import annotations

import pytest

from quality_pipeline.demo import generate
from quality_pipeline.feeds import dag_feeds
from quality_pipeline.orchestration.tasks import (
    NeedsAttention,
    ingest,
    raise_if_attention,
    refresh_indicators,
)
from quality_pipeline.region import load_region
from tests.support.demo import DEMO_ARGS
from tests.support.truth_check import (
    assert_files_match,
    assert_indicators_match,
    assert_row_issues_match,
    files,
    indicators,
)


def _run_all_tasks(run_id: str) -> dict[str, bool]:
    """What the ingest DAGs and quarterly_indicators do, by their task functions: source → needs attention."""
    attention = {}
    for source, feeds in dag_feeds().items():
        summary = ingest(feeds, run_id=f"{run_id}-{source}")
        try:
            raise_if_attention(summary)
            attention[source] = False
        except NeedsAttention:
            attention[source] = True
    refresh_indicators()
    return attention


@pytest.mark.slow  # a night with nothing new and a second round of every feed: most of a minute
def test_tasks_reproduce_ground_truth_over_two_delivery_rounds(demo, demo_env):
    quality_env, truth = demo_env, demo.truth  # round 1 as the task functions loaded it
    assert_files_match(quality_env, truth)
    assert assert_row_issues_match(quality_env, truth) >= 10
    assert assert_indicators_match(quality_env, truth) >= 200

    before = (indicators(quality_env), files(quality_env))
    assert _run_all_tasks("again") == dict.fromkeys(dag_feeds(), False)  # nothing new: nothing changes
    assert (indicators(quality_env), files(quality_env)) == before

    truth2 = generate(quality_env.landing_dir, round=2, **DEMO_ARGS)
    attention = _run_all_tasks("round-2")
    broken_feeds = {f.feed for f in truth2.files if f.round == 2 and f.status == "rejected"}
    assert broken_feeds, "round 2 delivers no broken file: the check below would prove nothing"
    assert attention == {source: bool(set(feeds) & broken_feeds) for source, feeds in dag_feeds().items()}
    assert_files_match(quality_env, truth2)
    assert_row_issues_match(quality_env, truth2)
    assert assert_indicators_match(quality_env, truth2) >= 200


def test_a_second_region_runs_the_same_pipeline(quality_env, tmp_path, monkeypatch):
    region_file = tmp_path / "region.yaml"
    region_file.write_text("code: '999001'\nname: 示例区\nstreets: [东湖, 西湖, 南湖]\n", encoding="utf-8")
    monkeypatch.setenv("QUALITY_REGION_FILE", str(region_file))
    region = load_region(region_file)
    truth = generate(quality_env.landing_dir, seed=3, quarters=1, rows_per_quarter=40, defect_rate=0.05,
                     region=region)
    raise_if_attention(ingest(dag_feeds()["product_sampling"], run_id="second-region"))
    refresh_indicators()
    scopes = {k[2] for k in indicators(quality_env) if k[1] == "sampling_batches"}
    assert scopes == {"district", "东湖街道", "西湖街道", "南湖街道"}
    sampling_truth = [t for t in truth.indicators if t["indicator"].startswith("sampling_")]
    truth.indicators = sampling_truth
    assert assert_indicators_match(quality_env, truth) == 10  # 4 batches + 4 pass rates + 2 district-only
