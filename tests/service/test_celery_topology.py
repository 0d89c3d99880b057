"""The distributed topology of docker-compose.yml, run natively: CeleryExecutor with the PostgreSQL and Redis
already running on this machine, and scheduler, dag-processor, api-server, triggerer and one Celery worker
(queues default + warehouse) started from include/quality_pipeline/orchestration/topology/. The nightly DAGs are triggered
through REST API v2; the warehouse, the queue routing, the asset-triggered indicators and the failure alert
sent by the dag-processor are checked.
"""

from __future__ import annotations

import os
import secrets
import time
import uuid
from pathlib import Path

import pytest

from quality_pipeline.demo import generate
from quality_pipeline.orchestration.topology import ADMIN_USER, SERVICES, WORKER_QUEUES
from quality_pipeline.orchestration.topology.api import AirflowApi
from quality_pipeline.orchestration.topology.services import (
    Topology,
    distributed_env,
    free_port,
    run_init,
    set_admin_password,
)
from quality_pipeline.warehouse.writer import open_published
from tests.service.conftest import (
    INGEST,
    QUIET_TOPOLOGY,
    alert_env,
    gx_imported_where_validated,
    kill_processes_of,
    last_two_closed_quarters,
    latest_night,
    validating_task_logs,
)

WRITERS = {"discover_files", "publish_file", "publish_warehouse", "held_decision.apply_decision"}  # the ingest tasks that write DuckDB
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]  # a whole topology started: minutes
PG = os.environ.get("QUALITY_TEST_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432")
REDIS = os.environ.get("QUALITY_TEST_REDIS", "redis://127.0.0.1:6379")
LOCK_KEY = "quality_pipeline:test-lock"


@pytest.fixture(scope="module")
def database():
    """A fresh PostgreSQL database for the metadata, dropped afterwards."""
    import psycopg2

    name = f"quality_celery_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(PG.replace("postgresql+psycopg2", "postgresql") + "/postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield f"{PG}/{name}"
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


@pytest.fixture(scope="module")
def broker():
    """A Redis database nobody else is using (a lock key marks it ours), emptied before and after."""
    import redis

    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{REDIS}/{number}")
        if client.set(LOCK_KEY, str(os.getpid()), nx=True, ex=3600):
            break
    else:
        pytest.fail("every Redis database 1-15 is locked by another test run")
    try:
        for key in client.scan_iter():
            if key.decode() != LOCK_KEY:
                client.delete(key)
        yield f"{REDIS}/{number}"
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(scope="module")
def topology(tmp_path_factory, database, broker, receivers):
    root = tmp_path_factory.mktemp("celery")
    # One quarter of every feed: orchestration is under test here, not the parsers nor the quarters (two quarters
    # and a backfill are in test_embedded.py); each file is a task process that imports the pipeline and GX.
    quarters = last_two_closed_quarters()[1:]
    truth = generate(root / "landing", seed=31, end_quarter=quarters[0], quarters=1, rows_per_quarter=30,
                     defect_rate=0, messy=False)
    home = root / "home"
    base = {**os.environ, **alert_env(*receivers),
            "QUALITY_LANDING_DIR": str(root / "landing"),
            "QUALITY_WAREHOUSE": str(root / "warehouse" / "quality.duckdb"),
            "QUALITY_REPORTS_DIR": str(root / "reports"),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            **QUIET_TOPOLOGY}
    for var in ("AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__EXECUTOR", "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
                "AIRFLOW__API__BASE_URL"):
        base.pop(var, None)
    env = distributed_env(base, home=home, port=free_port(), database_url=database, broker_url=broker)
    password = secrets.token_urlsafe(12)
    set_admin_password(env, password)
    run_init(env, home / "logs" / "init.log")
    services = Topology(env, home / "logs" / "services")
    try:
        services.start_services()
        services.wait_until_up(timeout_s=300)
        services.truth, services.quarters = truth, quarters
        services.api = AirflowApi(services.base_url, ADMIN_USER, password)
        yield services
    finally:
        services.stop()
        kill_processes_of(home)


