"""Load the checked seeds into `ref.*` in one transaction, and count the stock on a given day."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb

from quality_pipeline.calendar import quarter_of
from quality_pipeline.reference.seeds import KINDS, LEVELS, SEEDS_DIR, Seed, SeedError, read_seeds
from quality_pipeline.sql_files import sql_file
from quality_pipeline.warehouse.sequences import SEED_LOAD_ID, next_value
from quality_pipeline.warehouse.transaction import transaction


def _loaded(con: duckdb.DuckDBPyConnection) -> tuple[int | None, dict[str, tuple[str, str]]]:
    """The newest load: its load_id and {seed: (version, sha256)}."""
    rows = con.execute(sql_file(__file__, "latest_seed_versions")).fetchall()
    return (rows[0][0] if rows else None), {seed: (version, sha) for _, seed, version, sha in rows}


def _refuse_unbumped(version: str, seeds: list[Seed], loaded: dict[str, tuple[str, str]]) -> None:
    changed = [s.name for s in seeds if s.name in loaded and loaded[s.name][0] == version
               and loaded[s.name][1] != s.sha256]
    if changed:
        raise SeedError([f"{name}.csv: 内容已改变但 VERSION 仍为 {version}，请更新 VERSION / "
                         f"changed since version {version} was loaded: bump warehouse/seeds/VERSION"
                         for name in changed])


def load_reference(con: duckdb.DuckDBPyConnection, seeds_dir: Path = SEEDS_DIR, *, run_id: str | None = None,
                   today: date | None = None) -> dict:
    """Check every seed file, then replace `ref.standards`, `ref.brands` and `ref.construction_quality` together.

    A file that fails its checks raises SeedError before anything is written, so the loaded version stays.
    The same version and bytes as the newest load change nothing (`changed` is False).
    """
    version, seeds = read_seeds(seeds_dir, today)
    load_id, loaded = _loaded(con)
    rows = {s.name: len(s.rows) for s in seeds}
    if all(loaded.get(s.name) == (version, s.sha256) for s in seeds):
        return {"version": version, "load_id": load_id, "changed": False, "rows": rows}
    _refuse_unbumped(version, seeds, loaded)
    with transaction(con):
        load_id = next_value(con, SEED_LOAD_ID)
        now = datetime.now()
        for seed in seeds:
            marks = ", ".join("?" * len(seed.columns))
            con.execute(f"DELETE FROM ref.{seed.name}")  # noqa: S608 - table names come from SPECS
            con.executemany(f"INSERT INTO ref.{seed.name} ({', '.join(seed.columns)}) VALUES ({marks})",  # noqa: S608
                            seed.rows)
            con.execute("INSERT INTO ref.seed_versions VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [load_id, seed.name, version, seed.sha256, len(seed.rows), now, run_id])
    return {"version": version, "load_id": load_id, "changed": True, "rows": rows}


def stock_figures(con: duckdb.DuckDBPyConnection, as_of: date) -> dict:
    """Standards published by `as_of` (by level), brand titles valid on `as_of` (by kind), and the latest
    construction-quality return up to `as_of`'s quarter; JSON-serialisable."""
    day = {"as_of": as_of}
    levels = dict(con.execute(sql_file(__file__, "standards_by_level"), day).fetchall())
    led = con.execute(sql_file(__file__, "standards_led"), day).fetchone()[0]
    kinds = dict(con.execute(sql_file(__file__, "brands_in_force"), day).fetchall())
    quality = con.execute(sql_file(__file__, "construction_quality_latest"), {"quarter": quarter_of(as_of)}).fetchone()
    version = con.execute("SELECT max_by(version, load_id) FROM ref.seed_versions").fetchone()[0]
    by_level = {level: int(levels.get(level, 0)) for level in LEVELS}
    return {
        "as_of": as_of.isoformat(),
        "seed_version": version,
        "standards": {"by_level": by_level, "total": sum(by_level.values()), "led": int(led)},
        "brands": {kind: int(kinds.get(kind, 0)) for kind in KINDS},
        "construction_quality": None if quality is None else dict(
            zip(("quarter", "projects_inspected", "acceptance_pass_rate", "quality_awards"), quality, strict=True)),
    }
