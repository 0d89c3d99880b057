"""SQL lives in named files: each opens with Purpose / Grain / Sources, and no module's is missing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quality_pipeline.settings import PACKAGE_DIR, PROJECT_ROOT
from quality_pipeline.sql_files import sql_file

FILES = sorted([*PACKAGE_DIR.glob("sql/*.sql"), *PACKAGE_DIR.glob("*/sql/*.sql"), *(PROJECT_ROOT / "warehouse" / "marts").rglob("*.sql")])


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_every_sql_file_opens_with_purpose_grain_and_sources(path: Path):
    head = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("--")]
    for label in ("Purpose", "Grain", "Sources"):
        assert any(line.startswith(f"-- {label}:") for line in head), f"{path.name} has no {label}: line"


def test_every_named_query_a_module_asks_for_exists():
    asked = set()
    for module in PACKAGE_DIR.rglob("*.py"):
        for name in re.findall(r'sql_file\(__file__, "(\w+)"\)', module.read_text(encoding="utf-8")):
            asked.add((module, name))
            assert sql_file(str(module), name).strip()
    assert len(asked) >= 10
