"""What the three ingest DAGs share (they differ only in their feeds), so DAG files stay wiring only."""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, Param, task
from airflow.timetables.trigger import CronTriggerTimetable

from quality_pipeline.airflow_defaults import (
    ASSET_URIS,
    DAG_FEEDS,
    DEFAULT_ARGS,
    NIGHTLY_CRON,
    TIMEZONE,
    WAREHOUSE_POOL,
)

START = pendulum.datetime(2026, 1, 1, tz=TIMEZONE)

RELEASE_PARAM = Param(
    [],
    type="array",
    items={"type": "string", "minLength": 1},
    title="Release held deliveries",
    description="Paths (as in audit.files, e.g. product_sampling/2026Q3.xlsx) of held files to publish anyway.",
)

LOAD_DOC = """Reads every file of the feed not seen before, validates it with the feed's GX suites and
publishes it in one DuckDB transaction. Writes `raw.*`, `audit.files`, `audit.quarantine`,
`audit.row_flags`, `audit.validations`. Runs in the one-slot `quality_warehouse` pool."""

ATTENTION_DOC = """Fails (without retries) when a file of this run was rejected or held, listing each with
its reason. Everything that could load has loaded already; fix the file, or release a held one
by triggering the DAG with `release`."""


def ingest_dag_args(source: str) -> dict:
    """Arguments of `@dag` shared by the ingest DAGs: nightly, no catchup, one run at a time."""
    return {
        "schedule": CronTriggerTimetable(NIGHTLY_CRON, timezone=TIMEZONE),
        "start_date": START,
        "catchup": False,
        "max_active_runs": 1,
        "default_args": DEFAULT_ARGS,
        "tags": ["ingest", "nightly", source],
        "params": {"release": RELEASE_PARAM},
    }


def ingest_tasks(source: str) -> None:
    """Wire `load_new_files >> check_attention` for the feeds of `source`, inside a `@dag` function."""
    feeds = DAG_FEEDS[source]
    asset = Asset(ASSET_URIS[source], extra={"feeds": list(feeds)})

    @task(pool=WAREHOUSE_POOL, outlets=[asset], doc_md=LOAD_DOC)
    def load_new_files(params=None, run_id=None) -> dict:
        from quality_pipeline.tasks import ingest as run_ingest

        return run_ingest(feeds, run_id=run_id, release=list(params.get("release") or []))

    @task(retries=0, doc_md=ATTENTION_DOC)
    def check_attention(summary: dict) -> None:
        from quality_pipeline.tasks import raise_if_attention

        raise_if_attention(summary)

    check_attention(load_new_files())
