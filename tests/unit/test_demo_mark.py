"""Files the demo generator made say so, the warehouse records it, and the report is then marked sample data."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pytest

from quality_pipeline.demo import generate
from quality_pipeline.feeds import load_feed
from quality_pipeline.loading.audit import file_meta
from quality_pipeline.parsing.headers import GENERATED_BY, GENERATED_MARK
from quality_pipeline.parsing.reader import read_extract
from quality_pipeline.report.reference import sample_data_note
from quality_pipeline.warehouse.migrations import migrate

pytestmark = pytest.mark.unit
FEEDS = {"cases": "enforcement_cases", "inspections": "enforcement_inspections", "product_sampling": "product_sampling",
         "projects": "remediation_projects", "water_quality": "water_quality"}


def _files(root):
    return [(f, FEEDS[f.parent.name]) for f in sorted(root.rglob("*")) if f.suffix in (".csv", ".xlsx")
            and f.parent.name in FEEDS]


def test_every_generated_file_carries_the_mark_and_the_reader_records_it(tmp_path):
    generate(tmp_path / "messy", seed=5, quarters=1, rows_per_quarter=8, defect_rate=0.1, messy=True)
    generate(tmp_path / "clean", seed=5, quarters=1, rows_per_quarter=8, defect_rate=0, messy=False)
    files = _files(tmp_path)
    assert {f.suffix for f, _ in files} == {".csv", ".xlsx"}
    for path, feed in files:
        raw = read_extract(path, load_feed(feed))
        assert raw.generated_by == GENERATED_BY, path
        assert json.loads(file_meta(raw))["generated_by"] == GENERATED_BY


def test_an_office_file_without_the_mark_is_not_taken_for_a_demo_file(tmp_path):
    generate(tmp_path, seed=5, quarters=1, rows_per_quarter=8, defect_rate=0, messy=False)
    path, feed = next((f, feed) for f, feed in _files(tmp_path) if f.suffix == ".csv")
    text = path.read_text(encoding="utf-8-sig")  # a clean demo file is UTF-8
    lines = text.splitlines(keepends=True)
    assert GENERATED_MARK in lines[0]
    office = tmp_path / "office.csv"
    office.write_text("".join(lines[1:]), encoding="utf-8")  # same file, its first row gone
    title = tmp_path / "title.csv"  # the words of the mark inside an office's own title are not the mark
    title.write_text(f"金平区{GENERATED_MARK}汇总表\n" + "".join(lines[1:]), encoding="utf-8")
    for other in (office, title):
        raw = read_extract(other, load_feed(feed))
        assert len(raw.frame) and raw.generated_by is None
        assert "generated_by" not in json.loads(file_meta(raw))


def test_loaded_demo_files_mark_the_report_as_sample_data():
    con = duckdb.connect()
    migrate(con)
    assert sample_data_note(con) is None

    def add(file_id: int, status: str, details: dict) -> None:
        con.execute("INSERT INTO audit.files (file_id, feed, path, sha256, status, details, run_id, processed_at) "
                    "VALUES (?, 'product_sampling', ?, 'x', ?, ?, 'r', ?)",
                    [file_id, f"product_sampling/{file_id}.xlsx", status, json.dumps(details), datetime.now()])

    add(1, "loaded", {"columns": []})
    add(2, "rejected", {"generated_by": GENERATED_BY})  # nothing of it is in the warehouse
    assert sample_data_note(con) is None
    add(3, "loaded", {"generated_by": GENERATED_BY})
    note = sample_data_note(con)
    assert note and "demo generator" in note and "product_sampling/3.xlsx" in note
