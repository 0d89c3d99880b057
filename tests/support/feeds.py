"""A feeds folder of the test's own: copies of the declared feeds, plus any the test declares, with the SQL and
GX suites generated from them, selected through QUALITY_FEEDS_DIR, QUALITY_FEED_SQL_DIR and
QUALITY_EXPECTATIONS_DIR. No project file is touched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quality_pipeline.feeds import FEEDS_DIR, feed_names


def own_feeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: dict[str, str] | None = None) -> Path:
    """Copy the project's feed declarations to `tmp_path/feeds`, add `extra` (feed name → YAML text), point the
    settings there and generate the feeds' SQL and suites; return the folder."""
    folder = tmp_path / "feeds"
    folder.mkdir()
    for name in feed_names():
        shutil.copyfile(FEEDS_DIR / f"{name}.yaml", folder / f"{name}.yaml")
    for name, text in (extra or {}).items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("QUALITY_FEEDS_DIR", str(folder))
    monkeypatch.setenv("QUALITY_FEED_SQL_DIR", str(tmp_path / "feed_sql"))
    monkeypatch.setenv("QUALITY_EXPECTATIONS_DIR", str(tmp_path / "expectations"))
    generate()
    return folder


def generate() -> None:
    """What `make generate` does for the folders the settings name."""
    from quality_pipeline.feeds import schema
    from quality_pipeline.validation import suites

    schema.write_all()
    suites.write_all()
