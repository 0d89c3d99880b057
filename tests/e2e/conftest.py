"""End-to-end runs: a test that takes the DagBag runs DAGs, so it gets the session's Airflow metadata DB."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _metadata_db_for_dag_runs(request):
    if "dagbag" in request.fixturenames:
        request.getfixturevalue("airflow_db")
