"""Test tiers and isolation: every test carries a tier marker, and nothing touches the developer's data.

Airflow reads its configuration at import, so its home, DAG folder and executor are
set here, before any test module imports it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
TIERS = {"unit", "dags", "e2e", "service"}

_session_home = Path(tempfile.mkdtemp(prefix="quality-tests-"))
os.environ["AIRFLOW_HOME"] = str(_session_home / "airflow")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(PROJECT_ROOT / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__EXECUTOR"] = "LocalExecutor"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ["GX_ANALYTICS_ENABLED"] = "false"
for var in ("QUALITY_LANDING_DIR", "QUALITY_WAREHOUSE", "QUALITY_REPORTS_DIR", "QUALITY_REGION_FILE"):
    os.environ.pop(var, None)


def pytest_collection_modifyitems(config, items):
    unmarked = [item.nodeid for item in items if not TIERS & {m.name for m in item.iter_markers()}]
    if unmarked:
        raise pytest.UsageError(f"tests without a tier marker ({', '.join(sorted(TIERS))}): {unmarked[:5]}")


@pytest.fixture
def quality_env(tmp_path, monkeypatch):
    """Landing, warehouse and reports in a temporary folder, through the real environment variables."""
    landing = tmp_path / "landing"
    landing.mkdir()
    monkeypatch.setenv("QUALITY_LANDING_DIR", str(landing))
    monkeypatch.setenv("QUALITY_WAREHOUSE", str(tmp_path / "warehouse" / "quality.duckdb"))
    monkeypatch.setenv("QUALITY_REPORTS_DIR", str(tmp_path / "reports"))
    from quality_pipeline.settings import load_settings

    return load_settings()


@pytest.fixture(scope="session")
def gate():
    """One Great Expectations context for the whole session (importing GX takes seconds)."""
    from quality_pipeline.validation.gate import Gate

    return Gate()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
