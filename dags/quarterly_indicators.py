"""
### quarterly_indicators — the programme's quarterly figures (质量强区)

**Reads** the current rows of every feed (`core.*`) and the config files for targets, the
quality-competitiveness index and the region's delivery grace period. **Writes**
`marts.quarterly_indicators` (one row per quarter × indicator × scope, each with its
`period_status`, provisional or closed on the run's day) and `marts.annual_indicators` (every
year to date, against the annual targets), replacing the quarters it computes, their years and
the years still provisional in one transaction; at quarter close a vintage of the quarter and its year to date
(`marts.indicator_vintages`, `marts.annual_indicator_vintages`); and the quarterly reports (HTML
and XLSX) under `$QUALITY_REPORTS_DIR`. Definitions: `docs/indicators.md`.

**Schedule**: whenever any ingest DAG updated its asset (recomputes only the quarters the new
deliveries and decisions touched, as recorded in `marts.dirty_quarters`: the quarters of the new
rows and of the versions they superseded or brought back), and
at 03:00 Asia/Shanghai on the first day of each quarter (recomputes the quarter that just closed
and publishes its vintage). **Catchup is off**: a scheduler that was down over a quarter close
runs only the latest one; replay past closes with Airflow's backfill, whose runs recompute the
quarter that had closed at each logical date (2026-07-01 → 2026Q2), e.g.
`airflow backfill create --dag-id quarterly_indicators --from-date 2026-01-01 --to-date 2026-07-02`.
By hand: the Params form takes `quarters` to recompute, `full` (recompute every quarter and year)
and `publish_vintage`.

**When it fails**: tasks retry twice with backoff and the failure sends the alert; the previous
figures stay published until a run succeeds. Re-running is always safe (the same inputs give the
same table): clear the failed task. A vintage is published at most once per run.
"""

import pendulum
from airflow.sdk import Asset, AssetAny, dag, task
from airflow.timetables.assets import AssetOrTimeSchedule
from airflow.timetables.trigger import CronTriggerTimetable

from quality_pipeline.orchestration.dag_factory import param
from quality_pipeline.orchestration.defaults import (
    DEFAULT_ARGS,
    INDICATORS_ASSET_URI,
    QUARTER_CLOSE_CRON,
    TIMEZONE,
    WRITER,
    asset_uris,
)
from quality_pipeline.orchestration.notifications import on_failure

ingested = AssetAny(*(Asset(uri) for uri in asset_uris().values()))

PLAN_DOC = """Decides what this run recomputes and publishes, from its type (asset-triggered, quarter close,
backfill, manual), its logical date and the Params. No I/O; see the plan in its return value."""
COMPUTE_DOC = """Recomputes the quarters changed since the last run (`marts.dirty_quarters`) and the planned
ones, their years and the years still provisional (everything with the `full` param; nothing when nothing
changed), and replaces them in `marts.quarterly_indicators` and `marts.annual_indicators` in one transaction,
with each period's status as of today. `warehouse` queue, one-slot `quality_warehouse` pool."""
VINTAGE_DOC = """Freezes the planned quarters' figures as a vintage (`marts.indicator_vintages`); skipped when
the run publishes none. Idempotent per run: a retry returns the same vintage. `warehouse` queue and pool."""
REPORT_DOC = """Writes the HTML and XLSX report of each recomputed quarter to `$QUALITY_REPORTS_DIR/<quarter>/`,
reading the published warehouse (read-only). Runs even when no vintage was published."""


@dag(
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(QUARTER_CLOSE_CRON, timezone=TIMEZONE), assets=ingested
    ),
    start_date=pendulum.datetime(2026, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["indicators", "report", "quarterly"],
    doc_md=__doc__,
    on_failure_callback=on_failure(),
    params={
        "quarters": param(
            [],
            type="array",
            items={"type": "string", "pattern": "^[0-9]{4}Q[1-4]$"},
            uniqueItems=True,
            title="Quarters to recompute",
            description="e.g. 2026Q3, one per line, recomputed besides the quarters changed since the last run; "
            "empty = only those (and, at quarter close, the one that closed)",
        ),
        "full": param(
            False,
            type="boolean",
            title="Recompute everything",
            description="Recompute every quarter and year from core.*, not only the quarters changed since the last run.",
        ),
        "publish_vintage": param(
            False,
            type="boolean",
            title="Publish a vintage",
            description="Freeze these quarters' figures as published (empty quarters: the last closed quarter). "
            "The quarter-close run always does.",
        ),
    },
)
def quarterly_indicators():
    @task(doc_md=PLAN_DOC)
    def plan_quarters(params=None, dag_run=None, logical_date=None) -> dict:
        from quality_pipeline.orchestration.tasks import plan_quarterly_run

        return plan_quarterly_run(
            run_type=dag_run.run_type,
            logical_date=logical_date,
            quarters=list(params.get("quarters") or []),
            publish_vintage=bool(params.get("publish_vintage")),
        )

    @task(outlets=[Asset(INDICATORS_ASSET_URI)], doc_md=COMPUTE_DOC, **WRITER)
    def compute_indicators(plan: dict, params=None) -> dict:
        from quality_pipeline.orchestration.tasks import refresh_indicators

        return refresh_indicators(plan["quarters"], full=bool((params or {}).get("full")))

    @task(doc_md=VINTAGE_DOC, **WRITER)
    def publish_vintage(plan: dict, run_id=None) -> dict:
        from quality_pipeline.orchestration.tasks import publish_planned_vintages

        return publish_planned_vintages(plan, run_id=run_id)

    @task(trigger_rule="none_failed", doc_md=REPORT_DOC)
    def build_reports(computed: dict) -> dict:
        from quality_pipeline.orchestration.tasks import build_reports as write_reports

        return write_reports(computed["quarters"])

    plan = plan_quarters()
    computed = compute_indicators(plan)
    published = publish_vintage(plan)
    computed >> published
    published >> build_reports(computed)


quarterly_indicators()
