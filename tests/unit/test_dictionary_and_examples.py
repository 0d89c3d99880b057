"""Every warehouse object is documented in its COMMENT, the committed data dictionary is current, and every
example query runs on a small warehouse and gives the answers it obviously should."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from quality_pipeline.dictionary import DICTIONARY_FILE, EXAMPLES_DIR, generate, main
from quality_pipeline.feeds import all_feeds, load_feed
from quality_pipeline.indicators.vintages import publish_vintage
from quality_pipeline.loading import current
from quality_pipeline.reference import load_reference, stock_figures
from quality_pipeline.warehouse.migrations import migrate

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.sql"))


@pytest.fixture(scope="module")
def empty():
    con = duckdb.connect()
    migrate(con)
    yield con
    con.close()


# --- comments and the dictionary ------------------------------------------------------------------


def _undocumented(con, sql: str) -> list[str]:
    return [f"{name}: {comment!r}" for name, comment in con.execute(sql).fetchall()
            if not (comment and CJK.search(comment) and LATIN.search(comment))]


def test_every_table_view_column_and_sequence_has_a_bilingual_comment(empty):
    queries = {
        "tables": "SELECT schema_name || '.' || table_name, comment FROM duckdb_tables() WHERE NOT internal",
        "views": "SELECT schema_name || '.' || view_name, comment FROM duckdb_views() WHERE NOT internal",
        "columns": "SELECT schema_name || '.' || table_name || '.' || column_name, comment FROM duckdb_columns() "
                   "WHERE NOT internal",
        "sequences": "SELECT schema_name || '.' || sequence_name, comment FROM duckdb_sequences()",
    }
    missing = {kind: _undocumented(empty, sql) for kind, sql in queries.items()}
    assert missing == {kind: [] for kind in queries}, "add a COMMENT (Chinese / English) in a new migration"
    assert empty.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone()[0] >= 2
    assert empty.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'core'").fetchone()[0] >= 5


def test_feed_column_comments_open_with_the_declared_header(empty):
    stale = []
    for feed in all_feeds():
        for schema in ("raw", "core"):
            comments = dict(empty.execute(
                "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
                [schema, feed.name]).fetchall())
            stale += [f"{schema}.{feed.name}.{c.name}" for c in feed.columns
                      if not (comments.get(c.name) or "").startswith(c.header + " / ")]
    assert stale == [], "a header changed in feeds/*.yaml: run `make generate`"


def test_the_committed_data_dictionary_is_current():
    assert DICTIONARY_FILE.read_text(encoding="utf-8") == generate(), \
        "run `python -m quality_pipeline.dictionary` and commit docs/data-dictionary.md"
    assert main(["--check"]) == 0


def test_the_dictionary_check_fails_on_a_stale_file(tmp_path, capsys):
    stale = tmp_path / "dictionary.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert main(["--check", "--output", str(stale)]) == 1
    assert main(["--output", str(stale)]) == 0 and main(["--check", "--output", str(stale)]) == 0


# --- example queries --------------------------------------------------------------------------------

QUARTERLY = [
    # quarter, indicator, scope, value, target, target_met, unit
    ("2026Q1", "sampling_pass_rate", "district", 92.0, 93.0, False, "%"),
    ("2026Q2", "sampling_pass_rate", "district", 94.0, 93.0, True, "%"),
    ("2026Q2", "enforcement_inspection_person_times", "district", 900.0, 1000.0, False, "person-times"),
    ("2026Q2", "enforcement_cases", "district", 31.0, None, None, "count"),
    ("2026Q2", "quality_competitiveness_index", "district", 84.0, 85.0, False, "score"),
    ("2026Q2", "quality_competitiveness_index", "东方街道", 86.0, 85.0, True, "score"),
    ("2026Q2", "quality_competitiveness_index", "金砂街道", 91.2, 85.0, True, "score"),
    ("2026Q2", "quality_competitiveness_index", "光华街道", 78.0, 85.0, False, "score"),
    ("2026Q1", "quality_competitiveness_index", "光华街道", 99.0, 85.0, True, "score"),
]


ANNUAL = [
    # year, indicator, value, target, target_met, on_track, unit, period_status, through_quarter
    (2025, "sampling_pass_rate", 95.0, 93.0, True, True, "%", "closed", "2025Q4"),
    (2026, "sampling_pass_rate", 93.5, 93.0, True, True, "%", "provisional", "2026Q3"),
    (2026, "enforcement_inspection_person_times", 2500.0, 4000.0, False, False, "person-times", "provisional",
     "2026Q3"),
    (2026, "enforcement_cases", 84.0, None, None, None, "count", "provisional", "2026Q3"),
]


def _insert(con, table: str, row: dict) -> None:
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM (SELECT {', '.join('? AS ' + k for k in row)})",  # noqa: S608
                list(row.values()))


def _file(con, file_id: int, path: str) -> None:
    _insert(con, "audit.files", {"file_id": file_id, "feed": "product_sampling", "path": path, "sha256": f"sha{file_id}",
                                 "status": "loaded", "delivery_seq": file_id, "run_id": f"run-{file_id}",
                                 "processed_at": dt.datetime(2026, 7, file_id)})


def _issue(con, table: str, file_id: int, row_number: int, key: str, rule: str) -> None:
    _insert(con, table, {"file_id": file_id, "feed": "product_sampling", "path": f"f{file_id}.xlsx",
                         "row_number": row_number, "key": key, "rule": rule, "reason": f"{rule} / {rule}",
                         "run_id": f"run-{file_id}"})


def _batch(con, file_id: int, row_number: int, sample_no: str, followup: str) -> None:
    _insert(con, "raw.product_sampling", {
        "sample_no": sample_no, "sampling_date": dt.date(2026, 5, 6), "conclusion": "不合格", "followup_status": followup,
        "product_category": "电工", "product_name": "插座", "inspected_unit": "甲", "_file_id": file_id,
        "_run_id": f"run-{file_id}", "_delivery_seq": file_id, "_row_number": row_number,
        "_loaded_at": dt.datetime(2026, 7, file_id)})


@pytest.fixture(scope="module")
def warehouse():
    con = duckdb.connect()
    migrate(con)
    con.executemany("INSERT INTO marts.quarterly_indicators (quarter, indicator, scope, value, target, target_met, unit, "
                    "period_status) VALUES (?, ?, ?, ?, ?, ?, ?, 'closed')", QUARTERLY)
    con.executemany("INSERT INTO marts.quarterly_indicators (quarter, indicator, scope, value, unit, period_status) "
                    "VALUES ('2026Q3', ?, 'district', ?, ?, 'provisional')", [("enforcement_cases", 2.0, "count")])
    con.executemany("INSERT INTO marts.annual_indicators (year, indicator, scope, value, target, target_met, on_track, "
                    "unit, period_status, through_quarter) VALUES (?, ?, 'district', ?, ?, ?, ?, ?, ?, ?)", ANNUAL)
    publish_vintage(con, "2026Q2", "scheduled__2026-07-01", published_at=dt.datetime(2026, 7, 1, 3))
    con.execute("UPDATE marts.quarterly_indicators SET value = 95 WHERE quarter = '2026Q2' AND scope = 'district' "
                "AND indicator = 'sampling_pass_rate'")
    _file(con, 1, "product_sampling/2026Q2.xlsx")
    _file(con, 2, "product_sampling/2026Q2-更正.xlsx")
    for file_id, row_number, rule in ((1, 5, "required"), (1, 9, "required"), (1, 9, "allowed"), (2, 3, "type")):
        _issue(con, "audit.quarantine", file_id, row_number, None, rule)
    for file_id, key, rule in ((1, "QC2644051120091", "unknown_street"), (2, "QC2644051120091", "uscc_check"),
                               (1, "SP-2026-0002", "unknown_street")):
        _issue(con, "audit.row_flags", file_id, 2, key, rule)
    _batch(con, 1, 2, "QC2644051120091", "未处理")
    _batch(con, 1, 3, "SP-2026-0002", "未处理")
    _batch(con, 2, 2, "QC2644051120091", "复查合格")
    current.rebuild(con, load_feed("product_sampling"))
    load_reference(con)
    yield con
    con.close()


def run(con, name: str) -> list[dict]:
    cursor = con.execute((EXAMPLES_DIR / name).read_text(encoding="utf-8"))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _pick(rows: list[dict], *keys: str) -> list[tuple]:
    return [tuple(r[k] for k in keys) for r in rows]


def check_latest_district(rows):
    assert {r["quarter"] for r in rows} == {"2026Q2"}
    assert _pick(rows, "indicator", "target_met") == [
        ("enforcement_inspection_person_times", False), ("quality_competitiveness_index", False),
        ("sampling_pass_rate", True), ("enforcement_cases", None)]


def check_year_to_date(rows):
    assert _pick(rows, "year", "indicator", "value", "target_met", "on_track", "through_quarter") == [
        (2026, "enforcement_inspection_person_times", 2500.0, False, False, "2026Q3"),
        (2026, "sampling_pass_rate", 93.5, True, True, "2026Q3")]


def check_street_ranking(rows):
    assert _pick(rows, "rank", "street", "quality_competitiveness_index", "band") == [
        (1, "金砂街道", 91.2, "strong"), (2, "东方街道", 86.0, "good"), (3, "光华街道", 78.0, "weak")]


def check_quarantine(rows):
    assert _pick(rows, "file_id", "rule", "rows_rejected", "first_row") == [
        (2, "type", 1, 3), (1, "required", 2, 5), (1, "allowed", 1, 9)]
    assert rows[0]["path"] == "product_sampling/2026Q2-更正.xlsx"


def check_flags(rows):
    assert _pick(rows, "key", "flags", "rules", "files") == [
        ("QC2644051120091", 2, ["unknown_street", "uscc_check"], 2), ("SP-2026-0002", 1, ["unknown_street"], 1)]


def check_history(rows):
    assert _pick(rows, "delivery", "followup_status", "is_current") == [(1, "未处理", False), (2, "复查合格", True)]


def check_what_changed(rows):
    assert _pick(rows, "indicator", "scope", "change", "reported_value", "current_value", "difference") == [
        ("sampling_pass_rate", "district", "changed", 94.0, 95.0, 1.0)]
    assert rows[0]["published_at"] == dt.datetime(2026, 7, 1, 3)


def check_vintages(rows):
    assert _pick(rows, "vintage_id", "quarter", "published_by_run", "figures", "restated_since") == [
        (1, "2026Q2", "scheduled__2026-07-01", 7, 1)]


def check_stock(rows, con):
    figures = stock_figures(con, dt.date(2026, 6, 30))
    expected = {("standards", k): v for k, v in figures["standards"]["by_level"].items() if v}
    expected |= {("brands", k): v for k, v in figures["brands"].items() if v}
    assert {(r["category"], r["item"]): r["stock"] for r in rows} == expected
    assert {r["seed_version"] for r in rows} == {figures["seed_version"]}


CHECKS = {
    "latest_district_indicators.sql": check_latest_district,
    "rank_streets_by_quality_index.sql": check_street_ranking,
    "year_to_date_against_targets.sql": check_year_to_date,
    "quarantine_reasons_by_file.sql": check_quarantine,
    "flags_per_key.sql": check_flags,
    "history_of_one_key.sql": check_history,
    "what_changed_since_reported.sql": check_what_changed,
    "list_vintages.sql": check_vintages,
    "reference_stock_as_of.sql": check_stock,
}


def test_the_examples_asked_for_exist():
    assert set(CHECKS) <= {p.name for p in EXAMPLES}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_runs_and_opens_with_a_header(warehouse, empty, path: Path):
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("-- ") and any("Grain:" in ln or "Sources:" in ln for ln in lines[:4])
    run(empty, path.name)  # an empty warehouse gives no rows, not an error
    rows = run(warehouse, path.name)
    check = CHECKS.get(path.name)
    if check is check_stock:
        check(rows, warehouse)
    elif check:
        check(rows)


def test_the_column_tables_of_the_contract_are_current(tmp_path):
    from quality_pipeline.contract_doc import CONTRACT_FILE
    from quality_pipeline.contract_doc import main as contract_main

    assert contract_main(["--check"]) == 0, "run `make docs` and commit docs/extracts.md"
    stale = tmp_path / "extracts.md"
    stale.write_text(CONTRACT_FILE.read_text(encoding="utf-8").replace("| fine |", "| penalty |"), encoding="utf-8")
    assert contract_main(["--check", "--file", str(stale)]) == 1
