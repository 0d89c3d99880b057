"""In-memory plan of the demo extracts: rows with their true values and defects, grouped into files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

REJECTED = "rejected"
FLAGGED = "flagged"


@dataclass(frozen=True)
class Raw:
    """A cell written literally (an unparseable value); it never reaches an indicator."""

    text: str


@dataclass(frozen=True)
class Issue:
    severity: str  # REJECTED or FLAGGED
    column: str
    rule: str


@dataclass(eq=False)
class Row:
    values: dict[str, Any]
    issue: Issue | None = None
    copy_of: Row | None = None  # an exact duplicate, written cell for cell like the row it copies
    protected: bool = False  # another row's defect relies on this row staying clean
    before: dict[str, Any] | None = None  # the true values before a defect was applied

    @property
    def clean(self) -> bool:
        return self.issue is None and self.copy_of is None and not self.protected

    @property
    def loaded(self) -> bool:
        return self.copy_of is None and (self.issue is None or self.issue.severity == FLAGGED)


@dataclass(eq=False)
class FilePlan:
    feed: str
    period: str  # as a title names it: 2026年第三季度, 2026年9月
    sort_key: str  # 2026Q3 or 2026-09: orders files and derives names and times
    rows: list[Row]
    path: str = ""  # relative to the landing folder, with forward slashes
    fmt: str = "xlsx"
    encoding: str | None = None
    mtime: datetime | None = None
    round: int = 1
    index: int = 0  # position among the feed's files; drives the rotation of layouts
    extra: dict[str, Any] = field(default_factory=dict)
