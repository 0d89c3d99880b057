"""Test tiers and isolation: the folder a test lives in decides its tier, and nothing touches the developer's data.

Airflow reads its configuration at import, so its home, DAG folder and executor are set here, before
any test module imports it. Under pytest-xdist every worker is its own process and imports this file
itself, so each worker gets its own temporary AIRFLOW_HOME (and metadata DB) and no two workers share one.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support import ARTIFACTS, DAGS_DIR, TESTS_DIR
from tests.support.demo import Demo, build_demo, copy_demo, use_folder
from tests.support.schedule import longest_first

# The folder under tests/ that holds a test file → the tier marker every test in it carries.
TIER_OF_FOLDER = {"unit": "unit", "dags": "dags", "e2e": "e2e", "hostile": "hostile", "service": "service"}
TIERS = set(TIER_OF_FOLDER.values())
_session_home = Path(tempfile.mkdtemp(prefix=f"quality-tests-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-"))
atexit.register(shutil.rmtree, _session_home, ignore_errors=True)
os.environ["AIRFLOW_HOME"] = str(_session_home / "airflow")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_DIR)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__EXECUTOR"] = "LocalExecutor"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ["GX_ANALYTICS_ENABLED"] = "false"
os.environ["QUALITY_CACHE_DIR"] = str(_session_home / "cache")  # the writer's empty-catalog template, once per worker
for var in ("QUALITY_LANDING_DIR", "QUALITY_WAREHOUSE", "QUALITY_REPORTS_DIR", "QUALITY_REGION_FILE"):
    os.environ.pop(var, None)


# `make test` starts the service tier in the background, where a shell starts it with Ctrl-C ignored: take Ctrl-C
# back, so that it stops that run too, through the fixtures' clean-up (the topologies are stopped, not orphaned).
if "PYTEST_XDIST_WORKER" not in os.environ and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Property tests: how many examples each property draws. `fast` for the edit-test loop and `make test-fast`;
# `make test` runs `full` (HYPOTHESIS_PROFILE=full), the depth the properties were written with; `deep` is for a
# night's search. A failure is replayed from the example Hypothesis prints, not from a database.
settings.register_profile("fast", max_examples=50, deadline=None, database=None)
settings.register_profile("full", max_examples=300, deadline=None, database=None)
settings.register_profile("deep", max_examples=3000, deadline=None, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


def tier_of(path: Path) -> str | None:
    """The tier of a test file: the first folder below tests/ it lives in, if that folder is a tier."""
    try:
        parts = Path(path).resolve().relative_to(TESTS_DIR).parts
    except ValueError:
        return None
    return TIER_OF_FOLDER.get(parts[0]) if len(parts) > 1 else None


E2E_TIMEOUT_S = 1200  # the longest e2e test, the demo tour with its fixture, takes 3-5 minutes here


def pytest_collection_modifyitems(config, items):
    """Mark every test with its folder's tier (a test file outside a tier folder is a usage error); then put the
    files that take longest first, so that xdist (`--dist loadfile --no-loadscope-reorder`) starts them first
    and no worker is left alone with a long file at the end (`tests/support/schedule.py`)."""
    outside = sorted({item.nodeid.split("::")[0] for item in items if tier_of(item.path) is None})
    if outside:
        raise pytest.UsageError(
            f"test files outside a tier folder (tests/{{{','.join(sorted(TIER_OF_FOLDER))}}}/): {outside[:5]}")
    for item in items:
        tier = tier_of(item.path)
        item.add_marker(getattr(pytest.mark, tier))
        if tier == "e2e" and item.get_closest_marker("timeout") is None:
            # a DAG run that never ends (once: `dag.test()` looping on a task that could never run) fails its
            # test with every thread's stack instead of holding CI to its limit; a thread, not SIGALRM, which
            # Airflow's task timeouts use in the same process
            item.add_marker(pytest.mark.timeout(E2E_TIMEOUT_S, method="thread"))
    items[:] = longest_first(items)


@pytest.fixture
def quality_env(tmp_path, monkeypatch):
    """Landing, warehouse and reports in a temporary folder, through the real environment variables."""
    (tmp_path / "landing").mkdir()
    return use_folder(monkeypatch, tmp_path)


@pytest.fixture
def con():
    """An in-memory warehouse with every migration applied (a test file may define its own `con`)."""
    import duckdb

    from quality_pipeline.warehouse.migrations import migrate

    connection = duckdb.connect()
    migrate(connection)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def gate():
    """One Great Expectations context for the whole session (importing GX takes seconds)."""
    from quality_pipeline.validation.gate import Gate

    return Gate()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots are kept for a person to look at; each test writes files of its own name."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


_AIRFLOW_DB_SETUP = (["db", "migrate"], ["pools", "set", "quality_warehouse", "1", "one writer"])


def _airflow_db_template(config) -> Path:
    """A migrated Airflow metadata DB (SQLite, with the warehouse pool), made once and kept in pytest's cache,
    keyed by the Airflow version and the set-up commands: `airflow db migrate` takes two Airflow imports and
    most of a minute of CPU, and its result depends on nothing else. Workers wait on a lock while one builds it."""
    import fcntl
    import hashlib
    import importlib.metadata

    key = hashlib.sha256(repr((importlib.metadata.version("apache-airflow"), _AIRFLOW_DB_SETUP)).encode()).hexdigest()
    folder = (config.cache.mkdir("airflow-db") if getattr(config, "cache", None) else _session_home / "airflow-db")
    folder.mkdir(parents=True, exist_ok=True)
    template = folder / f"{key[:16]}.db"
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            home = Path(tempfile.mkdtemp(prefix="airflow-db-", dir=folder))
            env = {**os.environ, "AIRFLOW_HOME": str(home)}
            env.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", None)
            airflow = Path(sys.executable).with_name("airflow")
            for args in _AIRFLOW_DB_SETUP:
                done = subprocess.run([str(airflow), *args], capture_output=True, text=True, env=env)
                assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
            (home / "airflow.db").replace(template.with_suffix(".tmp"))
            template.with_suffix(".tmp").replace(template)
            shutil.rmtree(home, ignore_errors=True)
    return template


@pytest.fixture(scope="session")
def airflow_db(pytestconfig) -> Path:
    """A migrated Airflow metadata DB in this process's temporary AIRFLOW_HOME (one per xdist worker): a copy of
    the cached template (`_airflow_db_template`), so `airflow db migrate` runs once per Airflow version."""
    home = Path(os.environ["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_airflow_db_template(pytestconfig), home / "airflow.db")
    return home


@pytest.fixture
def dagbag():
    """The project's DAGs, parsed afresh for each test (a tenth of a second once Airflow is imported): a run's
    conf or a test's patch must never leak into another test's DAG objects. Running one needs `airflow_db`."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(DAGS_DIR))
    assert bag.import_errors == {}
    return bag


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Demo:
    """The demo district generated, ingested and computed once per session, shared by the xdist workers (the
    first to need it builds it, the others wait on a lock and read it); read it, never change it."""
    import fcntl
    import pickle

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if "PYTEST_XDIST_WORKER" in os.environ else base  # the session's folder, not the worker's
    root, done = shared / "demo", shared / "demo.truth.pickle"
    with open(shared / "demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(root, ignore_errors=True)  # a build that failed half-way in another worker
            built = build_demo(root)
            done.write_bytes(pickle.dumps(built.truth))
            return built
    return Demo(root, pickle.loads(done.read_bytes()))  # noqa: S301 - written by this session's own workers


@pytest.fixture
def demo_env(demo, tmp_path, monkeypatch):
    """A private copy of the session's demo warehouse (and its landing folder), wired in through the
    environment like `quality_env`: the test may change it."""
    return use_folder(monkeypatch, copy_demo(demo, tmp_path / "demo"))
