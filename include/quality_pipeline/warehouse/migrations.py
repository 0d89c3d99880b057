"""Versioned schema migrations: `warehouse/migrations/V<nnn>__<name>.sql`, applied in order and recorded.

Each migration is checkpointed as soon as it commits, so no migration's DDL waits in the write-ahead log
for the next session to replay: DuckDB 1.5.5 cannot replay `COMMENT ON COLUMN` on a table that has a
`DEFAULT current_timestamp` column (as `meta.schema_migrations` had in warehouses made before this was
known), and a crash with such a log left the working copy unopenable. The writer still rebuilds a working
copy it cannot open (see writer.py); this only makes that rare.

On a DuckLake catalog (the warehouse's storage, `lake.py`) the migrations V001-V012, written for a DuckDB
file, run statement by statement as `lake.lake_statements` adapts them, and their files' checksums are
recorded as they are; later migrations run on both as written. "Checkpointed" there means the catalog's own
file (`lake.checkpoint`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import duckdb

from quality_pipeline.settings import WAREHOUSE_SQL_DIR
from quality_pipeline.sql_files import sql_file
from quality_pipeline.warehouse import lake
from quality_pipeline.warehouse.faults import fault_point
from quality_pipeline.warehouse.transaction import transaction

MIGRATIONS_DIR = WAREHOUSE_SQL_DIR / "migrations"
SCHEMA_MIGRATIONS_SQL = Path(__file__).parent / "sql" / "schema_migrations.sql"
LAST_FOR_DUCKDB_FILES = 12  # V001-V012 were written for a DuckDB file; on a lake they are adapted
_NAME = re.compile(r"^V(?P<version>\d{3})__(?P<name>[a-z0-9_]+)\.sql$")


def available(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file {path.name} is not named V<nnn>__<name>.sql")
        found.append((int(match["version"]), match["name"], path))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise ValueError("two migrations share a version number")
    return found


class MigrationChanged(RuntimeError):
    """An applied migration's file was edited: a person must add a new migration instead (never self-healed)."""


def applied(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                         "AND schema_name = 'meta' AND table_name = 'schema_migrations'").fetchone()[0]
    if not exists:  # DDL on a catalog is a commit of its own, even when nothing is created: only when missing
        con.execute("CREATE SCHEMA IF NOT EXISTS meta")
        table = sql_file(__file__, "schema_migrations")
        for statement in lake.lake_statements(table, con) if lake.is_lake(con) else [table]:
            con.execute(statement)
        lake.checkpoint(con)
    return dict(con.execute("SELECT version, checksum FROM meta.schema_migrations").fetchall())


def migrate(con: duckdb.DuckDBPyConnection, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply every migration not yet recorded, each in its own transaction then checkpointed; refuse an edited one.

    Fault points `migration_V<nnn>` (inside the transaction) and `migrated_V<nnn>` (committed, not yet
    checkpointed) let the crash tests kill a writer at each step.
    """
    done = applied(con)
    on_lake = lake.is_lake(con)
    newly = []
    for version, name, path in available(directory):
        sql = path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(sql.encode()).hexdigest()
        if version in done:
            if done[version] != checksum:
                raise MigrationChanged(f"migration {path.name} changed after it was applied; add a new one instead")
            continue
        statements = _adapted(sql) if on_lake and version <= LAST_FOR_DUCKDB_FILES else sql
        apply_recorded(con, statements, "INSERT INTO meta.schema_migrations (version, name, checksum, applied_at) "
                       "VALUES (?, ?, ?, now())", [version, name, checksum],
                       during=f"migration_V{version:03d}", after=f"migrated_V{version:03d}")
        newly.append(version)
    return newly


def _adapted(sql: str) -> Callable[[duckdb.DuckDBPyConnection], None]:
    """Run a migration written for a DuckDB file on a lake: each statement adapted when its turn comes."""
    def run(con: duckdb.DuckDBPyConnection) -> None:
        for statement in duckdb.extract_statements(sql):
            for adapted in lake.lake_statements(statement.query, con):
                con.execute(adapted)
    return run


def apply_recorded(con: duckdb.DuckDBPyConnection, sql: str | Callable[[duckdb.DuckDBPyConnection], None],
                   record: str, parameters: list, *, during: str, after: str) -> None:
    """Run `sql` (SQL text, or a function that runs it on `con`) and the statement `record` that says it ran
    in one transaction, then checkpoint. The fault points `during` (before the commit) and `after` (before
    the checkpoint) let tests crash at either."""
    with transaction(con):
        if callable(sql):
            sql(con)
        else:
            con.execute(sql)
        con.execute(record, parameters)
        fault_point(during)
    fault_point(after)
    lake.checkpoint(con)
