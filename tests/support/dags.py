"""The project's DAG ids, read from the dags/ folder (one DAG per file, named after it), and how a test runs one."""

from __future__ import annotations

from tests.support import DAGS_DIR

DAG_IDS = tuple(sorted(p.stem for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_")))
INGEST_DAG_IDS = tuple(d for d in DAG_IDS if d.startswith("ingest_"))


def run_dag(dagbag, dag_id: str, conf: dict | None = None) -> str:
    """Run a DAG with Airflow's own in-process test runner; return the run's final state."""
    dag = dagbag.dags[dag_id]
    run = dag.test(run_conf=conf or {})
    return str(run.state.value if hasattr(run.state, "value") else run.state)
