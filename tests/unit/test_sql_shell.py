"""`make sql` opens the published warehouse read-only in the DuckDB CLI: queries answer, writes are refused."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from quality_pipeline.warehouse import shell

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


def _warehouse(folder: Path) -> Path:
    """A published-looking warehouse, left writable on disk: only the read-only attach may stop the writes
    (root ignores the 0444 mode the writer gives the real one)."""
    path = folder / "it's here" / "quality.duckdb"  # a quote and a space in the path
    path.parent.mkdir()
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA core; CREATE TABLE core.samples AS SELECT range AS n FROM range(5)")
    con.close()
    return path


def _make_sql(warehouse: Path, stdin: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUALITY_", "AIRFLOW"))}
    return subprocess.run(["make", "-s", "sql", f"QUALITY_WAREHOUSE={warehouse}"], input=stdin, cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=120)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_piped_query_answers_from_the_warehouse(tmp_path):
    warehouse = _warehouse(tmp_path)
    done = _make_sql(warehouse, ".mode csv\nSELECT sum(n) AS total FROM core.samples;\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["total", "10"]


@pytest.mark.parametrize("statement", [
    "INSERT INTO core.samples VALUES (99);",
    "CREATE TABLE core.mine AS SELECT 1 AS a;",
    "CREATE TABLE mine AS SELECT 1 AS a;",  # unqualified: the default database is the warehouse
    "DELETE FROM core.samples;",
    "DROP TABLE core.samples;",
])
def test_every_write_is_refused_and_the_file_is_unchanged(tmp_path, statement):
    warehouse = _warehouse(tmp_path)
    before = _digest(warehouse)
    done = _make_sql(warehouse, statement + "\n")
    assert done.returncode != 0
    assert "read-only" in (done.stdout + done.stderr)
    assert _digest(warehouse) == before
    assert not warehouse.with_name(warehouse.name + ".wal").exists()
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM core.samples").fetchone()[0] == 5


def test_no_warehouse_yet_says_how_to_make_one(tmp_path):
    done = _make_sql(tmp_path / "nothing.duckdb", "SELECT 1;\n")
    assert done.returncode != 0
    assert "make run" in done.stderr


def test_the_attach_is_read_only_and_quotes_the_path(tmp_path):
    statements = shell.attach_statements(tmp_path / "a'b.duckdb")
    assert statements[0].startswith("LOAD '") and statements[0].endswith("ducklake.duckdb_extension'")
    assert statements[1].startswith("ATTACH 'ducklake:") and statements[1].endswith("READ_ONLY)")
    assert " AS quality (" in statements[1] and "a''b.duckdb" in statements[1] and "a''b.lake/" in statements[1]
    assert statements[2] == "USE quality"


def _lake_warehouse(folder: Path) -> Path:
    """A warehouse written by the writer (a DuckLake catalog and its Parquet files), with 2,000 rows in a table
    (past the rows a catalog keeps inline: they are in a Parquet file)."""
    from quality_pipeline.settings import load_settings
    from quality_pipeline.warehouse.writer import write_session

    warehouse = folder / "it's here" / "quality.duckdb"
    settings = dataclasses.replace(load_settings(), warehouse=warehouse)
    with write_session(settings) as con:
        con.execute("INSERT INTO audit.validations (run_id, feed, file_id, path, suite, expectation, success, "
                    "validated_at) SELECT 'r', 'product_sampling', range, 'p', 's', 'e', true, now() FROM range(2000)")
    return warehouse


def test_make_sql_reads_the_catalog_and_refuses_writes(tmp_path):
    warehouse = _lake_warehouse(tmp_path)
    done = _make_sql(warehouse, ".mode csv\nSELECT count(*) AS n FROM audit.validations;\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["n", "2000"]
    before = _digest(warehouse)
    done = _make_sql(warehouse, "DELETE FROM audit.validations;\n")
    assert done.returncode != 0 and "read-only" in (done.stdout + done.stderr)
    assert _digest(warehouse) == before
    done = _make_sql(warehouse, ".mode csv\nSELECT count(*) AS n FROM audit.validations;\n")
    assert done.stdout.split() == ["n", "2000"]
