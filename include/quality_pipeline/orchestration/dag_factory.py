"""What the ingest DAGs share (they differ only in their feeds, declared in `feeds/*.yaml`), so DAG files stay
wiring only: `@dag(**ingest_dag_args(source))` and `ingest_tasks(source)`."""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, Param, TriggerRule, task, task_group
from airflow.timetables.trigger import CronTriggerTimetable

from quality_pipeline.feeds import dag_feeds, load_feed
from quality_pipeline.orchestration.defaults import (
    DECISIONS,
    DEFAULT_ARGS,
    KEEP_HELD,
    NIGHTLY_CRON,
    TIMEZONE,
    WRITER,
    asset_uris,
    held_decision_timeout,
)
from quality_pipeline.orchestration.notifications import QualityAlert, nightly_deadline, on_failure

START = pendulum.datetime(2026, 1, 1, tz=TIMEZONE)
# The JSON Schema draft the Params' schemas are written in. Airflow validates every Param each time it serializes
# a DAG (twice per `dag.test`, and per task), and `jsonschema.validate` first checks the schema itself against its
# draft's meta-schema: draft 2020-12's (the default) costs 0.40 ms a check here, draft 7's 0.14 ms; every keyword
# used here (type, items, enum, pattern, minLength, minItems, uniqueItems, examples) means the same in both.
PARAM_SCHEMA_DRAFT = "http://json-schema.org/draft-07/schema#"


def param(default, **schema) -> Param:
    """An Airflow `Param` whose JSON Schema (`schema`, as `Param` takes it) declares draft 7."""
    return Param(default, **{"$schema": PARAM_SCHEMA_DRAFT, **schema})


RELEASE_PARAM = param(
    [],
    type="array",
    items={"type": "string", "minLength": 1},
    title="Release held deliveries",
    description="Paths (as in audit.files, e.g. product_sampling/2026Q3.xlsx) of held files to publish anyway.",
)

REPROCESS_PARAM = param(
    [],
    type="array",
    items={"type": "string", "minLength": 1},
    title="Reprocess files",
    description="Paths (as in audit.files) of files seen before to read again from the landing folder, "
                "replacing what they delivered (e.g. after a rule was fixed).",
)

INGEST_DOC = """
### ingest_{source} — {title_zh} ({title_en})

**Reads** every file in {folders} not seen before (xlsx or csv, any name).
**Writes** `raw.*` / `core.*` rows, `audit.files`, `audit.quarantine`, `audit.row_flags`,
`audit.validations` in the DuckDB warehouse (`$QUALITY_WAREHOUSE`), and GX Data Docs under
`$QUALITY_REPORTS_DIR/validation/`. Updates its asset, which triggers `quarterly_indicators`, only when a
file was loaded: with nothing new, `announce_changes` is skipped and the run is a no-op.

**Schedule**: nightly at 01:00 {timezone}; a run not finished by 06:00 raises a deadline alert.
**Catchup is off**, and backfill is pointless: a run reads the landing folder as it is, not a date,
so a missed night is made good by the next run. By hand: the Params form takes `feeds` (which of
this DAG's feeds to load), `release` (held files to publish), `reprocess` (seen files to read again),
`withdraw` + `reason` (deliveries to withdraw) and `ask_about_held`.

**Per file**: `discover_files` lists the new files; each gets its own `prepare_file` (read, typed,
checked; any worker, in parallel) and `publish_file` (one transaction on the writer), named after the
file in the grid; `publish_warehouse` then copies the run's files out to the warehouse at once. A held
file waits on `held_decision.decide`: publish, keep held or withdraw it (Required actions, or the REST API
`hitlDetails`); no answer in 7 days keeps it held.

**When it fails**: an alert goes to the webhook / e-mail set in the environment. `publish_file`
retries twice with backoff (a busy writer lock, a full disk); if a file's task still fails, read its
log, fix the cause and clear it (the other files went on). `check_attention` fails when a file was
*rejected* (unreadable, a required column missing: fix and re-deliver the file), *ignored*, failed in
its task, or *held* in a run that does not ask about it (`make run`: then `make release FILE=<path>`).
"""

WITHDRAW_PARAM = param(
    [],
    type="array",
    items={"type": "string", "minLength": 1},
    title="Withdraw deliveries",
    description="Paths (as in audit.files) of loaded or held files to withdraw (wrong district, wrong quarter, "
                "a test file): their rows leave core.* and the marts, nothing is deleted, and audit.files "
                "records you, the time and the reason below. 撤回的文件路径。",
)

