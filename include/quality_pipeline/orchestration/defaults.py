"""What every DAG of the project shares: owner, retries, tags, assets, pool, queues. Light to import (no pandas, no GX).

Which ingest DAGs exist, which feeds each loads, their assets and tags come from the feed declarations
(`dag:` in `feeds/<feed>.yaml`): small YAML files read when a DAG file is parsed.
"""

from __future__ import annotations

import os
from datetime import timedelta

from quality_pipeline.calendar import timezone_name
from quality_pipeline.feeds import all_feeds, dag_feeds

OWNER = "quality-data"
TIMEZONE = timezone_name()  # the region's (its file's `timezone:`), for schedules and naive dates

# Nightly ingest at 01:00; the quarter closes at 03:00 on the first day of January, April, July and October.
NIGHTLY_CRON = "0 1 * * *"
QUARTER_CLOSE_CRON = "0 3 1 1,4,7,10 *"
# The warehouse's files are compacted and cleaned on Sundays at 04:00 (warehouse_maintenance).
MAINTENANCE_CRON = "0 4 * * 0"
# A nightly run not finished by 06:00 (5 h after its 01:00 logical date) raises a deadline alert.
NIGHTLY_DEADLINE = timedelta(hours=5)

# Tasks that write DuckDB share a one-slot pool (one writer at a time) and a Celery queue served by the one
# worker that holds the warehouse volume. Every other task runs on the default queue, on any worker.
WAREHOUSE_POOL = "quality_warehouse"
WAREHOUSE_QUEUE = "warehouse"
DEFAULT_QUEUE = "default"
WRITER = {"pool": WAREHOUSE_POOL, "queue": WAREHOUSE_QUEUE}

# The closed vocabulary of DAG tags (a test refuses any other): these, each ingest DAG's name and the feeds' `tags:`.
BASE_TAGS = frozenset({"ingest", "indicators", "report", "nightly", "quarterly", "maintenance"})


def tags() -> frozenset[str]:
    return BASE_TAGS | set(dag_feeds()) | {t for feed in all_feeds() for t in feed.tags}


DEFAULT_ARGS = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    # A multiplier since Airflow 3.1: `True` would mean 1.0, a constant delay. 2 → about 2, 4, 8 ... min.
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
    "queue": DEFAULT_QUEUE,
}

INDICATORS_ASSET_URI = "duckdb://quality/marts/quarterly_indicators"


def asset_uris() -> dict[str, str]:
    """Each ingest DAG updates its asset; quarterly_indicators is scheduled on any of them."""
    return {source: f"duckdb://quality/raw/{source}" for source in dag_feeds()}


# What a person may decide about a held file (the options of its human-in-the-loop task), and what no answer
# within the timeout means.
PUBLISH, KEEP_HELD, WITHDRAW = "发布 / publish", "继续暂缓 / keep held", "撤回 / withdraw"
DECISIONS = (PUBLISH, KEEP_HELD, WITHDRAW)
HELD_DECISION_TIMEOUT_DAYS = 7


def held_decision_timeout() -> timedelta:
    """How long a held file's decision waits (`QUALITY_HELD_DECISION_TIMEOUT_DAYS`, default 7) before the
    file is kept held. Read when the DAG is parsed: an environment variable, no I/O."""
    return timedelta(days=float(os.environ.get("QUALITY_HELD_DECISION_TIMEOUT_DAYS") or HELD_DECISION_TIMEOUT_DAYS))
