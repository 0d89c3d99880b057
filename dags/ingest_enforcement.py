"""
### ingest_enforcement — 行政处罚案件台账 + 执法检查记录 (enforcement cases and inspections)

**Reads** every file in `$QUALITY_LANDING_DIR/enforcement/cases/` and `enforcement/inspections/` not seen before (xlsx or csv, any name).
**Writes** `raw.*` / `core.*` rows, `audit.files`, `audit.quarantine`, `audit.row_flags`,
`audit.validations` in the DuckDB warehouse (`$QUALITY_WAREHOUSE`), and GX Data Docs under
`$QUALITY_REPORTS_DIR/validation/`. Updates its asset, which triggers `quarterly_indicators`, only when a
file was loaded: with nothing new, `announce_changes` is skipped and the run is a no-op.

**Schedule**: nightly at 01:00 Asia/Shanghai; a run not finished by 06:00 raises a deadline alert.
**Catchup is off**, and backfill is pointless: a run reads the landing folder as it is, not a date,
so a missed night is made good by the next run. By hand: the Params form takes `feeds` (which of
this DAG's feeds to load), `release` (held files to publish), `reprocess` (seen files to read again),
`withdraw` + `reason` (deliveries to withdraw) and `ask_about_held`.

**Per file**: `discover_files` lists the new files; each gets its own `prepare_file` (read, typed,
checked; any worker, in parallel) and `publish_file` (one transaction on the writer), named after the
file in the grid. A held file waits on `held_decision.decide`: publish, keep held or withdraw it
(Required actions, or the REST API `hitlDetails`); no answer in 7 days keeps it held.

**When it fails**: an alert goes to the webhook / e-mail set in the environment. `publish_file`
retries twice with backoff (a busy writer lock, a full disk); if a file's task still fails, read its
log, fix the cause and clear it (the other files went on). `check_attention` fails when a file was
*rejected* (unreadable, a required column missing: fix and re-deliver the file), *ignored*, failed in
its task, or *held* in a run that does not ask about it (`make run`: then `make release FILE=<path>`).
"""

from airflow.sdk import dag

from quality_pipeline.orchestration.dag_factory import ingest_dag_args, ingest_tasks


@dag(doc_md=__doc__, **ingest_dag_args("enforcement"))
def ingest_enforcement():
    ingest_tasks("enforcement")


ingest_enforcement()
