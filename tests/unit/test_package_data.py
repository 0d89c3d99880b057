"""The wheel carries the SQL and the GX suites the package reads, and the package finds them once installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from quality_pipeline.settings import EXPECTATIONS_DIR, WAREHOUSE_SQL_DIR, data_dir
from tests.support import PROJECT_ROOT

DATA = {"expectations": EXPECTATIONS_DIR, "warehouse": WAREHOUSE_SQL_DIR}


def _tracked(folder: Path) -> set[str]:
    """The folder's files, relative to the repository (generated files such as *.duckdb are git-ignored)."""
    return {p.relative_to(PROJECT_ROOT).as_posix() for p in folder.rglob("*")
            if p.is_file() and p.suffix in (".sql", ".json", ".csv", ".md")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """`uv build --wheel --offline` of this checkout (hatchling comes from uv's cache, filled by `uv sync`)."""
    uv = shutil.which("uv")
    assert uv, "uv is not on PATH: `make install` installs it"
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([uv, "build", "--wheel", "--offline", "--out-dir", str(out), str(PROJECT_ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (built,) = out.glob("quality_pipeline-*.whl")
    return built


def test_in_a_checkout_the_data_is_read_from_the_repository():
    assert DATA == {name: PROJECT_ROOT / name for name in DATA}


def test_a_package_with_data_inside_reads_it_from_there(tmp_path):
    package = tmp_path / "site-packages" / "quality_pipeline"
    (package / "_data" / "warehouse").mkdir(parents=True)
    assert data_dir("warehouse", package) == package / "_data" / "warehouse"
    assert data_dir("expectations", package) == tmp_path / "expectations"  # not shipped: the checkout's


def test_the_wheel_ships_every_sql_file_and_suite(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for folder in DATA.values():
        expected = {f"quality_pipeline/_data/{name}" for name in _tracked(folder)}
        assert expected and expected <= names, sorted(expected - names)[:5]
    assert any(n.startswith("quality_pipeline/_data/warehouse/migrations/V001__") for n in names)
    assert "quality_pipeline/_data/expectations/product_sampling.rows.json" in names


def test_installed_from_the_wheel_the_package_finds_its_data_inside_itself(wheel, tmp_path):
    site = tmp_path / "site-packages"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    probe = ("import quality_pipeline.settings as s, quality_pipeline.warehouse.migrations as m; "
             "print(s.EXPECTATIONS_DIR); print(s.WAREHOUSE_SQL_DIR); print(len(list(m.MIGRATIONS_DIR.glob('V*.sql'))))")
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    expectations, warehouse, migrations = done.stdout.split()
    assert Path(expectations) == site / "quality_pipeline" / "_data" / "expectations"
    assert Path(warehouse) == site / "quality_pipeline" / "_data" / "warehouse"
    assert int(migrations) == len(list((PROJECT_ROOT / "warehouse" / "migrations").glob("V*.sql")))
