"""The two ways to run the project's Airflow, described once.

- **Embedded** (the default, `make up`): `airflow standalone` — SQLite, LocalExecutor, one host.
- **Distributed** (`docker-compose.yml`, or natively with `python -m quality_pipeline.orchestration.topology distributed`):
  PostgreSQL + Redis + CeleryExecutor, one process per service below.

`docker-compose.yml` is written by hand for people to read; a test parses it and checks that it runs the
services, commands, queues and settings declared here, which are also what the native launcher starts.
"""

from __future__ import annotations

from quality_pipeline.feeds import dag_feeds
from quality_pipeline.orchestration.defaults import DEFAULT_QUEUE, WAREHOUSE_POOL, WAREHOUSE_QUEUE

SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
ADMIN_USER = "admin"
POOL_DESCRIPTION = "The one writer of the DuckDB warehouse"

# The project's DAGs, which `make up` unpauses (they are created paused, as everywhere).
PROJECT_DAGS = (*(f"ingest_{source}" for source in dag_feeds()), "quarterly_indicators")

EXECUTOR = "CeleryExecutor"
# The one worker that holds the warehouse volume serves both queues; a second worker host serves `default` only.
WORKER_QUEUES = (DEFAULT_QUEUE, WAREHOUSE_QUEUE)
WORKER_CONCURRENCY = 2

# Compose service name → the Airflow command it runs (after `airflow`).
SERVICES: dict[str, tuple[str, ...]] = {
    "airflow-apiserver": ("api-server",),
    "airflow-scheduler": ("scheduler",),
    "airflow-dag-processor": ("dag-processor",),
    "airflow-triggerer": ("triggerer",),
    "airflow-worker": ("celery", "worker", "--queues", ",".join(WORKER_QUEUES),
                       "--concurrency", str(WORKER_CONCURRENCY)),
}
# What `airflow-init` runs once before the services start (each after `airflow`).
INIT_STEPS: tuple[tuple[str, ...], ...] = (
    ("db", "migrate"),
    ("pools", "set", WAREHOUSE_POOL, "1", POOL_DESCRIPTION),
)

# Settings with the same value everywhere the distributed topology runs.
SHARED_SETTINGS: dict[str, str] = {
    "AIRFLOW__CORE__EXECUTOR": EXECUTOR,
    "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    "AIRFLOW__OPERATORS__DEFAULT_QUEUE": DEFAULT_QUEUE,
    "GX_ANALYTICS_ENABLED": "false",
    # Airflow's Celery settings, and the worker imports the pipeline once for all its task processes (preload.py)
    "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "quality_pipeline.orchestration.celery_config.CELERY_CONFIG",
}
# Settings every distributed deployment sets, whose values depend on the site (hosts, paths, secrets).
SITE_SETTINGS: tuple[str, ...] = (
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__API__BASE_URL",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
    "AIRFLOW__CORE__DAGS_FOLDER",
    "QUALITY_LANDING_DIR",
    "QUALITY_WAREHOUSE",
    "QUALITY_REPORTS_DIR",
)
