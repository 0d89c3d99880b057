"""What the three ingest DAGs share (they differ only in their feeds), so DAG files stay wiring only."""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, Param, task
from airflow.timetables.trigger import CronTriggerTimetable

from quality_pipeline.orchestration.defaults import (
    ASSET_URIS,
    DAG_FEEDS,
    DEFAULT_ARGS,
    NIGHTLY_CRON,
    TIMEZONE,
    WRITER,
)
from quality_pipeline.orchestration.notifications import nightly_deadline, on_failure

START = pendulum.datetime(2026, 1, 1, tz=TIMEZONE)

RELEASE_PARAM = Param(
    [],
    type="array",
    items={"type": "string", "minLength": 1},
    title="Release held deliveries",
    description="Paths (as in audit.files, e.g. product_sampling/2026Q3.xlsx) of held files to publish anyway.",
)

REPROCESS_PARAM = Param(
    [],
    type="array",
    items={"type": "string", "minLength": 1},
    title="Reprocess files",
    description="Paths (as in audit.files) of files seen before to read again from the landing folder, "
                "replacing what they delivered (e.g. after a rule was fixed).",
)

WITHDRAW_PARAM = Param(
    [],
    type="array",
    items={"type": "string", "minLength": 1},
    title="Withdraw deliveries",
    description="Paths (as in audit.files) of loaded or held files to withdraw (wrong district, wrong quarter, "
                "a test file): their rows leave core.* and the marts, nothing is deleted, and audit.files "
                "records you, the time and the reason below. 撤回的文件路径。",
)

REASON_PARAM = Param(
    "",
    type="string",
    title="Reason",
    description="Why the deliveries above are withdrawn or released (required to withdraw). 撤回或放行的理由。",
)

LOAD_DOC = """Withdraws the files named in `withdraw` (as the triggering user, with `reason`), then reads every
file of the feed not seen before (plus those named in `release` and `reprocess`),
validates it with the feed's GX suites and publishes it in one DuckDB transaction. Writes `raw.*`,
`audit.files`, `audit.quarantine`, `audit.row_flags`, `audit.validations`.

Runs on the `warehouse` queue in the one-slot `quality_warehouse` pool: one writer at a time, on the
worker that holds the warehouse volume. Retries twice with exponential backoff (a busy writer lock,
a full disk); a file never lands half-written, so clearing the task is always safe."""

ATTENTION_DOC = """Fails (without retries) when a file of this run was rejected, held or ignored, or a
withdrawal was refused, listing each with its reason and the action; the failure sends the alert. Everything that could load has loaded already:
fix and re-deliver a rejected file, check a held one and trigger the DAG with `release` = its path, or move
an ignored one into its feed's folder."""


ANNOUNCE_DOC = """Carries the DAG's asset: succeeds, and so emits the asset event that triggers
`quarterly_indicators`, only when a file of this run was loaded (or released, or reprocessed), or a loaded
file was withdrawn. A run with
nothing new skips it: no event, no recomputation, and the skipped task shows the night was a no-op."""


def feeds_param(source: str) -> Param:
    feeds = list(DAG_FEEDS[source])
    return Param(
        feeds,
        type="array",
        items={"type": "string", "enum": feeds},
        examples=feeds,
        minItems=1,
        uniqueItems=True,
        title="Feeds",
        description="Which feeds of this DAG to load (default: all).",
    )


def ingest_dag_args(source: str) -> dict:
    """Arguments of `@dag` shared by the ingest DAGs: nightly, no catchup, one run at a time, alerts."""
    return {
        "schedule": CronTriggerTimetable(NIGHTLY_CRON, timezone=TIMEZONE),
        "start_date": START,
        "catchup": False,
        "max_active_runs": 1,
        "default_args": DEFAULT_ARGS,
        "tags": ["ingest", "nightly", source],
        "params": {"feeds": feeds_param(source), "release": RELEASE_PARAM, "reprocess": REPROCESS_PARAM,
                   "withdraw": WITHDRAW_PARAM, "reason": REASON_PARAM},
        "on_failure_callback": on_failure(),
        "deadline": nightly_deadline(),
    }


def runs_in_dag_test(dag) -> None:
    """Let `dag.test()` (and `airflow dags test`) run a DAG that has deadline alerts.

    In Airflow 3.3.2 a successful `dag.test()` run of such a DAG fails at the end: its in-memory copy of the
    DAG holds the alerts' definitions where the scheduler expects their database ids (`update_state` →
    `DeadlineAlertModel.get_by_id`). A test run has no scheduler watching deadlines anyway, so it runs without
    them; the dag-processor serializes the DAG with its deadline as usual.
    """
    run_test = dag.test

    def test(*args, **kwargs):
        deadline, dag.deadline = dag.deadline, None
        try:
            return run_test(*args, **kwargs)
        finally:
            dag.deadline = deadline

    dag.test = test


def ingest_tasks(source: str) -> None:
    """Wire `load_new_files >> [announce_changes, check_attention]` for the feeds of `source`, inside a `@dag`."""
    feeds = DAG_FEEDS[source]
    asset = Asset(ASSET_URIS[source], extra={"feeds": list(feeds)})

    @task(doc_md=LOAD_DOC, **WRITER)
    def load_new_files(params=None, run_id=None, dag_run=None) -> dict:
        from quality_pipeline.orchestration.tasks import choose_actor
        from quality_pipeline.orchestration.tasks import ingest as run_ingest

        chosen = tuple(f for f in feeds if f in (params.get("feeds") or feeds))
        actor = choose_actor(getattr(dag_run, "triggering_user_name", None), (dag_run.conf or {}).get("by"))
        return run_ingest(chosen, run_id=run_id, release=list(params.get("release") or []),
                          reprocess=list(params.get("reprocess") or []),
                          withdraw_paths=list(params.get("withdraw") or []), reason=params.get("reason"),
                          actor=actor)

    @task(retries=0, doc_md=ATTENTION_DOC)
    def check_attention(summary: dict) -> None:
        from quality_pipeline.orchestration.tasks import raise_if_attention

        raise_if_attention(summary)

    @task(outlets=[asset], doc_md=ANNOUNCE_DOC)
    def announce_changes(summary: dict) -> dict:
        from quality_pipeline.orchestration.tasks import announce_if_changed

        return announce_if_changed(summary)

    loaded = load_new_files()
    announce_changes(loaded)
    check_attention(loaded)
    runs_in_dag_test(loaded.operator.dag)
