"""Versioned schema migrations: `warehouse/migrations/V<nnn>__<name>.sql`, applied in order and recorded."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb

from quality_pipeline.settings import WAREHOUSE_SQL_DIR

MIGRATIONS_DIR = WAREHOUSE_SQL_DIR / "migrations"
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


def applied(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(
        "CREATE TABLE IF NOT EXISTS meta.schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, checksum VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    return dict(con.execute("SELECT version, checksum FROM meta.schema_migrations").fetchall())


def migrate(con: duckdb.DuckDBPyConnection, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply every migration not yet recorded, each in its own transaction; refuse an edited old one."""
    done = applied(con)
    newly = []
    for version, name, path in available(directory):
        sql = path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(sql.encode()).hexdigest()
        if version in done:
            if done[version] != checksum:
                raise RuntimeError(f"migration {path.name} changed after it was applied; add a new one instead")
            continue
        con.execute("BEGIN")
        try:
            con.execute(sql)
            con.execute(
                "INSERT INTO meta.schema_migrations (version, name, checksum) VALUES (?, ?, ?)",
                [version, name, checksum],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        newly.append(version)
    return newly
