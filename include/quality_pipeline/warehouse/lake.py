"""The warehouse's storage: a DuckLake catalog (a small DuckDB file) over Parquet data files.

The published warehouse (`QUALITY_WAREHOUSE`, e.g. `data/warehouse/quality.duckdb`) is a DuckLake catalog;
its rows live in Parquet files under `<warehouse dir>/<name>.lake/` (`data_path`), which no one ever changes
in place: a delivery adds files (or, a small one, rows inlined in the catalog), a correction adds delete
files, and only the maintenance DAG removes files, after a grace period longer than any reader. A publish
therefore copies the catalog alone (a few MB, whatever the history), and a reader keeps the snapshot of the
catalog it attached. bench/results.md ("Issue 15: the storage decision") has the measurements.

Everything the project runs on the warehouse is plain DuckDB SQL that works on a DuckLake catalog and on a
DuckDB file alike (tests and the data dictionary build plain in-memory warehouses). What DuckLake refuses
(sequences, PRIMARY KEY/UNIQUE, CHECK, comments on the columns of views) appears only in the migrations
V001-V012, which `lake_statements` adapts; from V013 on, a migration must run on both as written.

Every attach passes the data path explicitly (`OVERRIDE_DATA_PATH`), so a warehouse folder that was moved or
copied whole opens where it is now. Readers: `open_published` (Python), `make sql` (the DuckDB CLI).
"""

from __future__ import annotations

import glob
import re
import sysconfig
from pathlib import Path

import duckdb

from quality_pipeline.warehouse.transaction import transaction

EXTENSION = "ducklake"
# Deliveries up to this many rows per table are kept in the catalog itself (no Parquet file per small write);
# the maintenance DAG flushes them into Parquet files.
INLINE_ROWS = 1000
CATALOG_TABLE = "ducklake_metadata"


def extension_path(name: str = EXTENSION) -> Path:
    """The extension file shipped by the `duckdb-extension-<name>` wheel (installed offline, from the lock)."""
    roots = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    for root in sorted(roots):
        found = glob.glob(str(Path(root) / f"duckdb_extension_{name}" / "extensions" / "*" / f"{name}.duckdb_extension"))
        if found:
            return Path(found[0])
    raise RuntimeError(f"the duckdb-extension-{name} wheel is not installed: `make install`")


def load(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"LOAD {literal(str(extension_path()))}")


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def data_path(warehouse: Path) -> Path:
    """Where the Parquet files of the warehouse `warehouse` (its published catalog's path) live."""
    return warehouse.with_name(warehouse.stem + ".lake")


def attach_sql(catalog: Path, alias: str, warehouse: Path, *, read_only: bool) -> str:
    """`ATTACH` of the DuckLake catalog `catalog` (published or the writer's working copy) as `alias`."""
    options = [f"DATA_PATH {literal(str(data_path(warehouse).resolve()) + '/')}", "OVERRIDE_DATA_PATH true"]
    options += ["READ_ONLY"] if read_only else [f"DATA_INLINING_ROW_LIMIT {INLINE_ROWS}"]
    return f"ATTACH {literal('ducklake:' + str(catalog.resolve()))} AS {alias} ({', '.join(options)})"


def is_catalog(path: Path) -> bool:
    """Whether the DuckDB file `path` is a DuckLake catalog (else a warehouse of the DuckDB-file storage that
    came before, which the writer converts). Opened read-only and closed at once."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return holds_catalog(con)
    finally:
        con.close()


def holds_catalog(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the DuckDB file `con` has open as its current database is a DuckLake catalog."""
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                            "AND schema_name = 'main' AND table_name = ?", [CATALOG_TABLE]).fetchone()[0])


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's current database is a DuckLake catalog."""
    return con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()"
                       ).fetchone()[0] == EXTENSION


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Write what was committed into the database file. On a DuckLake catalog, `CHECKPOINT` would run every
    maintenance step (merge files, expire snapshots, delete files); only the catalog's own DuckDB file is
    checkpointed, and maintenance is the maintenance DAG's."""
    if is_lake(con):
        database = con.execute("SELECT current_database()").fetchone()[0]
        con.execute(f'CHECKPOINT "__ducklake_metadata_{database}"')
    else:
        con.execute("CHECKPOINT")


# A value of each type for a NOT NULL column of the row `prime_statistics` inserts and deletes again.
_PLACEHOLDERS = {"VARCHAR": "''", "JSON": "'{}'", "BOOLEAN": "false", "DATE": "DATE '2000-01-01'",
                 "TIMESTAMP": "TIMESTAMP '2000-01-01'", "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ '2000-01-01'"}
_NUMERIC = re.compile(r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|"
                      r"DECIMAL\(\d+,\s*\d+\))$")


