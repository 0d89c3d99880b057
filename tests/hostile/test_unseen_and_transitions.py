"""Nothing in the landing folder goes unseen, and a file's status follows its content, not its history.

A file outside every feed folder, a symlinked feed folder and a folder no feed owns are recorded as `ignored`
and fail the attention check; identical bytes of a rejected file are read again, of a loaded or held file
they are a no-op.
"""

from __future__ import annotations

import shutil

import duckdb
import openpyxl
import pytest

from quality_pipeline.feeds import FEED_NAMES
from quality_pipeline.loading.ingest import ingest_feed
from quality_pipeline.tasks import NeedsAttention, raise_if_attention
from tests.extracts import SAMPLING_HEADER, sampling_row, write_sampling_csv

pytestmark = pytest.mark.e2e
FEED = "product_sampling"


def _files(settings) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute("SELECT path, status, reason_code, rows_loaded FROM audit.files ORDER BY file_id").fetchall()
    finally:
        con.close()


def _run_all(settings, gate, run_id: str) -> list:
    return [r for feed in FEED_NAMES for r in ingest_feed(feed, run_id=run_id, settings=settings, gate=gate)]


def test_files_no_feed_reads_are_recorded_as_ignored_and_need_attention(quality_env, gate, tmp_path):
    landing = quality_env.landing_dir
    write_sampling_csv(landing / "enforcement" / "抽检.csv", [sampling_row(1)])  # one folder too high
    write_sampling_csv(landing / "抽检汇总.csv", [sampling_row(2)])  # the landing root
    write_sampling_csv(landing / "remediation" / "2026年旧表" / "a.csv", [sampling_row(3)])  # a folder no feed owns
    real = tmp_path / "elsewhere" / "cases"
    write_sampling_csv(real / "b.csv", [sampling_row(4)])
    (landing / "enforcement" / "cases").symlink_to(real, target_is_directory=True)  # a symlinked feed folder
    write_sampling_csv(landing / "product_sampling" / "ok.csv", [sampling_row(5)])

    results = _run_all(quality_env, gate, "r1")
    ignored = {(r.path, r.feed) for r in results if r.status == "ignored"}
    assert ignored == {
        ("enforcement/抽检.csv", "enforcement_cases"),
        ("抽检汇总.csv", "product_sampling"),
        ("remediation/2026年旧表", "remediation_projects"),
        ("enforcement/cases", "enforcement_cases"),
    }
    assert [(r.path, r.status) for r in results if r.status != "ignored"] == [("product_sampling/ok.csv", "loaded")]
    codes = {path: code for path, status, code, _ in _files(quality_env) if status == "ignored"}
    assert codes == {"enforcement/抽检.csv": "outside_feeds", "抽检汇总.csv": "outside_feeds",
                     "remediation/2026年旧表": "unowned_folder", "enforcement/cases": "symlinked_folder"}
    for r in results:  # bilingual, with the action to take
        if r.status == "ignored":
            assert " / " in r.reason
            assert ("符号链接" in r.reason) if r.path == "enforcement/cases" else ("enforcement/cases/" in r.reason)
    with pytest.raises(NeedsAttention, match="move the file into its feed's folder"):
        raise_if_attention({"files": [{"status": r.status, "path": r.path, "reason": r.reason} for r in results]})
    assert _run_all(quality_env, gate, "r2") == []  # recorded once, like a rejected file


def _xlsx_bytes(tmp_path, rows) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(SAMPLING_HEADER)
    for r in rows:
        wb.active.append(r)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path.read_bytes()


def _ingest(settings, gate, run_id, **kw):
    return [(r.path, r.status, r.rows_loaded) for r in ingest_feed(FEED, run_id=run_id, settings=settings,
                                                                   gate=gate, **kw)]


def test_rejected_then_renamed_is_read_again(quality_env, gate, tmp_path):
    folder = quality_env.landing_dir / FEED
    folder.mkdir()
    data = _xlsx_bytes(tmp_path, [sampling_row(i) for i in range(3)])
    (folder / "抽检.xlsm").write_bytes(data)
    assert _ingest(quality_env, gate, "r1") == [("product_sampling/抽检.xlsm", "rejected", 0)]
    (folder / "抽检.xlsm").rename(folder / "抽检.xlsx")  # same bytes, the name fixed
    assert _ingest(quality_env, gate, "r2") == [("product_sampling/抽检.xlsx", "loaded", 3)]


def test_rejected_then_fixed_under_the_same_name_is_read(quality_env, gate):
    path = quality_env.landing_dir / FEED / "a.csv"
    path.parent.mkdir()
    path.write_text("抽样单编号,产品名称\nS1,插座\n", encoding="utf-8")
    assert _ingest(quality_env, gate, "r1") == [("product_sampling/a.csv", "rejected", 0)]
    write_sampling_csv(path, [sampling_row(i) for i in range(2)])
    assert _ingest(quality_env, gate, "r2") == [("product_sampling/a.csv", "loaded", 2)]
    assert _ingest(quality_env, gate, "r3") == []  # same path, same bytes: seen


def test_loaded_then_resent_is_a_no_op(quality_env, gate):
    path = write_sampling_csv(quality_env.landing_dir / FEED / "a.csv", [sampling_row(i) for i in range(2)])
    assert _ingest(quality_env, gate, "r1") == [("product_sampling/a.csv", "loaded", 2)]
    shutil.copy(path, path.with_name("a(1).csv"))
    assert _ingest(quality_env, gate, "r2") == [("product_sampling/a(1).csv", "duplicate", 0)]


def _held_file(settings) -> object:
    rows = [sampling_row(i) for i in range(4)] + [sampling_row(10 + i, day="2026-02-30") for i in range(6)]
    return write_sampling_csv(settings.landing_dir / FEED / "h.csv", rows)  # 60% rejected: held


def test_held_then_resent_stays_held_and_released_loads(quality_env, gate):
    path = _held_file(quality_env)
    assert _ingest(quality_env, gate, "r1") == [("product_sampling/h.csv", "held", 0)]
    shutil.copy(path, path.with_name("h-again.csv"))
    assert _ingest(quality_env, gate, "r2") == [("product_sampling/h-again.csv", "duplicate", 0)]
    assert [s for p, s, _, _ in _files(quality_env) if p == "product_sampling/h.csv"] == ["held"]
    assert _ingest(quality_env, gate, "r3", release=("product_sampling/h.csv",)) == [
        ("product_sampling/h.csv", "loaded", 4)]