REASON_PARAM = param(
    "",
    type="string",
    title="Reason",
    description="Why the deliveries above are withdrawn or released (required to withdraw). 撤回或放行的理由。",
)

ASK_PARAM = param(
    True,
    type="boolean",
    title="Ask about held files",
    description="Wait, for each held file, on a decision in the UI (publish, keep held, withdraw). "
                "Off (as `make run` and `dag.test` run): a held file fails check_attention instead.",
)

DISCOVER_DOC = """Withdraws the files named in `withdraw` (as the triggering user, with `reason`), then lists the files of the feeds not seen before (plus those named in `release` and `reprocess`),
one mapped `prepare_file` and `publish_file` each. Records at once the files settled without reading:
refused (a symbolic link, a hidden or unknown file), duplicates of a loaded file, and files no feed reads.
On the writer (it reads `audit.files` to know what was seen)."""

PREPARE_DOC = """Reads one file (named in the map index), types it, drops exact duplicate rows and runs the row
rules that need no warehouse (GX), staging the result in the writer's private folder. Runs on any worker,
in parallel with the other files; a file that fails here fails alone (its siblings go on)."""

PUBLISH_DOC = """Publishes one staged file in one DuckDB transaction: previous values and the rule that needs
them, the batch suite (rejected share, a restated period that shrinks, sheet conflicts), then the
rows, quarantine, flags, validations and the file's audit row, in the writer's working copy (readers see it
when `publish_warehouse` copies the run out). One at a time: the one-slot
`quality_warehouse` pool, on the `warehouse` queue. The first publish task of a run publishes every file of
the run in one write session, each in its own transaction, and says so in its log ("published in the session
of ..."); the others return what it recorded. A file that fails there is left to its own task, which fails
with the file's own traceback. Retries twice with backoff (a busy writer lock, a full
disk); a file never lands half-written, so clearing the task is always safe."""

PUBLISH_WAREHOUSE_DOC = """Copies out the writer's working copy, into which each `publish_file` committed its file, to the
warehouse analysts open (`$QUALITY_WAREHOUSE`): once per run, by an atomic rename, so readers see the run's
files all at once, each whole. Runs when every `publish_file` is done, failed ones included; nothing is
copied when no file was committed. Should it fail, the writer's next session publishes what was committed."""

ORDER_DOC = """Waits for every `prepare_file` (done or failed), then hands the staged files to `publish_file` in
the order they were delivered, each with the earlier files of its feed: whichever publish task runs first
publishes those before its own file, so a run publishes exactly as one process reading the files in turn.
The order is also recorded in the run's staging folder, for the first publish task to publish every file in it."""

SUMMARY_DOC = """What became of every file of the run: those settled by `discover_files` and each mapped
`publish_file`'s result. Runs even when some files failed (`all_done`): a file without a result is listed as
failed, and its siblings count as usual."""

HELD_DOC = """The held files of this run that wait on a decision, one `held_decision` group each (none when
the run's `ask_about_held` is off, as in `make run`). With none it skips the whole `held_decision` group at
once, rather than leaving the scheduler to skip its empty tasks one level at a time."""

ATTENTION_DOC = """Fails (without retries) when a file of this run was rejected, ignored or failed in its own task,
or was held while the run does not ask about held files, listing each with its reason and the action; the
failure sends the alert. Everything that could load has loaded already: fix and re-deliver a rejected file,
move an ignored one into its feed's folder, clear a failed file's task after reading its log. A held file
waits on its decision in `held_decision` (or is released with `release` = its path / `make release`)."""

ANNOUNCE_DOC = """Carries the DAG's asset: succeeds, and so emits the asset event that triggers
`quarterly_indicators`, only when a file of this run was loaded (or released, or reprocessed). A run with
nothing new skips it: no event, no recomputation, and the skipped task shows the night was a no-op."""

DESCRIBE_DOC = """What the person deciding about a held file sees: why it was held, its row counts, a sample
of its rejected rows and the path of its validation pages."""

