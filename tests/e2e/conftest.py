"""Fixtures for end-to-end runs: an initialised Airflow metadata DB (SQLite) shared by the session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """`airflow db migrate` once per session into the temporary AIRFLOW_HOME set by the root conftest."""
    home = Path(os.environ["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    airflow = Path(sys.executable).with_name("airflow")
    for args in (["db", "migrate"], ["pools", "set", "quality_warehouse", "1", "one writer"]):
        done = subprocess.run([str(airflow), *args], capture_output=True, text=True, env=os.environ.copy())
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return home


@pytest.fixture
def dagbag(airflow_db):
    """A fresh DagBag per test: a run's conf must never leak into another test's DAG objects."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    assert bag.import_errors == {}
    return bag


def run_dag(dagbag, dag_id: str, conf: dict | None = None) -> str:
    """Run a DAG with Airflow's own in-process test runner; return the run's final state."""
    dag = dagbag.dags[dag_id]
    run = dag.test(run_conf=conf or {})
    return str(run.state.value if hasattr(run.state, "value") else run.state)
