"""Every table of the catalog has DuckLake's table statistics from the start (`lake.prime_statistics`): a table
never written otherwise sends each query that reads it back to the catalog about twenty times."""

from __future__ import annotations

import duckdb

from quality_pipeline.warehouse import lake
from quality_pipeline.warehouse.writer import WORKING_NAME, write_session


def _lake(tmp_path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    lake.load(con)
    con.execute(lake.attach_sql(tmp_path / "c.ducklake", "quality", tmp_path / "w.duckdb", read_only=False))
    con.execute("USE quality")
    return con


def _catalog_queries(con: duckdb.DuckDBPyConnection, sql: str, parameters: list) -> int:
    """How many queries DuckLake sends its catalog while `sql` runs three times."""
    con.execute("CALL truncate_duckdb_logs()")
    con.execute("CALL enable_logging(level = 'trace')")
    try:
        for _ in range(3):
            con.execute(sql, parameters).fetchall()
    finally:
        con.execute("CALL disable_logging()")
    return con.execute("SELECT count(*) FROM duckdb_logs WHERE type = 'DuckLakeMetadata'").fetchone()[0]


def test_a_primed_table_is_planned_without_asking_the_catalog_again(tmp_path):
    con = _lake(tmp_path)
    con.execute("CREATE TABLE t (a VARCHAR NOT NULL, b BIGINT NOT NULL, c DATE, d DECIMAL(18,2) NOT NULL, "
                "e TIMESTAMP NOT NULL, f BOOLEAN NOT NULL, g JSON)")
    query = "SELECT count(*) FROM t WHERE a = ? AND b = ?"
    never_written = _catalog_queries(con, query, ["x", 1])
    assert lake.prime_statistics(con) == ["main.t"]
    primed = _catalog_queries(con, query, ["x", 1])
    assert primed <= 2 < never_written, (primed, never_written)
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM __ducklake_metadata_quality.ducklake_data_file").fetchone()[0] == 0
    assert lake.prime_statistics(con) == []  # nothing left to prime: one query of the catalog's tables


def test_a_table_with_rows_or_without_a_placeholder_is_left_alone(tmp_path):
    con = _lake(tmp_path)
    con.execute("CREATE TABLE odd (u UUID NOT NULL)")  # no placeholder for a UUID: not primed, not broken
    con.execute("CREATE TABLE kept (a INTEGER)")
    con.execute("INSERT INTO kept VALUES (7)")
    assert lake.prime_statistics(con) == []
    assert con.execute("SELECT count(*) FROM odd").fetchone()[0] == 0
    assert con.execute("SELECT a FROM kept").fetchall() == [(7,)]


def test_a_new_warehouse_has_every_table_primed_and_empty(quality_env):
    with write_session(quality_env) as con:
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = "
                             "current_database()").fetchall()
        assert tables and all(con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0] == 0  # noqa: S608
                              for s, t in tables if (s, t) != ("meta", "schema_migrations")
                              and (s, t) != ("meta", "feed_schema") and (s, t) != ("meta", "sequences"))
    metadata = duckdb.connect(str(quality_env.work_dir / WORKING_NAME), read_only=True)
    try:
        live = metadata.execute("SELECT count(*) FROM ducklake_table WHERE end_snapshot IS NULL").fetchone()[0]
        with_stats = metadata.execute("SELECT count(*) FROM ducklake_table_stats WHERE table_id IN "
                                      "(SELECT table_id FROM ducklake_table WHERE end_snapshot IS NULL)").fetchone()[0]
        assert live == with_stats == len(tables)
        assert metadata.execute("SELECT count(*) FROM ducklake_data_file").fetchone()[0] == 0
    finally:
        metadata.close()
