"""What the pipeline should make of the demo extracts: per-file accounting, row issues, indicators."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from quality_pipeline.demo.layout import Layout
from quality_pipeline.demo.model import REJECTED, FilePlan

LOADED, DUPLICATE = "loaded", "duplicate"


@dataclass
class RowIssue:
    sheet: str | None
    row_number: int
    column: str
    rule: str


@dataclass
class FileTruth:
    path: str  # relative to the landing folder
    feed: str
    format: str  # xlsx, csv or the extension of an unsupported file
    encoding: str | None
    sheets: list[str]
    data_sheet: str | None
    header_row: int | None
    round: int
    mtime: str
    status: str = LOADED  # loaded, duplicate (identical bytes seen before) or rejected (set aside whole)
    reason: str | None = None  # rejected file: unreadable, empty, no_rows, no_header, missing_column, ...
    reason_keyword: str | None = None  # a word the reason given to a person should contain
    duplicate_of: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    duplicates_dropped: int = 0
    rejected: list[RowIssue] = field(default_factory=list)
    flagged: list[RowIssue] = field(default_factory=list)
    merged_cells: list[dict] = field(default_factory=list)  # body merges: the value applies to every row
    dropped: list[str] = field(default_factory=list)  # keys a period snapshot leaves out: withdrawn
    withdraw: str | None = None  # a wrongly delivered file: why a person withdraws it (the truth is after that)

    @classmethod
    def from_dict(cls, data: dict) -> FileTruth:
        data = dict(data)
        data["rejected"] = [RowIssue(**i) for i in data.get("rejected", [])]
        data["flagged"] = [RowIssue(**i) for i in data.get("flagged", [])]
        return cls(**data)


@dataclass
class Truth:
    params: dict
    region: dict
    quarters: list[str]
    files: list[FileTruth]
    indicators: list[dict]  # {quarter, indicator, scope, value, numerator, denominator}
    annual: list[dict] = field(default_factory=list)  # {year, indicator, scope, value, numerator, denominator}

    def to_json(self, path: Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, path: Path) -> Truth:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        data["files"] = [FileTruth.from_dict(f) for f in data["files"]]
        return cls(**data)

    def file(self, path: str) -> FileTruth:
        return next(f for f in self.files if f.path == path)

    def feed_summary(self) -> dict[str, dict[str, int]]:
        summary: dict[str, dict[str, int]] = {}
        for f in self.files:
            s = summary.setdefault(f.feed, dict.fromkeys(
                ["files", "rows_read", "rows_loaded", "rows_rejected", "rows_flagged", "duplicates_dropped",
                 "files_rejected", "files_duplicate"], 0))
            s["files"] += 1
            s["rows_read"] += f.rows_read
            s["rows_loaded"] += f.rows_loaded
            s["rows_rejected"] += f.rows_rejected
            s["rows_flagged"] += len(f.flagged)
            s["duplicates_dropped"] += f.duplicates_dropped
            s["files_rejected"] += f.status == "rejected"
            s["files_duplicate"] += f.status == DUPLICATE
        return summary


def file_truth(plan: FilePlan, layout: Layout) -> FileTruth:
    """Account for every data row of a laid-out file."""
    sheet = layout.data_sheet if plan.fmt == "xlsx" else None
    rejected, flagged, copies = [], [], 0
    for number, row in layout.data_rows:
        if row.copy_of is not None:
            copies += 1
        elif row.issue is not None:
            issue = RowIssue(sheet, number, row.issue.column, row.issue.rule)
            (rejected if row.issue.severity == REJECTED else flagged).append(issue)
    read = len(layout.data_rows)
    return FileTruth(
        path=plan.path, feed=plan.feed, format=plan.fmt, encoding=plan.encoding,
        sheets=[s.name for s in layout.sheets] if plan.fmt == "xlsx" else [], data_sheet=sheet,
        header_row=layout.header_row, round=plan.round, mtime=plan.mtime.isoformat(),
        rows_read=read, rows_loaded=read - len(rejected) - copies, rows_rejected=len(rejected),
        duplicates_dropped=copies, rejected=rejected, flagged=flagged, merged_cells=layout.merged_cells,
    )
