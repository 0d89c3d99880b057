"""The single writer of the warehouse.

Writes go to a private working copy under `<warehouse dir>/.writer/`, guarded by an
exclusive file lock, so no two tasks ever write at once. After each session the
working copy is checkpointed and copied to a temporary file beside
`QUALITY_WAREHOUSE`, which then replaces it by an atomic rename. Analysts who hold
the published file open read-only keep the version they opened and never block
the writer; new opens see the new version whole. A crash (even `kill -9`) leaves the
published file at its last good state and the working copy at its last committed
transaction; the next session publishes again.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from quality_pipeline.settings import Settings, load_settings
from quality_pipeline.warehouse.migrations import migrate

log = logging.getLogger(__name__)
WORKING_NAME = "working.duckdb"
LOCK_NAME = "writer.lock"


def fault_point(name: str) -> None:
    """Where the crash tests stop a real writer process: with QUALITY_FAULT_PAUSE_AT=<name> it signals and waits.

    Unset (always, outside those tests) it does nothing.
    """
    if os.environ.get("QUALITY_FAULT_PAUSE_AT") != name:
        return
    Path(os.environ["QUALITY_FAULT_SIGNAL"]).write_text(str(os.getpid()))
    time.sleep(float(os.environ.get("QUALITY_FAULT_PAUSE_S", "120")))


class WriterBusy(RuntimeError):
    """Another process holds the writer lock for longer than we were willing to wait."""


@contextlib.contextmanager
def writer_lock(work_dir: Path, timeout_s: float = 3600.0) -> Iterator[None]:
    work_dir.mkdir(parents=True, exist_ok=True)
    with open(work_dir / LOCK_NAME, "a+") as fh:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise WriterBusy(f"warehouse writer lock {work_dir / LOCK_NAME} busy for {timeout_s:.0f}s") from None
                time.sleep(0.2)
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"{os.getpid()}\n")
            fh.flush()
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _working_path(settings: Settings) -> Path:
    return settings.work_dir / WORKING_NAME


def _seed_working_copy(settings: Settings) -> None:
    """Start from the published file when the working copy is gone (first run, or a new writer host)."""
    working = _working_path(settings)
    if not working.exists() and settings.warehouse.exists():
        log.info("seeding working copy from %s", settings.warehouse)
        shutil.copyfile(settings.warehouse, working)


def publish(settings: Settings) -> Path:
    """Copy the (closed, checkpointed) working copy beside the warehouse and rename it into place."""
    working = _working_path(settings)
    target = settings.warehouse
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(working, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    fault_point("before_rename")
    os.replace(tmp, target)
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return target


def _remove_stale_temporaries(settings: Settings) -> None:
    for stale in settings.warehouse.parent.glob(f".{settings.warehouse.name}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()


@contextlib.contextmanager
def write_session(settings: Settings | None = None, *, publish_after: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """Hold the writer lock, open the working copy (migrated), and publish it when the block ends cleanly."""
    settings = settings or load_settings()
    with writer_lock(settings.work_dir):
        _remove_stale_temporaries(settings)
        _seed_working_copy(settings)
        con = duckdb.connect(str(_working_path(settings)))
        try:
            migrate(con)
            yield con
            con.execute("CHECKPOINT")
        finally:
            con.close()
        if publish_after:
            publish(settings)


def read_only(settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    """How analysts (and the report) open the published warehouse."""
    settings = settings or load_settings()
    return duckdb.connect(str(settings.warehouse), read_only=True)
