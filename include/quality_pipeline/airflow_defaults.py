"""What every DAG of the project shares: owner, retries, tags, assets, pool. Light to import (no pandas, no GX)."""

from __future__ import annotations

from datetime import timedelta

OWNER = "quality-data"
WAREHOUSE_POOL = "quality_warehouse"
TIMEZONE = "Asia/Shanghai"
NIGHTLY_CRON = "0 1 * * *"

# The closed vocabulary of DAG tags (a test refuses any other).
TAGS = frozenset({
    "ingest", "indicators", "report",
    "enforcement", "product_sampling", "remediation",
    "nightly", "quarterly",
})

DEFAULT_ARGS = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
}

# Asset URIs: each ingest DAG updates its asset; quarterly_indicators is scheduled on any of them.
ASSET_URIS = {
    "enforcement": "duckdb://quality/raw/enforcement",
    "product_sampling": "duckdb://quality/raw/product_sampling",
    "remediation": "duckdb://quality/raw/remediation",
}
INDICATORS_ASSET_URI = "duckdb://quality/marts/quarterly_indicators"

# Which feeds each ingest DAG loads.
DAG_FEEDS = {
    "enforcement": ("enforcement_cases", "enforcement_inspections"),
    "product_sampling": ("product_sampling",),
    "remediation": ("remediation_projects", "water_quality"),
}
