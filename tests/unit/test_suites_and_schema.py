"""The declared feeds, the committed GX suites and the warehouse schema agree with each other."""

from __future__ import annotations

import duckdb
import pytest

from quality_pipeline.feeds import all_feeds
from quality_pipeline.validation.suites import batch_suite, load_suite_dict, row_suite
from quality_pipeline.warehouse.migrations import migrate


@pytest.mark.parametrize("feed", all_feeds(), ids=lambda f: f.name)
def test_committed_suites_are_what_the_declarations_produce(feed):
    for suite in (row_suite(feed), batch_suite(feed)):
        assert load_suite_dict(suite["name"]) == suite, f"run `make expectations` to rewrite {suite['name']}.json"


@pytest.mark.parametrize("feed", all_feeds(), ids=lambda f: f.name)
def test_every_rule_has_a_severity_and_a_bilingual_reason(feed):
    for e in row_suite(feed)["expectations"] + batch_suite(feed)["expectations"]:
        assert e["meta"]["severity"] in {"reject", "flag", "hold", "warn"}
        assert e["meta"]["reason_zh"] and e["meta"]["reason_en"]


def test_raw_tables_have_every_declared_column():
    con = duckdb.connect()
    migrate(con)
    for feed in all_feeds():
        cols = [c for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ? "
            "ORDER BY ordinal_position", [feed.name]).fetchall()]
        assert cols[: len(feed.columns)] == feed.column_names


def test_migrations_are_idempotent():
    con = duckdb.connect()
    assert migrate(con)
    assert migrate(con) == []