DECIDE_DOC = """Waits for a person to decide about a held file: publish (release it), keep it held, or withdraw
it. Answer in the UI (Required actions) or through the REST API (`hitlDetails`). No answer within the
timeout (`QUALITY_HELD_DECISION_TIMEOUT_DAYS`, default 7) keeps the file held."""

APPLY_DOC = """Carries out the decision on the writer and records it in `audit.files` (decision, decided_by,
decided_at); emits the asset event when the decision changed the warehouse (a release, or withdrawing a
loaded file)."""


def ingest_doc(source: str) -> str:
    """The DAG's doc, with its feeds' titles and landing folders from their declarations."""
    feeds = [load_feed(name) for name in dag_feeds()[source]]
    folders = [f"`{f.folder}/`" for f in feeds]
    folders[0] = f"`$QUALITY_LANDING_DIR/{feeds[0].folder}/`"
    return INGEST_DOC.format(
        source=source,
        timezone=TIMEZONE,
        title_zh=" + ".join(f.title_zh for f in feeds),
        title_en=" and ".join(f.title_en for f in feeds),
        folders=", ".join(folders[:-1]) + " and " + folders[-1] if len(folders) > 1 else folders[0],
    )


def feeds_param(source: str) -> Param:
    feeds = list(dag_feeds()[source])
    return param(
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
    """Arguments of `@dag` shared by the ingest DAGs: nightly, no catchup, alerts. Several runs may be active:
    one waiting on a decision about a held file must not hold back the next night (the writer tasks are
    serialised by their one-slot pool, not by `max_active_runs`)."""
    return {
        "schedule": CronTriggerTimetable(NIGHTLY_CRON, timezone=TIMEZONE),
        "start_date": START,
        "catchup": False,
        "max_active_runs": held_decision_timeout().days + 2,
        "default_args": DEFAULT_ARGS,
        "tags": ["ingest", "nightly", source, *sorted({t for f in dag_feeds()[source] for t in load_feed(f).tags})],
        "doc_md": ingest_doc(source),
        "params": {"feeds": feeds_param(source), "release": RELEASE_PARAM, "reprocess": REPROCESS_PARAM,
                   "withdraw": WITHDRAW_PARAM, "reason": REASON_PARAM, "ask_about_held": ASK_PARAM},
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
        # Nobody answers a decision in a test run: a held file fails check_attention, as in `make run`.
        kwargs["run_conf"] = {"ask_about_held": False, **(kwargs.get("run_conf") or {})}
        deadline, dag.deadline = dag.deadline, None
        try:
            return run_test(*args, **kwargs)
        finally:
            dag.deadline = deadline

    dag.test = test


def ingest_tasks(source: str) -> None:
    """Wire, inside a `@dag`, for the feeds of `source`: `discover_files` → one `prepare_file` and one
    `publish_file` per file (mapped, named by the file) → `publish_warehouse` (once for all the files) →
    `summarise` → `announce_changes`, `check_attention`,
    and one `held_decision` group (describe → decide → apply) per held file."""
    feeds = dag_feeds()[source]
    asset = Asset(asset_uris()[source], extra={"feeds": list(feeds)})

    @task(doc_md=DISCOVER_DOC, **WRITER)
    def discover_files(params=None, run_id=None, ti=None, dag_run=None) -> list[dict]:
        from quality_pipeline.orchestration.tasks import choose_actor
        from quality_pipeline.orchestration.tasks import discover_files as discover

        chosen = tuple(f for f in feeds if f in (params.get("feeds") or feeds))
        actor = choose_actor(getattr(dag_run, "triggering_user_name", None), (dag_run.conf or {}).get("by"))
        found = discover(chosen, run_id=run_id, release=list(params.get("release") or []),
                         reprocess=list(params.get("reprocess") or []),
                         withdraw_paths=list(params.get("withdraw") or []), reason=params.get("reason"), actor=actor)
        # the files to read are the return value (mapped over); the rest goes to `summarise`
        ti.xcom_push(key="settled", value={k: v for k, v in found.items() if k != "work"})
        return found["work"]

    @task(doc_md=PREPARE_DOC, map_index_template="{{ file_name }}")
    def prepare_file(item: dict, run_id=None) -> dict:
        from quality_pipeline.orchestration.tasks import prepare_file as prepare

        name_map_index(item["path"])
        return prepare(item, run_id=run_id)

    @task(doc_md=PUBLISH_DOC, map_index_template="{{ file_name }}", **WRITER)
    def publish_file(prepared: dict, run_id=None) -> dict:
        from quality_pipeline.orchestration.tasks import publish_file as publish

        name_map_index(prepared["path"])
        return publish(prepared, run_id=run_id)

    @task(trigger_rule=TriggerRule.ALL_DONE, doc_md=PUBLISH_WAREHOUSE_DOC, **WRITER)
    def publish_warehouse() -> None:
        from quality_pipeline.orchestration.tasks import publish_warehouse as copy_out

        copy_out()

    @task(trigger_rule=TriggerRule.ALL_DONE, doc_md=ORDER_DOC)
    def in_delivery_order(work: list[dict] | None, prepared, run_id=None) -> list[dict]:
        from quality_pipeline.orchestration.tasks import publish_order

        return publish_order(work, prepared, run_id=run_id)

    @task(trigger_rule=TriggerRule.ALL_DONE, doc_md=SUMMARY_DOC)
    def summarise(work: list[dict], settled: dict, published, params=None, run_id=None) -> dict:
        from quality_pipeline.orchestration.tasks import run_summary

        discovered = {**settled, "run_id": run_id, "work": work}
        return {**run_summary(discovered, published), "ask_about_held": bool(params.get("ask_about_held"))}

    @task(retries=0, doc_md=ATTENTION_DOC)
    def check_attention(summary: dict) -> None:
        from quality_pipeline.orchestration.tasks import raise_if_attention

        raise_if_attention(summary)

    @task(outlets=[asset], doc_md=ANNOUNCE_DOC)
    def announce_changes(summary: dict) -> dict:
        from quality_pipeline.orchestration.tasks import announce_if_changed

        return announce_if_changed(summary)

    @task.short_circuit(doc_md=HELD_DOC)
    def held_files(summary: dict) -> list[dict]:
        from quality_pipeline.orchestration.tasks import held_to_decide

        return held_to_decide(summary)

    discovered = discover_files()
    published = publish_file.expand(prepared=in_delivery_order(discovered, prepare_file.expand(item=discovered)))
    summary = summarise(discovered, discovered["settled"], published)
    copied_out = publish_warehouse()
    published >> copied_out >> summary
    announce_changes(summary)
    copied_out >> check_attention(summary)  # a failed copy fails the run (the next session publishes)
    held_decision_group(asset).expand(held=held_files(summary))
    runs_in_dag_test(discovered.operator.dag)


def name_map_index(path: str) -> None:
    """Name this mapped task instance after its file in the grid (the tasks' `map_index_template`)."""
    from airflow.sdk import get_current_context

    get_current_context()["file_name"] = path


def held_decision_group(asset: Asset):
    """The task group mapped over a run's held files: what the file is, the person's decision, its effect
    (which carries the DAG's asset: a release or a withdrawal changes the warehouse)."""
    from airflow.providers.standard.operators.hitl import HITLOperator

    @task_group(group_id="held_decision")
    def held_decision(held: dict) -> None:
        _decide_about(held, asset, HITLOperator)

    return held_decision


def _decide_about(held, asset: Asset, hitl) -> None:
    @task(doc_md=DESCRIBE_DOC, multiple_outputs=True, map_index_template="{{ file_name }}")
    def describe(held: dict) -> dict:
        from quality_pipeline.orchestration.tasks import describe_held

        name_map_index(held["path"])
        return describe_held(held)

    @task(doc_md=APPLY_DOC, map_index_template="{{ file_name }}", outlets=[asset], **WRITER)
    def apply_decision(held: dict, answer: dict, run_id=None) -> dict:
        from quality_pipeline.orchestration.tasks import apply_decision as apply

        name_map_index(held["path"])
        return apply(held, answer, run_id=run_id)

    request = describe(held)
    answer = hitl(
        task_id="decide",
        doc_md=DECIDE_DOC,
        subject=request["subject"],
        body=request["body"],
        options=list(DECISIONS),
        defaults=[KEEP_HELD],
        params={"reason": param("", type="string", title="Reason / 理由",
                                description="Why (required to withdraw) / 原因（撤回时必填）")},
        response_timeout=held_decision_timeout(),
        notifiers=[QualityAlert(event="file_held", strict=False)],  # a dead channel must not lose the decision
        map_index_template="{{ task.subject }}",
        retries=0,
    )
    apply_decision(held, answer.output)
