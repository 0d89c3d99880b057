"""Apply each feed's generated SQL (`warehouse/feeds/<feed>.sql`) after the migrations, when it changed.

A feed's file is idempotent (CREATE TABLE IF NOT EXISTS, ADD COLUMN IF NOT EXISTS, COMMENT ON), so a
warehouse made by the migrations alone ends up with the same tables. A feed whose `core.<feed>` is still the
view of the warehouses before V011 (a feed declared outside this repository: V011 turned the repository's
own into tables) has the view dropped in the same transaction, so its file builds the table from raw. Its SHA-256 is
recorded in `meta.feed_schema` in the same transaction, then checkpointed, as a migration is: a crash at
any point leaves either the old or the new version, and the next session finishes the job.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from quality_pipeline.feeds import all_feeds, feeds_dir
from quality_pipeline.feeds.schema import render, sql_path
from quality_pipeline.settings import feed_sql_dir
from quality_pipeline.warehouse.migrations import (
    MIGRATIONS_DIR,
    MigrationChanged,
    apply_recorded,
    available,
    migrate,
)


class FeedSchemaStale(MigrationChanged):
    """A feed's SQL file is missing or differs from its declaration: someone must run `make generate`."""


def apply_feed_schema(con: duckdb.DuckDBPyConnection, directory: Path | None = None) -> list[str]:
    """Run every feed's SQL file whose checksum is not the one recorded; return the feeds applied.

    Fault points `feed_schema_<feed>` (inside the transaction) and `feed_schema_applied_<feed>` (committed,
    not yet checkpointed) let the crash tests kill a writer at each step.
    """
    done = dict(con.execute("SELECT feed, checksum FROM meta.feed_schema").fetchall())
    newly = []
    for feed in all_feeds():
        path = sql_path(feed.name, directory)
        sql = path.read_text(encoding="utf-8") if path.exists() else None
        if sql != render(feed):
            raise FeedSchemaStale(f"{path} is missing or differs from feeds/{feed.name}.yaml: run `make generate`")
        checksum = hashlib.sha256(sql.encode()).hexdigest()
        if done.get(feed.name) == checksum:
            continue
        forget = f"DELETE FROM meta.feed_schema WHERE feed = '{feed.name}';\n"  # noqa: S608 (a declared name)
        apply_recorded(con, forget + _drop_old_view(con, feed.name) + sql, "INSERT INTO meta.feed_schema (feed, checksum, "
                       "applied_at) VALUES (?, ?, now())", [feed.name, checksum],
                       during=f"feed_schema_{feed.name}", after=f"feed_schema_applied_{feed.name}")
        newly.append(feed.name)
    return newly


def _drop_old_view(con: duckdb.DuckDBPyConnection, feed: str) -> str:
    """`DROP VIEW core.<feed>;` when core.<feed> is still a view (before V011), else nothing."""
    found = con.execute("SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() "
                        "AND schema_name = 'core' AND view_name = ?",
                        [feed]).fetchone()[0]
    return f"DROP VIEW core.{feed};\n" if found else ""


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a warehouse to the current schema: the migrations, then the feeds' tables and views.

    A warehouse whose recorded migrations and feed SQL are exactly this code's (the case of every session but
    the first after an upgrade) is left as it is after one query: on a DuckLake catalog each of the checks
    below costs a query of its own (about 10 ms there), and a night opens a write session per file."""
    if _up_to_date(con):
        return
    migrate(con)
    apply_feed_schema(con)


_EXPECTED: dict[tuple, tuple[list[str], list[str]] | None] = {}


def _expected() -> tuple[list[str], list[str]] | None:
    """What meta.schema_migrations and meta.feed_schema say of a warehouse at this code's schema, as sorted
    "version:checksum" and "feed:checksum"; None when a feed's SQL file is stale (the full check raises).
    Computed once per process for each state of the files it depends on (paths, sizes, modification times)."""
    paths = [*sorted(MIGRATIONS_DIR.glob("*.sql")), *sorted(feeds_dir().glob("*.yaml")), *sorted(feed_sql_dir().glob("*.sql"))]
    key = tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in paths)
    if key not in _EXPECTED:
        migrations = sorted(f"{version}:{hashlib.sha256(path.read_bytes()).hexdigest()}" for version, _, path in available())
        feeds: list[str] | None = []
        for feed in all_feeds():
            path = sql_path(feed.name)
            sql = path.read_text(encoding="utf-8") if path.exists() else None
            if sql != render(feed):
                feeds = None
                break
            feeds.append(f"{feed.name}:{hashlib.sha256(sql.encode()).hexdigest()}")
        _EXPECTED[key] = None if feeds is None else (migrations, sorted(feeds))
    return _EXPECTED[key]


def _up_to_date(con: duckdb.DuckDBPyConnection) -> bool:
    expected = _expected()
    if expected is None:
        return False
    try:
        migrations, feeds = con.execute(
            "SELECT (SELECT list(version || ':' || checksum) FROM meta.schema_migrations), "
            "(SELECT list(feed || ':' || checksum) FROM meta.feed_schema)").fetchone()
    except duckdb.CatalogException:  # a new warehouse: no meta tables yet
        return False
    return (sorted(migrations or []), sorted(feeds or [])) == expected
