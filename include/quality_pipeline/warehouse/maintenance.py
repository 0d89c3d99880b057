"""Maintenance of the warehouse's catalog and Parquet files (the `warehouse_maintenance` DAG, weekly).

Every delivery leaves a small Parquet file (or rows inlined in the catalog) and a snapshot; corrections leave
delete files. In one write session, under the writer's lock, this:

1. writes the rows kept inline in the catalog into Parquet files (`ducklake_flush_inlined_data`);
2. expires the snapshots older than the grace period (`ducklake_expire_snapshots`);
3. merges small files of a table no longer needed apart (`ducklake_merge_adjacent_files`) and rewrites
   files whose rows were mostly deleted (`ducklake_rewrite_data_files`);
4. deletes the files no snapshot lists since longer than the grace period (`ducklake_cleanup_old_files`)
   and the files of the data folder no catalog ever listed (a crashed session's), older than the grace
   period (`ducklake_delete_orphaned_files`);
5. publishes the catalog, like any session that changed something.

The grace period (a day by default) must be longer than any reader keeps a catalog attached: an analyst who
attached the published catalog before a maintenance run still reads the files it lists, and they are only
deleted by a run at least the grace period after no catalog lists them. The writer never runs `CHECKPOINT`
on the catalog (which would do all of the above with no grace period).
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

from quality_pipeline.settings import Settings, load_settings
from quality_pipeline.warehouse import lake

log = logging.getLogger(__name__)
DEFAULT_GRACE = timedelta(days=1)


def data_files(warehouse: Path) -> tuple[int, int]:
    """How many files the data folder holds, and their bytes (listed or not by a catalog)."""
    count = size = 0
    for folder, _, names in os.walk(lake.data_path(warehouse)):
        for name in names:
            count += 1
            size += os.stat(os.path.join(folder, name)).st_size
    return count, size


def maintain(settings: Settings | None = None, grace: timedelta = DEFAULT_GRACE) -> dict:
    """Run the steps above in one write session; returns what each did and the data folder before and after."""
    from quality_pipeline.warehouse.writer import write_session

    settings = settings or load_settings()
    if grace < timedelta(0):
        raise ValueError(f"the grace period cannot be negative: {grace}")
    before = data_files(settings.warehouse)
    older_than = f"now() - INTERVAL {int(grace.total_seconds())} SECOND"
    done: dict[str, int] = {}
    with write_session(settings) as con:
        database = con.execute("SELECT current_database()").fetchone()[0]
        if not lake.is_lake(con):
            raise RuntimeError(f"{settings.warehouse} is not a DuckLake catalog: nothing to maintain")
        steps = {
            "flushed_tables": f"CALL ducklake_flush_inlined_data('{database}')",
            "expired_snapshots": f"CALL ducklake_expire_snapshots('{database}', older_than => {older_than})",
            "merged_tables": f"CALL ducklake_merge_adjacent_files('{database}')",
            "rewritten_tables": f"CALL ducklake_rewrite_data_files('{database}')",
            "deleted_old_files": f"CALL ducklake_cleanup_old_files('{database}', older_than => {older_than})",
            "deleted_orphaned_files": f"CALL ducklake_delete_orphaned_files('{database}', older_than => {older_than})",
        }
        for name, sql in steps.items():
            done[name] = len(con.execute(sql).fetchall())
    after = data_files(settings.warehouse)
    summary = {**done, "files_before": before[0], "files_after": after[0], "bytes_before": before[1],
               "bytes_after": after[1], "grace_s": int(grace.total_seconds())}
    log.info("warehouse maintenance: %s", summary)
    return summary
