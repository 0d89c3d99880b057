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


# DuckDB's memory on the writer's connections: DuckDB's own default is 80 % of the machine's RAM, which a core
# rebuild of a large history filled until the process was killed; above the limit DuckDB spills to `spill_dir`.
DEFAULT_WRITER_MEMORY_LIMIT = "4GB"
_MEMORY_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
                 "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    reports_dir: Path
    region_file: Path
    index_file: Path
    writer_memory_limit: str = DEFAULT_WRITER_MEMORY_LIMIT  # a DuckDB memory size: 4GB, 512MB, 3GiB

    @property
    def work_dir(self) -> Path:
        """Private folder of the single writer: its working copy and lock live here, never read by analysts."""
        return self.warehouse.parent / ".writer"

    @property
    def spill_dir(self) -> Path:
        """Where DuckDB spills what does not fit in `writer_memory_limit` (inside the writer's private folder)."""
        return self.work_dir / "spill"


def memory_bytes(size: str) -> int:
    """A DuckDB memory size (`4GB`, `400MB`, `3.5 GiB`) in bytes; ValueError for anything else."""
    text = size.strip().upper().replace(" ", "")
    number = text.rstrip("KMGTIB")
    unit = text[len(number):] or "B"
    if unit not in _MEMORY_UNITS or not number.replace(".", "", 1).isdigit():
        raise ValueError(f"内存大小应写作 4GB、512MB 等：{size!r} / a memory size is written like 4GB or 512MB: {size!r}")
    return int(float(number) * _MEMORY_UNITS[unit])


def cache_dir() -> Path:
    """What the pipeline may rebuild at any time (the writer's empty-catalog templates): `$QUALITY_CACHE_DIR`,
    else `$XDG_CACHE_HOME/quality-pipeline`, else `~/.cache/quality-pipeline`."""
    if os.environ.get("QUALITY_CACHE_DIR"):
        return setting_path("QUALITY_CACHE_DIR", "")
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "quality-pipeline"


def load_settings() -> Settings:
    """Read the settings now (not at import), so tests and DAG runs can change the environment."""
    return Settings(
        landing_dir=setting_path("QUALITY_LANDING_DIR", "data/landing"),
        warehouse=setting_path("QUALITY_WAREHOUSE", "data/warehouse/quality.duckdb"),
        reports_dir=setting_path("QUALITY_REPORTS_DIR", "data/reports"),
        region_file=setting_path("QUALITY_REGION_FILE", str(DEFAULT_REGION_FILE)),
        index_file=setting_path("QUALITY_INDEX_FILE", str(DEFAULT_INDEX_FILE)),
        writer_memory_limit=os.environ.get("QUALITY_WRITER_MEMORY_LIMIT") or DEFAULT_WRITER_MEMORY_LIMIT,
    )
