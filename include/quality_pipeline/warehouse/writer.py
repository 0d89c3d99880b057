"""The single writer of the warehouse.

Writes go to a private working copy under `<warehouse dir>/.writer/`, guarded by an
exclusive file lock, so no two tasks ever write at once. After each session the
working copy is checkpointed and copied to a temporary file beside
`QUALITY_WAREHOUSE`, which then replaces it by an atomic rename. Analysts who hold
the published file open read-only keep the version they opened and never block
the writer; new opens see the new version whole. A crash (even `kill -9`) leaves the
published file at its last good state and the working copy at its last committed
transaction; the next session publishes again.

A session that changed nothing publishes nothing: after each publish the writer records what the working
copy, its log and the published file were on disk (inode, size, modification time in ns) in
`.writer/published.json`; a session that ends with all of them exactly as recorded (no transaction
committed anything: no row, no audit row, no migration, no sequence step; DuckDB leaves an unchanged
database file untouched) skips the copy. Anything else publishes: a commit, a crash after a commit and
before its publish (the working copy differs from the record), a published file replaced or written by
someone else, a lost or unreadable record.

Whatever else a crash leaves is cleared by the next session under the lock, so nothing
ever needs a person: publish temporaries and private snapshots are removed (only a
session holding the lock makes them, so under the lock they are all dead), and a working
copy that cannot be opened or migrated (an unreplayable write-ahead log) is set aside and
rebuilt from the last published file, or from nothing before the first publish; the
files it had not published are simply processed again, since `audit.files` of the
rebuilt copy does not know them.

The published file is only ever written by `publish`: it is read-only on disk (0444) and
any write-ahead log beside it, which an analyst who opened it read-write and died would
leave, is removed before and after the new file is renamed in, so DuckDB never replays
someone else's changes onto what the pipeline published.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import duckdb

from quality_pipeline.filelock import LockTimeout, exclusive
from quality_pipeline.settings import Settings, load_settings, memory_bytes
from quality_pipeline.warehouse.faults import fault_point
from quality_pipeline.warehouse.feed_schema import build
from quality_pipeline.warehouse.migrations import MigrationChanged

__all__ = ["WarehouseReadOnly", "WriterBusy", "fault_point", "open_published", "publish", "read_only", "write_session"]

log = logging.getLogger(__name__)
WORKING_NAME = "working.duckdb"
LOCK_NAME = "writer.lock"
SNAPSHOTS_NAME = "snapshots"
PUBLISHED_STATE_NAME = "published.json"
BROKEN_PREFIX = "broken-"
PUBLISHED_MODE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
READ_ONLY_ADVICE = (
    "数据仓库文件只读，只有数据管道可以写入；请以只读方式打开：duckdb -readonly {path}，"
    "或 duckdb.connect(path, read_only=True) / "
    "The published warehouse is read-only and only the pipeline writes it; open it read-only: "
    "duckdb -readonly {path}, or duckdb.connect(path, read_only=True)"
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


def _seed_working_copy(settings: Settings) -> None:
    """Start from the published file when the working copy is gone (first run, or a new writer host).

    A log without its database file belongs to no copy we have; replayed onto the seed it would corrupt it.
    """
    working = _working_path(settings)
    if working.exists():
        return
    _wal(working).unlink(missing_ok=True)
    if settings.warehouse.exists():
        log.info("seeding working copy from %s", settings.warehouse)
        shutil.copyfile(settings.warehouse, working)
        os.chmod(working, stat.S_IRUSR | stat.S_IWUSR)


def _set_aside_working_copy(settings: Settings) -> None:
    """Keep the last broken working copy (and its log) as `broken-working.duckdb*` for a post-mortem, once."""
    working = _working_path(settings)
    for path in (working, _wal(working)):
        if path.exists():
            os.replace(path, path.with_name(BROKEN_PREFIX + path.name))
        else:
            path.with_name(BROKEN_PREFIX + path.name).unlink(missing_ok=True)


def _open_migrated(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    try:
        build(con)
    except BaseException:
        con.close()
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
        return _open_migrated(working)
    except MigrationChanged:
        raise
    except duckdb.Error as exc:
        source = settings.warehouse if settings.warehouse.exists() else "nothing (no warehouse published yet)"
        log.warning(
            "working copy %s could not be opened or migrated (%s); set aside as %s*, rebuilt from %s; "
            "files it had not published are processed again",
            working, str(exc).splitlines()[0], BROKEN_PREFIX + working.name, source,
        )
    _set_aside_working_copy(settings)
    _seed_working_copy(settings)
    return _open_migrated(working)


def _clear_crash_leftovers(settings: Settings) -> None:
    """Remove publish temporaries and private snapshots: only a lock holder makes them, and we hold the lock."""
    for stale in settings.warehouse.parent.glob(f".{settings.warehouse.name}.*.tmp"):
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
            checkpoint(con)
        finally:
            con.close()
        if not publish_after:
            return
        if _unchanged_since_published(settings):
            log.info("nothing changed in this session: %s not published again", settings.warehouse)
            return
        publish(settings)
        _record_published(settings)


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Write the session's committed changes into the working copy's file (and empty its log) before it is
    copied: the published file is then whole without its log."""
    con.execute("CHECKPOINT")


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


def open_published(path: Path, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the published warehouse; asked for read-write, refuse with how to open it read-only.

    The refusal comes from the file mode, not from DuckDB's error ("Cannot open file ... Permission
    denied", which says nothing of read-only and which root, ignoring the mode, never gets).
    """
    if read_only:
        return duckdb.connect(str(path), read_only=True)
    if path.exists() and not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise WarehouseReadOnly(READ_ONLY_ADVICE.format(path=path))
    try:
        return duckdb.connect(str(path))
    except duckdb.IOException as exc:
        raise WarehouseReadOnly(READ_ONLY_ADVICE.format(path=path)) from exc
