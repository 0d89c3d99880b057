"""
### warehouse_maintenance — compaction and clean-up of the warehouse's files

**Reads** the writer's working catalog and the Parquet files under `<warehouse>.lake/`. **Writes** the same
catalog and files, then publishes the catalog: in one write session (the `quality_warehouse` pool, like every
writer), it writes the rows the catalog keeps inline into Parquet files, expires the snapshots older than the grace period, merges
the small files the nightly deliveries leave and rewrites files whose rows were mostly deleted, deletes the
files no snapshot lists since longer than the grace period and the files a crashed session left, then
publishes the catalog. Readers are never blocked; a reader that attached the published catalog before the
run keeps reading the files it lists for at least the grace period. `include/quality_pipeline/warehouse/maintenance.py`.

**Schedule**: Sundays at 04:00 (the region's time zone), after the night's loads. **Catchup is off**.
By hand: the Params form takes `grace_hours` (default 24; never less than the longest time an analyst keeps
the warehouse attached).

**When it fails**: it retries twice; the warehouse stays as it was (each step commits in the writer's
working copy, which is published only when the session ends cleanly), and the next run starts again.
"""

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from quality_pipeline.orchestration.dag_factory import param
from quality_pipeline.orchestration.defaults import DEFAULT_ARGS, MAINTENANCE_CRON, TIMEZONE, WRITER
from quality_pipeline.orchestration.notifications import on_failure

MAINTAIN_DOC = """Flushes inlined rows, expires old snapshots, merges small files, deletes files unlisted for
longer than the grace period, and publishes the catalog; returns the counts and the data folder's files and
bytes before and after. `warehouse` queue, one-slot `quality_warehouse` pool."""


@dag(
    schedule=CronTriggerTimetable(MAINTENANCE_CRON, timezone=TIMEZONE),
    start_date=pendulum.datetime(2026, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["maintenance"],
    doc_md=__doc__,
    on_failure_callback=on_failure(),
    params={
        "grace_hours": param(
            24,
            type="integer",
            minimum=1,
            title="Grace period (hours)",
            description="Files and snapshots are removed only this long after nothing lists them: longer than "
            "any reader keeps the warehouse attached",
        ),
    },
)
def warehouse_maintenance():
    @task(doc_md=MAINTAIN_DOC, **WRITER)
    def maintain_warehouse(params=None) -> dict:
        from datetime import timedelta

        from quality_pipeline.warehouse.maintenance import maintain

        return maintain(grace=timedelta(hours=int(params["grace_hours"])))

    maintain_warehouse()


warehouse_maintenance()
