"""Small hand-made extracts for tests that need exact control over every row."""

from __future__ import annotations

import os
from pathlib import Path

SAMPLING_HEADER = ["抽样单编号", "产品名称", "产品类别", "受检单位", "所在街道", "抽样日期", "检验结论", "不合格项目"]


def sampling_row(n: int, *, conclusion: str = "合格", day: str = "2026-07-03", street: str = "金砂",
                 product: str = "插座") -> list[str]:
    failed = "标志" if conclusion == "不合格" else ""
    return [f"S{n:05d}", product, "电工", f"企业{n}", street, day, conclusion, failed]


def write_sampling_csv(path: Path, rows: list[list[str]], *, mtime: float | None = None,
                       encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(SAMPLING_HEADER)] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def as_increments(monkeypatch) -> None:
    """Ingest every feed as an increment: for tests of how one file is read, where each file of a quarter is a
    case of its own rather than a restatement of the quarter (which would withdraw the other cases' keys)."""
    import dataclasses

    from quality_pipeline.feeds import INCREMENT, load_feed
    from quality_pipeline.loading import ingest

    monkeypatch.setattr(ingest, "load_feed",
                        lambda name: dataclasses.replace(load_feed(name), delivery=INCREMENT, period=None))