def prime_statistics(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Give every table of the catalog that was never written its table statistics; return the tables primed.

    DuckLake keeps a table's statistics (row count, next row id) from its first insert on. For a table that
    was never written it finds none to cache and asks the catalog again each time a query is planned: 17-22
    catalog queries for one `SELECT ... FROM audit.files WHERE ...` on an empty warehouse, 25 ms against 1.8 ms
    once primed (bench/results.md), and a new warehouse has 26 such tables. One row is inserted into each and
    deleted in the same transaction: DuckLake then records the statistics and no row, no file, no snapshot
    of the row. A table that has rows, or a NOT NULL column of a type without a placeholder, is left alone.
    One query of the catalog's own tables when there is nothing to do."""
    database = con.execute("SELECT current_database()").fetchone()[0]
    metadata = f'"__ducklake_metadata_{database}"'
    tables = con.execute(
        f"SELECT s.schema_name, t.table_name FROM {metadata}.ducklake_table t "  # noqa: S608 (the catalog's name)
        f"JOIN {metadata}.ducklake_schema s USING (schema_id) WHERE t.end_snapshot IS NULL AND s.end_snapshot IS NULL "
        f"AND t.table_id NOT IN (SELECT table_id FROM {metadata}.ducklake_table_stats) ORDER BY ALL").fetchall()
    if not tables:
        return []
    primed = []
    with transaction(con):
        for schema, table in tables:
            name = f'"{schema}"."{table}"'
            columns = con.execute("SELECT data_type, is_nullable FROM duckdb_columns() WHERE database_name = ? "
                                  "AND schema_name = ? AND table_name = ? ORDER BY column_index",
                                  [database, schema, table]).fetchall()
            values = [("NULL" if nullable else _placeholder(data_type)) for data_type, nullable in columns]
            if None in values or con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]:  # noqa: S608
                continue
            con.execute(f"INSERT INTO {name} VALUES ({', '.join(values)})")  # noqa: S608 (names from the catalog)
            con.execute(f"DELETE FROM {name}")  # noqa: S608 (the one row just inserted: the table was empty)
            primed.append(f"{schema}.{table}")
    return primed


def _placeholder(data_type: str) -> str | None:
    if data_type in _PLACEHOLDERS:
        return _PLACEHOLDERS[data_type]
    return "0" if _NUMERIC.match(data_type) else None


# What DuckLake refuses in V001-V012, each statement adapted (the file's checksum stays the one recorded).
_SEQUENCE = re.compile(r"^\s*(CREATE|COMMENT\s+ON|DROP)\s+SEQUENCE\b", re.IGNORECASE)
_COLUMN_COMMENT = re.compile(r"^\s*COMMENT\s+ON\s+COLUMN\s+(\w+)\.(\w+)\.\w+\s", re.IGNORECASE)
_KEY_CLAUSE = re.compile(r",\s*(PRIMARY\s+KEY|UNIQUE)\s*\([^()]*\)", re.IGNORECASE)
_INLINE_KEY = re.compile(r"\s+(PRIMARY\s+KEY|UNIQUE)\b(?=\s*[,)\n])", re.IGNORECASE)
_LEADING_COMMENTS = re.compile(r"^(\s*--[^\n]*\n)+")
_CHECK = re.compile(r",?\s*CHECK\s*\(", re.IGNORECASE)


def _drop_checks(sql: str) -> str:
    """Remove every `CHECK (...)` table constraint (balanced parentheses, quotes respected) and its comma."""
    out, pos = [], 0
    while (match := _CHECK.search(sql, pos)) is not None:
        out.append(sql[pos:match.start()])
        depth, i, quoted = 1, match.end(), False
        while depth:
            ch = sql[i]
            if ch == "'":
                quoted = not quoted
            elif not quoted:
                depth += {"(": 1, ")": -1}.get(ch, 0)
            i += 1
        pos = i
    return "".join(out) + sql[pos:]


def lake_statements(sql: str, con: duckdb.DuckDBPyConnection) -> list[str]:
    """The statements of one of V001-V012 as a DuckLake catalog takes them: sequences (now `meta.sequences`),
    keys and CHECK constraints (kept by the code and its tests) and comments on the columns of a view (which
    the data dictionary documents from a DuckDB-file build) are left out. `con` answers which names are views,
    so each statement is adapted when it runs, after the ones before it."""
    out = []
    for statement in duckdb.extract_statements(sql):
        text = _LEADING_COMMENTS.sub("", statement.query).strip()
        if not text or _SEQUENCE.match(text):
            continue
        comment = _COLUMN_COMMENT.match(text)
        if comment and con.execute("SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() "
                                   "AND schema_name = ? AND view_name = ?", list(comment.groups())).fetchone()[0]:
            continue
        if re.match(r"^\s*CREATE\s+(TEMP\s+|TEMPORARY\s+)?TABLE\b", text, re.IGNORECASE):
            text = _INLINE_KEY.sub("", _KEY_CLAUSE.sub("", _drop_checks(text)))
        out.append(text)
    return out
