"""One exclusive file lock (flock) that says who holds it: `make run`'s run lock and the warehouse's writer lock.

The holder writes a line about itself into the lock file (its pid, since when, where its logs
are); a process that finds the lock taken can read that line, wait, wait up to a deadline, or
not wait at all. The kernel releases a flock when its holder dies, so a crash leaves no stale lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO


class LockTimeout(TimeoutError):
    """The lock stayed taken for longer than we were willing to wait."""


def _take(fh: IO[str]) -> bool:
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def exclusive(path: Path, holder: str, *, wait: bool = True, timeout_s: float | None = None,
              poll_s: float = 0.2, on_busy: Callable[[str], None] | None = None,
              clear_on_release: bool = False) -> Iterator[bool]:
    """Hold an exclusive lock on `path` (created with its folder), with `holder` written in it; yield True.

    When another process holds it, `on_busy` is told what that holder wrote; then `wait=False` yields False
    at once (without the lock), `timeout_s` polls until then and raises `LockTimeout`, and otherwise this
    blocks until the lock is free. `clear_on_release` empties the file when done, so no one reads a holder
    that has finished.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        if not _take(fh):
            if on_busy is not None:
                fh.seek(0)
                on_busy(fh.read().strip())
            if not wait:
                yield False
                return
            if deadline is None:
                fcntl.flock(fh, fcntl.LOCK_EX)
            else:
                while not _take(fh):
                    if time.monotonic() > deadline:
                        raise LockTimeout(f"{path} busy for {timeout_s:.0f}s")
                    time.sleep(poll_s)
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(holder)
            fh.flush()
            yield True
        finally:
            if clear_on_release:
                fh.seek(0)
                fh.truncate()
                fh.flush()
            fcntl.flock(fh, fcntl.LOCK_UN)
