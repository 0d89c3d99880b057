"""Find the files of a feed in the landing folder, safely, in delivery order.

File names are for display only: spaces, Chinese, `..` inside a name, a leading dash or a
255-byte name are just names. A symlink is refused, never followed; a path that would
resolve outside the landing folder, or that is not a regular file (a FIFO would block the
reader forever), is refused; a name that is not valid UTF-8 (unzipped from a GBK archive) is
shown with `\\x` escapes. Hidden files and folders (`.x`, including `..foo`) and Office lock files
(`~$…`) are partial uploads or system folders and are left alone.

`take_snapshot` copies a file into a private folder while hashing it, so the SHA-256
recorded and the bytes parsed are the same bytes even if an office is still writing the
file; a file that changes while it is copied is left for the next run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from quality_pipeline.feeds import Feed
from quality_pipeline.terminal import printable


@dataclass(frozen=True)
class Candidate:
    path: Path  # absolute
    relative: str  # relative to the landing folder, for display and identity
    size: int
    modified_at: datetime
    refused: str | None = None  # why the file is refused without being opened


log = logging.getLogger(__name__)
_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class FileChanged(RuntimeError):
    """The file changed (grew, was rewritten or replaced) while it was being copied: still being written."""


@dataclass(frozen=True)
class Snapshot:
    """A private copy of a landing file and the SHA-256 of exactly those bytes; removed when the block ends."""

    path: Path
    sha256: str
    size: int

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc) -> None:
        self.path.unlink(missing_ok=True)


def take_snapshot(cand: Candidate, directory: Path | None = None) -> Snapshot:
    """Copy the candidate into `directory` (private, default the system temp folder) while hashing the copy.

    The file is opened without following a symlink (one swapped in after discovery is refused) and without
    blocking; its size and modification time must be the same before and after the copy, else `FileChanged`.
    The copy keeps the file's suffix, so it is read as the same type.
    """
    fd = os.open(cand.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise FileChanged(f"{cand.relative} is no longer a regular file")
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        out_fd, name = tempfile.mkstemp(prefix="snapshot-", suffix=cand.path.suffix.lower(), dir=directory)
        digest, size = hashlib.sha256(), 0
        try:
            with os.fdopen(out_fd, "wb") as out:
                while chunk := os.read(fd, _CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            after = os.fstat(fd)
            if (after.st_size, after.st_mtime_ns, size) != (before.st_size, before.st_mtime_ns, before.st_size):
                raise FileChanged(f"{cand.relative} changed while it was copied ({before.st_size} -> {after.st_size} bytes)")
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
    finally:
        os.close(fd)
    return Snapshot(Path(name), digest.hexdigest(), size)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve(strict=False).relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _display(relative: str) -> tuple[str, bool]:
    """(the path as text that can be stored and shown, whether the name was valid UTF-8)."""
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:  # os.walk gave undecodable bytes as surrogates
        return relative.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"), False
    return relative, True


def _candidate(path: Path, landing_dir: Path) -> Candidate | None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:  # removed since the folder was listed
        return None
    relative, decodable = _display(str(path.relative_to(landing_dir)))
    when = datetime.fromtimestamp(info.st_mtime)
    if stat.S_ISLNK(info.st_mode):
        return Candidate(path, relative, 0, when, refused="symlink")
    if not stat.S_ISREG(info.st_mode):
        return Candidate(path, relative, 0, when, refused="not_regular")
    if not _inside(path, landing_dir):
        return Candidate(path, relative, 0, when, refused="not_regular")
    if not decodable:
        log.warning("%s: the file name is not valid UTF-8; shown with \\x escapes", printable(relative))
    return Candidate(path, relative, info.st_size, when)


def discover(landing_dir: Path, feed: Feed) -> list[Candidate]:
    """Every candidate file under the feed's folder, ordered by modification time, then name."""
    root = landing_dir / feed.folder
    if not root.is_dir() or root.is_symlink():
        return []
    found: list[Candidate] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith((".", "~$")):
                continue
            cand = _candidate(Path(dirpath) / name, landing_dir)
            if cand is not None:
                found.append(cand)
        for d in list(dirnames):
            if (Path(dirpath) / d).is_symlink():
                dirnames.remove(d)
                cand = _candidate(Path(dirpath) / d, landing_dir)
                if cand is not None:
                    found.append(cand)
    return sorted(found, key=lambda c: (c.modified_at, c.relative))


REFUSALS = {
    "symlink": ("符号链接不予读取，请放入文件本身", "symbolic links are refused, never followed; deliver the file itself"),
    "not_regular": ("不是普通文件（如管道或设备）或指向收件目录之外，未予读取",
                    "not a regular file (a pipe or a device) or outside the landing folder; not read"),
}
