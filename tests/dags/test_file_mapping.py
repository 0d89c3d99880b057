"""Ingest DAGs map one task instance per file, and a held file waits on a person's decision."""

from __future__ import annotations

from datetime import timedelta

import pytest

from quality_pipeline.feeds import dag_feeds
from quality_pipeline.orchestration.defaults import (
    DECISIONS,
    KEEP_HELD,
    WAREHOUSE_POOL,
    held_decision_timeout,
)

INGEST = [f"ingest_{source}" for source in dag_feeds()]


@pytest.fixture
def dags(dagbag):
    return dagbag.dags


@pytest.mark.parametrize("dag_id", INGEST)
def test_each_file_gets_its_own_prepare_and_publish_named_after_it(dags, dag_id):
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    dag = dags[dag_id]
    prepare, publish = dag.get_task("prepare_file"), dag.get_task("publish_file")
    assert isinstance(prepare, MappedOperator) and isinstance(publish, MappedOperator)
    assert prepare.upstream_task_ids == {"discover_files"} and publish.upstream_task_ids == {"in_delivery_order"}
    # publishing waits for every prepare (done or failed), then goes in delivery order
    order = dag.get_task("in_delivery_order")
    assert order.upstream_task_ids == {"discover_files", "prepare_file"} and order.trigger_rule == "all_done"
    for task in (prepare, publish):
        assert task.map_index_template == "{{ file_name }}"
    # reading and checking run anywhere, in parallel; publishing is serialised on the writer
    assert prepare.pool != WAREHOUSE_POOL and prepare.queue == "default"
    assert publish.pool == WAREHOUSE_POOL and publish.queue == "warehouse"
    assert dag.get_task("discover_files").pool == WAREHOUSE_POOL


@pytest.mark.parametrize("dag_id", INGEST)
def test_a_failed_file_does_not_stop_the_summary_of_its_siblings(dags, dag_id):
    dag = dags[dag_id]
    summary = dag.get_task("summarise")
    assert summary.trigger_rule == "all_done"
    assert summary.upstream_task_ids == {"discover_files", "publish_file", "publish_warehouse"}
    for downstream in ("announce_changes", "held_files"):
        assert dag.get_task(downstream).upstream_task_ids == {"summarise"}
    # a copy-out that failed fails the run (check_attention does not run), the summary is written all the same
    assert dag.get_task("check_attention").upstream_task_ids == {"summarise", "publish_warehouse"}


@pytest.mark.parametrize("dag_id", INGEST)
def test_the_warehouse_is_copied_out_once_per_run_after_every_file(dags, dag_id):
    """Each publish_file commits its file to the writer's working copy; one writer task copies them all out
    to the published warehouse when every publish_file is done, failed ones included."""
    dag = dags[dag_id]
    copy_out = dag.get_task("publish_warehouse")
    assert copy_out.upstream_task_ids == {"publish_file"} and copy_out.trigger_rule == "all_done"
    assert copy_out.pool == WAREHOUSE_POOL and copy_out.queue == "warehouse"


@pytest.mark.parametrize("dag_id", INGEST)
def test_a_held_file_waits_on_a_decision_that_defaults_to_keeping_it_held(dags, dag_id):
    from airflow.providers.standard.operators.hitl import HITLOperator

    dag = dags[dag_id]
    decide = dag.get_task("held_decision.decide")
    assert isinstance(decide, HITLOperator)
    assert list(decide.options) == list(DECISIONS) and decide.defaults == [KEEP_HELD]
    assert decide.response_timeout == timedelta(days=7) == held_decision_timeout()
    assert decide.map_index_template  # the grid names each decision after its file
    assert decide.upstream_task_ids == {"held_decision.describe"}
    apply = dag.get_task("held_decision.apply_decision")
    assert apply.upstream_task_ids == {"held_decision.decide", "held_files"}
    assert apply.pool == WAREHOUSE_POOL
    # not the writer's pool: a waiting decision holds no slot, so other runs publish meanwhile
    assert decide.pool != WAREHOUSE_POOL
    # several runs may be active: one waiting on a decision never holds back the next night
    assert dag.max_active_runs > held_decision_timeout().days
    assert dag.params.get_param("ask_about_held").value is True


def test_the_timeout_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("QUALITY_HELD_DECISION_TIMEOUT_DAYS", "2")
    assert held_decision_timeout() == timedelta(days=2)
