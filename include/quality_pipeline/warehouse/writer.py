"""The single writer of the warehouse.

The warehouse is a DuckLake catalog over Parquet files (`lake.py`). Writes go to a private working copy of
the catalog, `<warehouse dir>/.writer/working.ducklake`, guarded by an exclusive file lock, so no two tasks
ever write at once. After each session the working catalog is detached (its file then holds every commit)
and copied to a temporary file beside `QUALITY_WAREHOUSE`, which then replaces it by an atomic rename. The
copy is of the catalog alone (a few MB, whatever the history): the rows are in Parquet files that the working
and the published catalog share and that no one changes in place (only the maintenance DAG removes files, a
grace period after no catalog lists them). Analysts who attached the published catalog keep the snapshot they
attached and never block the writer; new attaches see the new version whole. A crash (even `kill -9`) leaves
the published catalog at its last good state and the working copy at its last committed transaction; the
next session publishes again. Files a crashed session wrote and never committed are listed by no catalog;
the maintenance DAG deletes them.

A session that changed nothing publishes nothing: after each publish the writer records what the working
copy, its log and the published file were on disk (inode, size, modification time in ns) in
`.writer/published.json`; a session that ends with all of them exactly as recorded (no transaction
committed anything; DuckDB leaves an unchanged database file untouched) skips the copy. Anything else
publishes: a commit, a crash after a commit and before its publish (the working copy differs from the
record), a published file replaced or written by someone else, a lost or unreadable record.

Whatever else a crash leaves is cleared by the next session under the lock, so nothing ever needs a person:
publish temporaries and private snapshots are removed (only a session holding the lock makes them, so under
the lock they are all dead), and a working copy that cannot be opened or migrated is set aside and rebuilt
from the last published catalog, or from nothing before the first publish; the files it had not published
are simply processed again, since `audit.files` of the rebuilt copy does not know them.

A warehouse of the storage before (one DuckDB file, published whole) is converted on the first session that
finds it, under the lock: the DuckDB file (the writer's old working copy, else the published file) is
brought to the current schema, copied table by table into a new catalog in one transaction, and the new
catalog is renamed into place as the working copy, then published like any change. A crash at any point
leaves the DuckDB file as it was, and the next session converts again (the unfinished catalog is deleted;
Parquet files it wrote are listed by no catalog).

The published file is only ever written by `publish`: it is read-only on disk (0444) and any write-ahead log
beside it, which someone who opened it read-write and died would leave, is removed before and after the new
file is renamed in, so DuckDB never replays someone else's changes onto what the pipeline published.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from quality_pipeline.feeds import all_feeds
from quality_pipeline.feeds.schema import sql_path
from quality_pipeline.filelock import LockTimeout, exclusive
from quality_pipeline.settings import Settings, cache_dir, load_settings, memory_bytes
from quality_pipeline.warehouse import lake
from quality_pipeline.warehouse.faults import fault_point
from quality_pipeline.warehouse.feed_schema import build
from quality_pipeline.warehouse.migrations import MIGRATIONS_DIR, SCHEMA_MIGRATIONS_SQL, MigrationChanged
from quality_pipeline.warehouse.transaction import transaction

__all__ = ["WarehouseReadOnly", "WriterBusy", "fault_point", "open_published", "publish", "read_only", "write_session"]

log = logging.getLogger(__name__)
WORKING_NAME = "working.ducklake"  # the writer's working copy of the catalog
OLD_WORKING_NAME = "working.duckdb"  # the working copy of the storage before (one DuckDB file), converted
CONVERTING_NAME = "converting.ducklake"  # a conversion's catalog until it is renamed into place
ALIAS = "quality"  # the name the warehouse is attached under, the current database of every session
LOCK_NAME = "writer.lock"
# How `_empty_catalog` builds a template; a new value leaves the templates of earlier code unused. 2: its
# tables primed with statistics (`lake.prime_statistics`), which a warehouse copied from a template of
# format 1 does in its first session instead (about 0.4 s).
TEMPLATE_FORMAT = 2
SNAPSHOTS_NAME = "snapshots"
PUBLISHED_STATE_NAME = "published.json"
BROKEN_PREFIX = "broken-"
PUBLISHED_MODE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
READ_ONLY_ADVICE = (
    "数据仓库只读，只有数据管道可以写入；请以只读方式打开：make sql，"
    "或 quality_pipeline.warehouse.writer.open_published(path) / "
    "The published warehouse {path} is read-only and only the pipeline writes it; open it read-only: "
    "make sql, or quality_pipeline.warehouse.writer.open_published(path) in Python"
)


class WriterBusy(RuntimeError):
    """Another process holds the writer lock for longer than we were willing to wait."""


@contextlib.contextmanager
def writer_lock(work_dir: Path, timeout_s: float = 3600.0) -> Iterator[None]:
    """Hold the single writer's lock (its pid written in it), waiting up to `timeout_s` for another writer."""
    try:
        with exclusive(work_dir / LOCK_NAME, f"{os.getpid()}\n", timeout_s=timeout_s):
            yield
    except LockTimeout:
        raise WriterBusy(f"warehouse writer lock {work_dir / LOCK_NAME} busy for {timeout_s:.0f}s") from None