def _warehouse(env, sql: str) -> list[tuple]:
    con = open_published(Path(env["QUALITY_WAREHOUSE"]))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_topology_started_is_the_compose_one(topology):
    assert set(topology.processes) == set(SERVICES)
    assert topology.env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert topology.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert topology.env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    assert not topology.dead()


def test_nightly_dags_through_the_rest_api(topology):
    api = topology.api
    api.wait_for_dags([*INGEST, "quarterly_indicators"])
    api.unpause("quarterly_indicators")  # so that the ingest DAGs' asset events trigger it
    tonight = latest_night()
    runs = {dag_id: api.trigger(dag_id, logical_date=tonight) for dag_id in INGEST}
    for dag_id in INGEST:
        api.unpause(dag_id)
    for dag_id, run_id in runs.items():
        assert api.wait_for_run(dag_id, run_id, timeout_s=900) == "success", (dag_id, topology.tail())

    files = dict(_warehouse(topology.env, "SELECT path, status FROM audit.files"))
    assert set(files) == {f.path for f in topology.truth.files} and set(files.values()) == {"loaded"}
    for dag_id, run_id in runs.items():
        for ti in api.task_instances(dag_id, run_id):
            writes = ti["task_id"] in WRITERS
            assert ti["queue"] == ("warehouse" if writes else "default"), ti
            assert ti["pool"] == ("quality_warehouse" if writes else "default_pool"), ti
            if ti["state"] != "skipped":  # no held file: the decision group is skipped, never sent to a worker
                assert ti["state"] == "success" and ti["hostname"], ti  # run by the Celery worker (both queues)
    assert set(WORKER_QUEUES) == {"default", "warehouse"}
    # every file's tasks found Great Expectations imported by the worker (not seconds of importing per task)
    validating = validating_task_logs(Path(topology.env["AIRFLOW_HOME"], "logs"))
    assert len(validating) >= 2 * len(topology.truth.files), validating
    assert gx_imported_where_validated(validating), validating

    asset_run = _finished_asset_triggered_run(api)
    assert asset_run["state"] == "success"
    quarters = {q for (q,) in _warehouse(topology.env, "SELECT DISTINCT quarter FROM marts.quarterly_indicators")}
    assert set(topology.quarters) <= quarters


def _finished_asset_triggered_run(api, timeout_s: float = 600) -> dict:
    """The last asset-triggered run of quarterly_indicators once every run of it has finished."""
    deadline = time.monotonic() + timeout_s
    while True:
        runs = api.runs("quarterly_indicators", order_by="-run_after")
        triggered = [r for r in runs if r["run_type"] == "asset_triggered"]
        if triggered and all(r["state"] in ("success", "failed") for r in runs):
            return triggered[0]
        assert time.monotonic() < deadline, runs
        time.sleep(3)


def test_failed_run_alert_is_sent_by_the_dag_processor(topology, receivers):
    hook, smtp = receivers
    api = topology.api
    broken = topology.env["QUALITY_LANDING_DIR"] + "/product_sampling/第四季度抽检_损坏.xlsx"
    with open(broken, "wb") as fh:
        fh.write(b"PK\x03\x04 not really a workbook")
    run_id = api.trigger("ingest_product_sampling")
    assert api.wait_for_run("ingest_product_sampling", run_id, timeout_s=600) == "failed"

    message = hook.wait_for(lambda m: m.get("event") == "dag_failed" and m.get("run_id") == run_id, timeout_s=180)
    assert message["dag_id"] == "ingest_product_sampling" and message["task_id"] == "check_attention"
    assert message["url"].startswith(topology.base_url)
    smtp.wait_for(lambda m: run_id in m["subject"] or ("ingest_product_sampling failed" in m["subject"]),
                  timeout_s=60)
    status = dict(_warehouse(topology.env, "SELECT path, status FROM audit.files"))
    assert status["product_sampling/第四季度抽检_损坏.xlsx"] == "rejected"
