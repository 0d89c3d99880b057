"""Settings read from the environment, with defaults that work for the embedded setup.

Every path is resolved against the project root so commands behave the same
from any working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str, package_dir: Path = PACKAGE_DIR) -> Path:
    """A folder of data the package reads (`expectations`, `warehouse`): inside the package, under `_data/`,
    when it was installed from a wheel; at the repository's top level, where it is reviewed, in a checkout."""
    packaged = package_dir / "_data" / name
    return packaged if packaged.is_dir() else package_dir.parents[1] / name


EXPECTATIONS_DIR = data_dir("expectations")
WAREHOUSE_SQL_DIR = data_dir("warehouse")
DEFAULT_REGION_FILE = PACKAGE_DIR / "config" / "regions" / "440511-jinping.yaml"
DEFAULT_INDEX_FILE = PACKAGE_DIR / "config" / "quality_index.yaml"


def setting_path(var: str, default: str) -> Path:
    """The path in environment variable `var` (else `default`), relative ones resolved against the project root."""
    value = os.environ.get(var) or default
    path = Path(value).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def expectations_dir() -> Path:
    """The GX suites generated from the feeds: `$QUALITY_EXPECTATIONS_DIR`, else `expectations/`."""
    return setting_path("QUALITY_EXPECTATIONS_DIR", str(EXPECTATIONS_DIR))


def feed_sql_dir() -> Path:
    """The raw and core tables generated from the feeds: `$QUALITY_FEED_SQL_DIR`, else `warehouse/feeds/`."""
    return setting_path("QUALITY_FEED_SQL_DIR", str(WAREHOUSE_SQL_DIR / "feeds"))


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    reports_dir: Path
    region_file: Path
    index_file: Path

    @property
    def work_dir(self) -> Path:
        """Private folder of the single writer: its working copy and lock live here, never read by analysts."""
        return self.warehouse.parent / ".writer"


def load_settings() -> Settings:
    """Read the settings now (not at import), so tests and DAG runs can change the environment."""
    return Settings(
        landing_dir=setting_path("QUALITY_LANDING_DIR", "data/landing"),
        warehouse=setting_path("QUALITY_WAREHOUSE", "data/warehouse/quality.duckdb"),
        reports_dir=setting_path("QUALITY_REPORTS_DIR", "data/reports"),
        region_file=setting_path("QUALITY_REGION_FILE", str(DEFAULT_REGION_FILE)),
        index_file=setting_path("QUALITY_INDEX_FILE", str(DEFAULT_INDEX_FILE)),
    )
