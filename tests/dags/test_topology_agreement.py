"""docker-compose.yml and the native distributed topology (tests/service/test_celery_topology.py) agree.

Both come from include/quality_pipeline/orchestration/topology/: the native test starts exactly its SERVICES with the
environment `distributed_env` builds; here the compose file is parsed and compared with the same
description, so neither can drift alone. No service is needed.
"""

from __future__ import annotations

import shlex

import pytest
import yaml

from quality_pipeline.orchestration.defaults import DEFAULT_QUEUE, WAREHOUSE_POOL, WAREHOUSE_QUEUE
from quality_pipeline.orchestration.topology import (
    EXECUTOR,
    INIT_STEPS,
    SERVICES,
    SHARED_SETTINGS,
    SITE_SETTINGS,
    WORKER_CONCURRENCY,
    WORKER_QUEUES,
)
from quality_pipeline.orchestration.topology.services import distributed_env
from tests.support import PROJECT_ROOT


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def native(tmp_path_factory) -> dict:
    return distributed_env({}, home=tmp_path_factory.mktemp("home"), port=8080,
                           database_url="postgresql+psycopg2://postgres@127.0.0.1:5432/airflow",
                           broker_url="redis://127.0.0.1:6379/0")


def _environment(service: dict) -> dict:
    return {k: str(v) for k, v in (service.get("environment") or {}).items()}


def test_same_services(compose):
    assert set(compose["services"]) == {*SERVICES, "postgres", "redis", "airflow-init"}
    for name, command in SERVICES.items():
        assert compose["services"][name]["command"] == ["airflow", *command], name


def test_same_executor_queues_and_concurrency(compose, native):
    worker = compose["services"]["airflow-worker"]["command"]
    queues = worker[worker.index("--queues") + 1].split(",")
    assert tuple(queues) == WORKER_QUEUES == (DEFAULT_QUEUE, WAREHOUSE_QUEUE)
    assert int(worker[worker.index("--concurrency") + 1]) == WORKER_CONCURRENCY
    for name in SERVICES:
        assert _environment(compose["services"][name])["AIRFLOW__CORE__EXECUTOR"] == EXECUTOR == native[
            "AIRFLOW__CORE__EXECUTOR"]
    assert sum("celery" in compose["services"][n]["command"] for n in SERVICES) == 1, "one warehouse worker"


def test_same_settings(compose, native):
    for name in [*SERVICES, "airflow-init"]:
        env = _environment(compose["services"][name])
        for key, value in SHARED_SETTINGS.items():
            assert env.get(key) == value == native[key], (name, key)
        missing = [key for key in SITE_SETTINGS if key not in env or key not in native]
        assert not missing, (name, missing)
    env = _environment(compose["services"]["airflow-apiserver"])
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].endswith(":8080/execution/")
    assert native["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8080/execution/"
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")
    assert native["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")


def test_same_init(compose):
    script = compose["services"]["airflow-init"]["command"][-1]
    steps = [tuple(shlex.split(line)[1:]) for line in script.splitlines() if line.strip().startswith("airflow ")]
    assert steps == list(INIT_STEPS)
    assert ("pools", "set", WAREHOUSE_POOL, "1") == INIT_STEPS[1][:4]


def test_no_secret_committed(compose):
    """Every password or key is a reference to .env, and compose refuses to start without it."""
    text = (PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    env = _environment(compose["services"]["airflow-apiserver"])
    for key in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY"):
        assert env[key] == f"${{{key}:?set it in .env}}"
    assert "${POSTGRES_PASSWORD:?set it in .env}" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert "${AIRFLOW_ADMIN_PASSWORD:?" in text
    assert ".env" in (PROJECT_ROOT / ".gitignore").read_text().split()


def test_only_the_warehouse_worker_mounts_the_data(compose):
    for name, service in compose["services"].items():
        mounts = [str(v).split(":")[-1] for v in service.get("volumes") or []]
        data = {m for m in mounts if m.startswith("/data/")}
        if name == "airflow-worker":
            assert data == {"/data/landing", "/data/warehouse", "/data/reports"}
        else:
            assert not data, name


def test_dockerfile_installs_from_the_lock_file():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "COPY pyproject.toml uv.lock" in dockerfile
    assert dockerfile.count("uv sync --frozen --no-dev") == 2
    assert "pip install" not in dockerfile.replace('pip install --no-cache-dir "uv==', "")


def test_the_image_has_the_extension_the_warehouse_is_stored_with():
    """The image installs the runtime dependencies only (`--no-dev`): the ducklake extension the writer and every
    reader load from its wheel must be one of them, pinned to DuckDB's version."""
    import tomllib

    import duckdb

    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert f"duckdb-extension-ducklake=={duckdb.__version__}" in [d.split("#")[0].strip() for d in
                                                                 project["project"]["dependencies"]]
    assert not any(d.startswith("duckdb-extension-ducklake") for d in project["dependency-groups"]["dev"])
