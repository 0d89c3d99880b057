"""The demo district the end-to-end tests share: generated, ingested and computed once per session.

Generating the extracts and ingesting them is the expensive part of an end-to-end test, and most tests only
need *a* realistic warehouse; so `build_demo` runs once per session (per xdist worker) into a session
folder, and each test that changes it gets its own copy (`copy_demo`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

# One demo for the session: three quarters up to 2026Q3, a few defects, no file rejected or held in round 1.
DEMO_ARGS = {"seed": 11, "quarters": 3, "rows_per_quarter": 40, "defect_rate": 0.06}
FEEDS = ("product_sampling", "enforcement_cases", "enforcement_inspections", "remediation_projects",
         "water_quality")


@dataclass(frozen=True)
class Demo:
    root: Path  # holds landing/, warehouse/ and reports/
    truth: object  # the generator's ground truth of round 1

    @property
    def landing(self) -> Path:
        return self.root / "landing"


def use_folder(monkeypatch, root: Path):
    """Point the pipeline at landing/, warehouse/ and reports/ under `root`, through the real variables."""
    from quality_pipeline.settings import load_settings

    monkeypatch.setenv("QUALITY_LANDING_DIR", str(root / "landing"))
    monkeypatch.setenv("QUALITY_WAREHOUSE", str(root / "warehouse" / "quality.duckdb"))
    monkeypatch.setenv("QUALITY_REPORTS_DIR", str(root / "reports"))
    return load_settings()


def build_demo(root: Path) -> Demo:
    """Generate round 1 of the demo, ingest every feed and compute the indicators, with the task functions."""
    import pytest

    from quality_pipeline.demo import generate
    from quality_pipeline.orchestration.tasks import ingest, refresh_indicators

    with pytest.MonkeyPatch.context() as mp:
        settings = use_folder(mp, root)
        truth = generate(settings.landing_dir, **DEMO_ARGS)
        summary = ingest(FEEDS, run_id="demo")
        assert {f["status"] for f in summary["files"]} == {"loaded"}, summary["files"]
        refresh_indicators()
    return Demo(root, truth)


def copy_demo(demo: Demo, target: Path, *, warehouse: bool = True) -> Path:
    """A private copy of the demo (mtimes kept, so the files look as delivered); without `warehouse`, only
    the landing folder: the extracts as the offices delivered them, nothing ingested yet."""
    if warehouse:
        shutil.copytree(demo.root, target)
    else:
        shutil.copytree(demo.landing, target / "landing", dirs_exist_ok=True)
    return target