def _working_path(settings: Settings) -> Path:
    return settings.work_dir / WORKING_NAME


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _private_copy(source: Path, target: Path) -> None:
    """`target` as a copy of `source` that only the writer may read and write."""
    shutil.copyfile(source, target)
    os.chmod(target, stat.S_IRUSR | stat.S_IWUSR)


def _set_aside(path: Path) -> None:
    """Keep the broken `path` (and its log) as `broken-<name>*` for a post-mortem, once: a previous one is replaced."""
    for each in (path, _wal(path)):
        if each.exists():
            os.replace(each, each.with_name(BROKEN_PREFIX + each.name))
        else:
            each.with_name(BROKEN_PREFIX + each.name).unlink(missing_ok=True)


_INSTANCE: tuple[int, duckdb.DuckDBPyConnection] | None = None


def _database() -> duckdb.DuckDBPyConnection:
    """This process's DuckDB instance for write sessions, with the ducklake extension loaded once (a fork
    gets its own: a DuckDB instance is not carried across `fork`)."""
    global _INSTANCE
    if _INSTANCE is None or _INSTANCE[0] != os.getpid():
        database = duckdb.connect()
        lake.load(database)
        _INSTANCE = (os.getpid(), database)
    return _INSTANCE[1]


def _attach(settings: Settings, catalog: Path, *, warehouse: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A connection whose current database is the catalog `catalog`, read-write. A missing catalog starts as
    a copy of the empty catalog of this schema (`_empty_catalog`), else DuckLake creates it empty."""
    if not catalog.exists():
        _wal(catalog).unlink(missing_ok=True)
        empty = _empty_catalog()
        if empty is not None:
            _private_copy(empty, catalog)
    con = _database().cursor()
    try:
        con.execute(f"DETACH DATABASE IF EXISTS {ALIAS}")  # left by a session whose connection was dropped
        con.execute(lake.attach_sql(catalog, ALIAS, warehouse or settings.warehouse, read_only=False))
        con.execute(f"USE {ALIAS}")
    except BaseException:
        con.close()
        raise
    return con


def _empty_catalog() -> Path | None:
    """An empty catalog with every migration and feed SQL applied, built once per version of the schema (the
    migrations, the feeds' SQL, DuckDB and the extension) in `settings.cache_dir()` and copied for each new
    warehouse: building one runs about 400 DDL statements in 18 catalog commits (5.5 s against 1.2 s for a
    DuckDB file), which every new warehouse, every conversion and every test would pay. None when the cache
    folder cannot be written: the caller then builds in place. The template is written under a temporary
    name and renamed in whole, so a crash or a concurrent builder never leaves a half one under its name."""
    folder = cache_dir()
    path = folder / f"empty-{_schema_key()}.ducklake"
    if path.exists():
        return path
    tmp = folder / f".{path.stem}.{os.getpid()}.tmp"
    files = folder / f".{path.stem}.{os.getpid()}.lake"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(".empty-*"):  # a builder that died; a live one's is recent
            if time.time() - stale.stat().st_mtime > 3600:
                shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
        con = _database().cursor()
        try:
            con.execute("DETACH DATABASE IF EXISTS quality_empty")
            con.execute(lake.attach_sql(tmp, "quality_empty", files / "quality.duckdb", read_only=False))
            con.execute("USE quality_empty")
            build(con)
            lake.prime_statistics(con)
            data_files = con.execute("SELECT count(*) FROM __ducklake_metadata_quality_empty.ducklake_data_file"
                                     ).fetchone()[0]
        finally:
            with contextlib.suppress(duckdb.Error):
                con.execute("USE memory")
                con.execute("DETACH DATABASE IF EXISTS quality_empty")
            con.close()
        if data_files:  # rows in Parquet files belong to no other warehouse: not a template
            return None
        os.replace(tmp, path)
        return path
    except OSError as exc:
        log.info("no empty-catalog template in %s (%s): building the new catalog in place", folder, exc)
        return None
    finally:
        tmp.unlink(missing_ok=True)
        shutil.rmtree(files, ignore_errors=True)


def _schema_key() -> str:
    """What an empty catalog depends on: how this code builds it (`TEMPLATE_FORMAT`), the migrations, the feeds'
    SQL, DuckDB's version and the extension."""
    digest = hashlib.sha256(f"{TEMPLATE_FORMAT}:{duckdb.__version__}".encode())
    extension = lake.extension_path()
    digest.update(f"{extension}:{extension.stat().st_size}".encode())
    for path in [*sorted(MIGRATIONS_DIR.glob("*.sql")), SCHEMA_MIGRATIONS_SQL,
                 *(sql_path(feed.name) for feed in all_feeds())]:
        digest.update(path.name.encode() + b"\0" + (path.read_bytes() if path.exists() else b"") + b"\0")
    return digest.hexdigest()[:16]


def _detach(con: duckdb.DuckDBPyConnection) -> None:
    """End a session: roll back what it left open, detach the catalog (its file then holds every commit)."""
    try:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        con.execute("USE memory")
        con.execute(f"DETACH DATABASE IF EXISTS {ALIAS}")
    finally:
        con.close()


def _seed_working_copy(settings: Settings) -> None:
    """Start from the published catalog when the working copy is gone (first run, or a new writer host); a
    warehouse of the storage before (a DuckDB file: the old working copy, else the published file) is
    converted instead.

    A log without its database file belongs to no copy we have; replayed onto the seed it would corrupt it.
    """
    working = _working_path(settings)
    old = settings.work_dir / OLD_WORKING_NAME
    if working.exists():
        for path in (old, _wal(old)):  # a conversion that died after its rename, before removing its source
            path.unlink(missing_ok=True)
        return
    _wal(working).unlink(missing_ok=True)
    published = settings.warehouse
    if old.exists() or (published.exists() and not lake.is_catalog(published)):
        _convert(settings)
    if not working.exists() and published.exists() and lake.is_catalog(published):
        log.info("seeding working copy from %s", published)
        _private_copy(published, working)


def _convert(settings: Settings) -> None:
    """Turn a DuckDB-file warehouse (the old working copy, else a copy of the published file) into the
    working catalog: brought to the current schema as a DuckDB file, then copied table by table into a new
    catalog in one transaction, which is renamed into place. Fault points `convert_before_commit`,
    `convert_before_rename` and `convert_after_rename` let the crash tests kill it at each step."""
    old = settings.work_dir / OLD_WORKING_NAME
    source = old if old.exists() else settings.warehouse
    log.warning("converting the DuckDB-file warehouse %s into a DuckLake catalog (once; it takes about two "
                "minutes per GB)", source)
    if not old.exists():
        _wal(old).unlink(missing_ok=True)
        _private_copy(settings.warehouse, old)
    if not _migrated_duckdb_file(settings, old):
        return
    converting = settings.work_dir / CONVERTING_NAME
    for path in (converting, _wal(converting)):
        path.unlink(missing_ok=True)
    con = _attach(settings, converting)
    try:
        limit_memory(con, settings)
        build(con)
        con.execute(f"ATTACH {lake.literal(str(old))} AS converted_from (READ_ONLY)")
        tables = _tables(con, "converted_from")
        if tables != _tables(con, ALIAS):
            raise RuntimeError(f"{old} and the new catalog do not have the same tables after migrating both: "
                               f"{sorted(set(tables) ^ set(_tables(con, ALIAS)))}")
        with transaction(con):
            for schema, table in tables:
                con.execute(f'DELETE FROM "{schema}"."{table}"')  # noqa: S608 (names from the catalog): what the migrations wrote
                con.execute(f'INSERT INTO "{schema}"."{table}" BY NAME SELECT * FROM converted_from."{schema}"."{table}"')  # noqa: S608
            fault_point("convert_before_commit")
        con.execute("DETACH converted_from")
    finally:
        _detach(con)
    fault_point("convert_before_rename")
    os.replace(converting, _working_path(settings))
    _fsync_dir(settings.work_dir)
    fault_point("convert_after_rename")
    for path in (old, _wal(old)):
        path.unlink(missing_ok=True)
    log.warning("converted %s into the DuckLake catalog %s (rows under %s)", source, _working_path(settings),
                lake.data_path(settings.warehouse))


def _migrated_duckdb_file(settings: Settings, old: Path) -> bool:
    """Bring the DuckDB file `old` to the current schema (its own dialect). An old working copy that cannot be
    opened is set aside (`broken-working.duckdb*`) and copied again from the published file when that is a
    DuckDB file too (which must then open: else the fault is not in what a crash left, and this raises); when
    the published file is already a catalog, or there is none, there is nothing to convert: False (the
    working copy is then seeded from the published catalog, or starts empty and its files are processed
    again)."""
    try:
        _migrate_duckdb_file(settings, old)
        return True
    except MigrationChanged:
        raise
    except duckdb.Error as exc:
        log.warning("%s could not be opened or migrated (%s); set aside as %s*", old, str(exc).splitlines()[0],
                    BROKEN_PREFIX + old.name)
        _set_aside(old)
    published = settings.warehouse
    if not published.exists() or lake.is_catalog(published):
        return False
    _private_copy(published, old)
    _migrate_duckdb_file(settings, old)
    return True


def _migrate_duckdb_file(settings: Settings, path: Path) -> None:
    con = duckdb.connect(str(path))
    try:
        limit_memory(con, settings)
        build(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> list[tuple[str, str]]:
    return con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? "
                       "AND NOT internal AND NOT temporary ORDER BY ALL", [database]).fetchall()


def _open_migrated(settings: Settings) -> duckdb.DuckDBPyConnection:
    con = _attach(settings, _working_path(settings))
    try:
        build(con)
        lake.prime_statistics(con)  # a table never written costs ~20 catalog queries per query until then
    except BaseException:
        _detach(con)
        raise
    return con


def _open_working_copy(settings: Settings) -> duckdb.DuckDBPyConnection:
    """Open and migrate the working copy (then apply the feeds' SQL); if a crash left it unopenable, rebuild it.

    Only DuckDB's own errors (a log it cannot replay, a damaged file, a migration that failed half way) lead
    to a rebuild; an edited migration or a stale feed SQL file is a person's mistake and is raised as it is. A rebuild that fails
    again raises too: then the fault is not in what a crash left.
    """
    _seed_working_copy(settings)
    working = _working_path(settings)
    try:
        return _open_migrated(settings)
    except MigrationChanged:
        raise
    except duckdb.Error as exc:
        source = settings.warehouse if settings.warehouse.exists() else "nothing (no warehouse published yet)"
        log.warning(
            "working copy %s could not be opened or migrated (%s); set aside as %s*, rebuilt from %s; "
            "files it had not published are processed again",
            working, str(exc).splitlines()[0], BROKEN_PREFIX + working.name, source,
        )
    _set_aside(working)
    _seed_working_copy(settings)
    return _open_migrated(settings)


def _clear_crash_leftovers(settings: Settings) -> None:
    """Remove publish temporaries and private snapshots: only a lock holder makes them, and we hold the lock."""
    for stale in [*settings.warehouse.parent.glob(f".{settings.warehouse.name}.*.tmp"),
                  *(settings.work_dir / name for name in (CONVERTING_NAME, CONVERTING_NAME + ".wal")
                    if (settings.work_dir / name).exists())]:
        log.info("removing %s left by a crashed session", stale)
        with contextlib.suppress(OSError):
            stale.unlink()
    snapshots = settings.work_dir / SNAPSHOTS_NAME
    if snapshots.is_dir():
        for stale in snapshots.iterdir():
            log.info("removing %s left by a crashed session", stale)
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def publish(settings: Settings) -> Path:
    """Copy the (closed, checkpointed) working copy beside the warehouse, read-only, and rename it into place.

    A log beside the target is someone else's uncheckpointed changes to the old file. It is removed before
    the rename, so no reader opening the new file finds it, and again after, in case a read-write open of
    the old file wrote one in between.
    """
    working = _working_path(settings)
    _settle(working)
    target = settings.warehouse
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(working, tmp)
    os.chmod(tmp, PUBLISHED_MODE)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    _remove_foreign_wal(target)
    fault_point("before_rename")
    os.replace(tmp, target)
    _remove_foreign_wal(target)
    _fsync_dir(target.parent)
    return target


def _settle(catalog: Path) -> None:
    """Make sure the catalog's file holds every commit before it is copied: a log beside it (a detach that
    did not checkpoint, a crash after a commit) is checkpointed into it, not left behind by the copy."""
    if _wal(catalog).exists():
        con = duckdb.connect(str(catalog))
        try:
            con.execute("CHECKPOINT")
        finally:
            con.close()


def _remove_foreign_wal(target: Path) -> None:
    wal = _wal(target)
    if wal.exists():
        log.warning("removing %s: changes someone made to the published warehouse outside the pipeline", wal)
        wal.unlink(missing_ok=True)


@contextlib.contextmanager
def write_session(settings: Settings | None = None, *, publish_after: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """Hold the writer lock, open the working copy (migrated), and publish it when the block ends cleanly."""
    settings = settings or load_settings()
    with writer_lock(settings.work_dir):
        _clear_crash_leftovers(settings)
        con = _open_working_copy(settings)
        try:
            limit_memory(con, settings)
            yield con
        finally:
            _detach(con)  # detaching checkpoints the catalog's file (`_settle` makes sure before a copy)
        if not publish_after:
            return
        if _unchanged_since_published(settings):
            log.info("nothing changed in this session: %s not published again", settings.warehouse)
            return
        publish(settings)
        _record_published(settings)


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Write the session's committed changes into the working catalog's file (and empty its log) before it is
    copied: the published file is then whole without its log."""
    lake.checkpoint(con)


def limit_memory(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """DuckDB's memory on a writer connection: `settings.writer_memory_limit`, spilling beyond it into the
    writer's private folder (`settings.spill_dir`), so a large publish or core rebuild cannot take the machine's
    RAM (DuckDB's default is 80 % of it)."""
    memory_bytes(settings.writer_memory_limit)  # a clear error for a size DuckDB would not read
    con.execute(f"SET memory_limit = '{settings.writer_memory_limit}'")
    con.execute("SET temp_directory = ?", [str(settings.spill_dir)])


def _disk_state(path: Path) -> list[int] | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return [info.st_ino, info.st_size, info.st_mtime_ns]


def _states(settings: Settings) -> dict[str, list[int] | None]:
    """What the working copy, its log, the published file and a log beside it are on disk now."""
    working = _working_path(settings)
    return {"working": _disk_state(working), "working_wal": _disk_state(_wal(working)),
            "published": _disk_state(settings.warehouse), "published_wal": _disk_state(_wal(settings.warehouse))}


def _unchanged_since_published(settings: Settings) -> bool:
    """Whether the working copy and the published file are exactly as the last publish left them."""
    try:
        recorded = json.loads((settings.work_dir / PUBLISHED_STATE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    now = _states(settings)
    return recorded == now and now["published"] is not None and now["published_wal"] is None


def _record_published(settings: Settings) -> None:
    """Record the state just published (written whole, then renamed in; losing it only costs one more copy)."""
    target = settings.work_dir / PUBLISHED_STATE_NAME
    partial = target.with_name(target.name + ".part")
    partial.write_text(json.dumps(_states(settings)), encoding="utf-8")
    os.replace(partial, target)


class WarehouseReadOnly(PermissionError):
    """Someone asked to open the published warehouse read-write: only the pipeline writes it."""


def read_only(settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    """How analysts (and the report) open the published warehouse."""
    settings = settings or load_settings()
    return open_published(settings.warehouse)


def open_published(path: Path, *, read_only: bool = True, warehouse: Path | None = None) -> duckdb.DuckDBPyConnection:
    """Open the published warehouse; asked for read-write, refuse with how to open it read-only.

    The catalog is attached READ_ONLY as `quality` and made the current database, so `SELECT * FROM
    core.product_sampling` works as written; the connection keeps the snapshot it attached. A warehouse of
    the storage before (a DuckDB file not converted yet) is opened as it is. `warehouse`: the published path
    whose data files the catalog lists, when `path` is another copy of it (the writer's working copy).

    The refusal comes from the file mode, not from DuckDB's error ("Cannot open file ... Permission
    denied", which says nothing of read-only and which root, ignoring the mode, never gets).
    """
    if not read_only:
        if path.exists() and not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            raise WarehouseReadOnly(READ_ONLY_ADVICE.format(path=path))
        if path.exists() and lake.is_catalog(path):
            raise WarehouseReadOnly(READ_ONLY_ADVICE.format(path=path))
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as exc:
            raise WarehouseReadOnly(READ_ONLY_ADVICE.format(path=path)) from exc
    plain = duckdb.connect(str(path), read_only=True)
    try:
        catalog = lake.holds_catalog(plain)
    except BaseException:
        plain.close()
        raise
    if not catalog:
        return plain
    plain.close()
    con = duckdb.connect()
    try:
        lake.load(con)
        con.execute(lake.attach_sql(path, ALIAS, warehouse or path, read_only=True))
        con.execute(f"USE {ALIAS}")
    except BaseException:
        con.close()
        raise
    return con
