"""Find the files of a feed in the landing folder, safely, in delivery order.

File names are for display only: spaces, Chinese, `..` inside a name, a leading dash or a
255-byte name are just names. A symlink is refused, never followed; a path that would
resolve outside the landing folder, or that is not a regular file (a FIFO would block the
reader forever), is refused; a name that is not valid UTF-8 (unzipped from a GBK archive) is
shown with `\\x` escapes. Hidden files and folders (`.x`, including `..foo`) and Office lock files
(`~$…`) are partial uploads or system folders and are left alone.

A candidate carries its size, modification time (ns) and inode: a file already seen at the same path with
the same three is not hashed again (`audit.unchanged_since_seen`); any difference and it is hashed again.

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

from quality_pipeline.feeds import Feed, all_feeds
from quality_pipeline.terminal import printable


@dataclass(frozen=True)
class Candidate:
    path: Path  # absolute
    relative: str  # relative to the landing folder, for display and identity
    size: int
    modified_at: datetime
    refused: str | None = None  # why the file is refused without being opened
    mtime_ns: int | None = None  # with size and inode: a file seen before exactly so is not hashed again
    inode: int | None = None


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
    return Candidate(path, relative, info.st_size, when, mtime_ns=info.st_mtime_ns, inode=info.st_ino)


def _symlinked(landing_dir: Path, folder: str) -> bool:
    """Whether the feed folder, or a folder on the way to it, is a symbolic link (never followed)."""
    path = landing_dir
    for part in Path(folder).parts:
        path = path / part
        if path.is_symlink():
            return True
    return False


def discover(landing_dir: Path, feed: Feed) -> list[Candidate]:
    """Every candidate file under the feed's folder, ordered by modification time, then name."""
    root = landing_dir / feed.folder
    if _symlinked(landing_dir, feed.folder) or not root.is_dir():
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


# --- what no feed reads --------------------------------------------------------------------------------

IGNORED = {
    "outside_feeds": ("文件不在任何数据源目录中，未读取；请移入对应数据源目录（{folders}）",
                      "the file is in no feed folder and was not read; move it into its feed's folder ({folders})"),
    "symlinked_folder": ("数据源目录是符号链接，其中的文件均未读取；请改为真实目录并放入文件",
                         "the feed folder is a symbolic link, so none of its files were read; make it a real folder "
                         "holding the files"),
    "unowned_folder": ("该子目录不属于任何数据源，其中的文件均未读取；请将文件移入对应数据源目录（{folders}）",
                       "no feed owns this folder, so none of its files were read; move them into their feed's "
                       "folder ({folders})"),
}


def _owner(relative: Path, feeds: list[Feed]) -> Feed:
    """The feed that reports an unread path: the one whose folder shares most leading folders with it
    (`enforcement/x.csv` → the first enforcement feed), else the first feed (the landing root)."""
    def shared(feed: Feed) -> int:
        n = 0
        for a, b in zip(Path(feed.folder).parts, relative.parts, strict=False):
            if a != b:
                break
            n += 1
        return n

    return max(feeds, key=shared)  # max keeps the first of equals


def unseen(landing_dir: Path, feed: Feed) -> list[Candidate]:
    """Files and folders of the landing folder that no feed reads and that `feed` reports (see `_owner`), each
    with `refused` set to a key of IGNORED: a file outside every feed folder, a symlinked folder on the way to
    a feed folder, a folder no feed owns (reported once, not file by file). Hidden entries are left alone."""
    feeds = all_feeds()
    folders = {Path(f.folder) for f in feeds}
    ancestors = {parent for folder in folders for parent in folder.parents if parent != Path(".")}
    found: list[Candidate] = []
    if not landing_dir.is_dir():
        return found
    for dirpath, dirnames, filenames in os.walk(landing_dir, followlinks=False):
        here = Path(dirpath).relative_to(landing_dir)
        for name in sorted(filenames):
            if not name.startswith((".", "~$")):
                found.append(_ignored(landing_dir, here / name, "outside_feeds"))
        for d in sorted(dirnames):
            relative = here / d
            if d.startswith(".") or relative in folders and not (landing_dir / relative).is_symlink():
                continue
            if (landing_dir / relative).is_symlink() and (relative in folders or relative in ancestors):
                found.append(_ignored(landing_dir, relative, "symlinked_folder"))
            elif relative not in ancestors:
                found.append(_ignored(landing_dir, relative, "unowned_folder"))
        dirnames[:] = sorted(d for d in dirnames if here / d in ancestors and not (landing_dir / here / d).is_symlink())
    return [c for c in found if _owner(Path(c.relative), feeds).name == feed.name]


def _ignored(landing_dir: Path, relative: Path, code: str) -> Candidate:
    path = landing_dir / relative
    try:
        info = os.lstat(path)
        size, when = info.st_size, datetime.fromtimestamp(info.st_mtime)
    except OSError:
        size, when = 0, datetime.now()
    return Candidate(path, _display(str(relative))[0], size, when, refused=code)


def ignored_reason(code: str) -> str:
    folders = "、".join(f"{f.folder}/" for f in all_feeds())
    zh, en = IGNORED[code]
    return f"{zh.format(folders=folders)} / {en.format(folders=folders)}"
