"""What runs when, with which Params, and who hears about it: schedules, the quarter plan, deadline, alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quality_pipeline.feeds import dag_feeds
from quality_pipeline.orchestration.defaults import NIGHTLY_CRON, QUARTER_CLOSE_CRON, asset_uris
from quality_pipeline.orchestration.tasks import closed_quarter, plan_quarterly_run

DAG_FEEDS = dag_feeds()
ASSET_URIS = asset_uris()


@pytest.fixture
def dags(dagbag):
    return dagbag.dags


@pytest.mark.parametrize("moment, quarter", [
    (datetime(2026, 6, 30, 19, 0, tzinfo=UTC), "2026Q2"),   # 2026-07-01 03:00 in Shanghai
    (datetime(2026, 6, 30, 15, 0, tzinfo=UTC), "2026Q1"),   # still 30 June in Shanghai
    (datetime(2026, 12, 31, 19, 0, tzinfo=UTC), "2026Q4"),  # 2027-01-01 03:00 in Shanghai
    (datetime(2026, 11, 25).date(), "2026Q3"),
])
def test_closed_quarter_in_the_districts_time_zone(moment, quarter):
    assert closed_quarter(moment) == quarter


def test_plan_of_each_kind_of_run():
    close = datetime(2026, 9, 30, 19, 0, tzinfo=UTC)  # 2026-10-01 03:00 Asia/Shanghai
    assert plan_quarterly_run(run_type="scheduled", logical_date=close) == {
        "run_type": "scheduled", "quarters": ["2026Q3"], "vintage_quarters": [], "closed_at": "2026-10-01"}
    assert plan_quarterly_run(run_type="backfill", logical_date=datetime(2026, 6, 30, 19, tzinfo=UTC)) == {
        "run_type": "backfill", "quarters": ["2026Q2"], "vintage_quarters": [], "closed_at": None}
    backfill_publishing = plan_quarterly_run(run_type="backfill", logical_date=datetime(2026, 6, 30, 19, tzinfo=UTC),
                                             publish_vintage=True)
    assert backfill_publishing["vintage_quarters"] == ["2026Q2"]
    assert plan_quarterly_run(run_type="asset_triggered", logical_date=None)["quarters"] == []
    manual = plan_quarterly_run(run_type="manual", logical_date=None, quarters=["2026Q3", "2026Q1", "2026Q3"])
    assert manual == {"run_type": "manual", "quarters": ["2026Q1", "2026Q3"], "vintage_quarters": [],
                      "closed_at": None}
    latest = plan_quarterly_run(run_type="manual", logical_date=None, publish_vintage=True,
                                now=datetime(2026, 11, 25, tzinfo=UTC))
    assert latest["quarters"] == [] and latest["vintage_quarters"] == ["2026Q3"]


def test_plan_reads_the_task_sdks_run_type():
    from airflow.sdk.api.datamodels._generated import DagRunType

    plan = plan_quarterly_run(run_type=DagRunType.BACKFILL, logical_date=datetime(2026, 3, 31, 19, tzinfo=UTC))
    assert plan["run_type"] == "backfill" and plan["quarters"] == ["2026Q1"]


def test_schedules(dags):
    for source in DAG_FEEDS:
        timetable = dags[f"ingest_{source}"].timetable
        assert timetable._expression == NIGHTLY_CRON and str(timetable._timezone.name) == "Asia/Shanghai"
    quarterly = dags["quarterly_indicators"].timetable
    assert quarterly.timetable._expression == QUARTER_CLOSE_CRON
    assert {a.uri for _, a in quarterly.asset_condition.iter_assets()} == set(ASSET_URIS.values())
    for source, uri in ASSET_URIS.items():
        ingest = dags[f"ingest_{source}"]
        carriers = {t.task_id: [o.uri for o in t.outlets] for t in ingest.tasks if t.outlets}
        # the event waits for what changed the warehouse: a run's loads, or a decision about a held file
        assert carriers == {"announce_changes": [uri], "held_decision.apply_decision": [uri]}
        assert ingest.get_task("announce_changes").upstream_task_ids == {"summarise"}


def test_nightly_deadline_is_0600_and_alerts_through_the_notifier(dags):
    from airflow.sdk import AsyncCallback
    from airflow.sdk.definitions.deadline import DagRunLogicalDateDeadline

    from quality_pipeline.orchestration.notifications import QualityAlert

    for source in DAG_FEEDS:
        (alert,) = dags[f"ingest_{source}"].deadline
        assert isinstance(alert.reference, DagRunLogicalDateDeadline)
        assert (datetime(2026, 11, 26, 1, 0) + alert.interval).time().hour == 6  # 01:00 logical date + 5 h
        assert isinstance(alert.callback, AsyncCallback)
        assert alert.callback.path == "quality_pipeline.orchestration.notifications.QualityAlert"
        assert alert.callback.kwargs == {"event": "deadline_missed"}
    assert not dags["quarterly_indicators"].deadline
    for dag in dags.values():
        assert any(isinstance(cb, QualityAlert) for cb in dag.on_failure_callback)


def test_dag_test_runs_without_the_deadline_and_gives_it_back(dags):
    """`dag.test()` crashes on deadline alerts in Airflow 3.3.2, so the ingest DAGs lend them out for that run."""
    from airflow.sdk import DAG

    from quality_pipeline.orchestration.dag_factory import runs_in_dag_test
    from quality_pipeline.orchestration.notifications import nightly_deadline

    for source in DAG_FEEDS:
        assert dags[f"ingest_{source}"].test.__qualname__ == "runs_in_dag_test.<locals>.test"
    dag = DAG("probe", schedule=None, deadline=nightly_deadline())
    seen = []
    dag.test = lambda *args, **kwargs: seen.append(dag.deadline)  # stands in for DAG.test
    runs_in_dag_test(dag)
    dag.test()
    assert seen == [None] and len(dag.deadline) == 1


@pytest.mark.parametrize("source", sorted(DAG_FEEDS))
def test_ingest_params(dags, source):
    params = dags[f"ingest_{source}"].params
    feeds = params.get_param("feeds")
    assert feeds.value == list(DAG_FEEDS[source])
    assert feeds.schema["items"]["enum"] == list(DAG_FEEDS[source]) and feeds.schema["minItems"] == 1
    for name in ("release", "reprocess", "withdraw"):
        assert params.get_param(name).value == [] and params.get_param(name).schema["type"] == "array"
    assert params.get_param("reason").value == "" and params.get_param("reason").schema["type"] == "string"


def test_quarterly_params(dags):
    params = dags["quarterly_indicators"].params
    assert params.get_param("quarters").schema["items"]["pattern"] == "^[0-9]{4}Q[1-4]$"
    assert params.get_param("publish_vintage").value is False
    assert params.get_param("publish_vintage").schema["type"] == "boolean"


def test_retry_delays_grow(dags):
    task = dags["ingest_product_sampling"].get_task("publish_file")
    assert task.retry_delay == timedelta(minutes=2) and task.retry_exponential_backoff == 2.0
    assert task.max_retry_delay == timedelta(minutes=30)
