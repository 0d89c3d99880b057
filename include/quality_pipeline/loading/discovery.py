"""Find the files of a feed in the landing folder, safely, in delivery order.

File names are for display only. A symlink is refused, never followed; a path that
would resolve outside the landing folder is refused; hidden files and Office lock
files (`~$…`) are partial uploads and are left for the next run.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from quality_pipeline.feeds import Feed


@dataclass(frozen=True)
class Candidate:
    path: Path  # absolute
    relative: str  # relative to the landing folder, for display and identity
    size: int
    modified_at: datetime
    refused: str | None = None  # why the file is refused without being opened


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve(strict=False).relative_to(root.resolve())
    except ValueError:
        return False
    return True


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
            path = Path(dirpath) / name
            info = os.lstat(path)
            relative = str(path.relative_to(landing_dir))
            when = datetime.fromtimestamp(info.st_mtime)
            if stat.S_ISLNK(info.st_mode):
                found.append(Candidate(path, relative, 0, when, refused="symlink"))
            elif not stat.S_ISREG(info.st_mode) or not _inside(path, landing_dir):
                found.append(Candidate(path, relative, 0, when, refused="not_regular"))
            else:
                found.append(Candidate(path, relative, info.st_size, when))
        for d in list(dirnames):
            if (Path(dirpath) / d).is_symlink():
                dirnames.remove(d)
                when = datetime.fromtimestamp(os.lstat(Path(dirpath) / d).st_mtime)
                found.append(Candidate(Path(dirpath) / d, str((Path(dirpath) / d).relative_to(landing_dir)),
                                       0, when, refused="symlink"))
    return sorted(found, key=lambda c: (c.modified_at, c.relative))


REFUSALS = {
    "symlink": ("符号链接不予读取，请放入文件本身", "symbolic links are refused, never followed; deliver the file itself"),
    "not_regular": ("不是普通文件", "not a regular file"),
}
