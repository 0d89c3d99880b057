"""
### quarterly_indicators — the programme's quarterly figures (质量强区)

**Reads** the current rows of every feed (`core.*`) and the config files for targets and the
quality-competitiveness index. **Writes** `marts.quarterly_indicators` (one row per quarter ×
indicator × scope), replacing the quarters it computes in one transaction.

**Schedule**: whenever any ingest DAG updated its asset, and at 03:00 Asia/Shanghai on the first
day of each quarter (quarter close). No catchup: a run recomputes every quarter that has data
unless the `quarters` param names some.

**When it fails**: it retries twice; the previous figures stay published until a run succeeds.
Re-running is always safe (the same inputs give the same table).
"""

import pendulum
from airflow.sdk import Asset, Param, dag, task
from airflow.timetables.assets import AssetOrTimeSchedule
from airflow.timetables.trigger import CronTriggerTimetable

from quality_pipeline.airflow_defaults import (
    ASSET_URIS,
    DEFAULT_ARGS,
    INDICATORS_ASSET_URI,
    TIMEZONE,
    WAREHOUSE_POOL,
)

ingested = (
    Asset(ASSET_URIS["enforcement"])
    | Asset(ASSET_URIS["product_sampling"])
    | Asset(ASSET_URIS["remediation"])
)


@dag(
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 3 1 1,4,7,10 *", timezone=TIMEZONE), assets=ingested
    ),
    start_date=pendulum.datetime(2026, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["indicators", "quarterly"],
    doc_md=__doc__,
    params={
        "quarters": Param(
            [],
            type="array",
            items={"type": "string", "pattern": "^[0-9]{4}Q[1-4]$"},
            title="Quarters to recompute",
            description="e.g. 2026Q3; empty = every quarter with data",
        ),
    },
)
def quarterly_indicators():
    @task(pool=WAREHOUSE_POOL, outlets=[Asset(INDICATORS_ASSET_URI)])
    def compute_indicators(params=None) -> dict:
        """Recompute the indicators of the requested quarters (all with data by default) and publish them."""
        from quality_pipeline.tasks import refresh_indicators

        return refresh_indicators(list(params.get("quarters") or []))

    compute_indicators()


quarterly_indicators()
