"""Nothing in the landing folder goes unseen, and a file's status follows its content, not its history.

A file outside every feed folder, a symlinked feed folder and a folder no feed owns are recorded as `ignored`
and fail the attention check; identical bytes of a rejected file are read again, of a loaded or held file
they are a no-op.
"""

from __future__ import annotations

import json
import shutil

import openpyxl
import pytest

from quality_pipeline.feeds import feed_names
from quality_pipeline.loading.ingest import ingest_feed
from quality_pipeline.orchestration.tasks import NeedsAttention, raise_if_attention
from quality_pipeline.warehouse.writer import open_published
from tests.support.extracts import SAMPLING_HEADER, sampling_row, write_sampling_csv

FEED = "product_sampling"


def _files(settings) -> list[tuple]:
    con = open_published(settings.warehouse)
    try:
        return con.execute("SELECT path, status, reason_code, rows_loaded FROM audit.files ORDER BY file_id").fetchall()
    finally:
        con.close()


def _run_all(settings, gate, run_id: str) -> list:
    return [r for feed in feed_names() for r in ingest_feed(feed, run_id=run_id, settings=settings, gate=gate)]


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
        ("抽检汇总.csv", "enforcement_cases"),  # the landing root: the first feed by name reports it
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


# --- workbooks with several data-like sheets ----------------------------------------------------------


def _workbook(path, sheets: dict[str, list[list]]) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(SAMPLING_HEADER)
        for r in rows:
            ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def test_sheet_named_as_a_copy_is_skipped_and_recorded(quality_env, gate):
    corrected = [sampling_row(i, conclusion="合格") for i in range(3)]
    stale = [sampling_row(i, conclusion="不合格") for i in range(3)]  # the earlier delivery, before correction
    _workbook(quality_env.landing_dir / FEED / "q3.xlsx", {"抽检结果": corrected, "上季度(参考)": stale, "备份": stale})
    assert _ingest(quality_env, gate, "r1") == [("product_sampling/q3.xlsx", "loaded", 3)]
    con = open_published(quality_env.warehouse)
    try:
        assert {c for (c,) in con.execute("SELECT conclusion FROM core.product_sampling").fetchall()} == {"合格"}
        details = json.loads(con.execute("SELECT details FROM audit.files").fetchone()[0])
    finally:
        con.close()
    assert details["sheets"] == ["抽检结果"]
    assert [s["sheet"] for s in details["skipped_sheets"]] == ["上季度(参考)", "备份"]
    assert all("参考" in s["reason"] or "备份" in s["reason"] for s in details["skipped_sheets"])


def test_two_loaded_sheets_that_disagree_on_a_key_hold_the_file(quality_env, gate):
    _workbook(quality_env.landing_dir / FEED / "two.xlsx", {
        "城区": [sampling_row(i) for i in range(6)],
        "郊区": [sampling_row(5, conclusion="不合格"), *[sampling_row(10 + i) for i in range(6)]],
    })
    (result,) = ingest_feed(FEED, run_id="r1", settings=quality_env, gate=gate)
    assert (result.status, result.rows_loaded) == ("held", 0)
    assert "two sheets disagree on a key" in result.reason


def test_identical_rows_on_two_sheets_are_not_a_conflict(quality_env, gate):
    rows = [sampling_row(i) for i in range(4)]
    _workbook(quality_env.landing_dir / FEED / "same.xlsx", {"一": rows, "二": rows})
    assert _ingest(quality_env, gate, "r1") == [("product_sampling/same.xlsx", "loaded", 4)]


# --- implausible dates never reach the marts -----------------------------------------------------------


def test_implausible_dates_are_rejected_and_open_no_quarter(quality_env, gate):
    from quality_pipeline.orchestration.tasks import refresh_indicators

    path = quality_env.landing_dir / "enforcement" / "cases" / "cases.csv"
    path.parent.mkdir(parents=True)
    good = [f"C{i},2026-07-0{i},其他,甲公司{i}" for i in range(1, 9)]
    bad = ["C90,2099-03-01,其他,乙公司", "C91,1900-01-01,其他,丙公司"]
    path.write_text("\n".join(["案件编号,立案日期,违法行为类型,当事人名称", *good, *bad]) + "\n", encoding="utf-8")
    (result,) = ingest_feed("enforcement_cases", run_id="r1", settings=quality_env, gate=gate)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 8, 2)
    con = open_published(quality_env.warehouse)
    try:
        reasons = con.execute("SELECT key, rule, reason FROM audit.quarantine ORDER BY key").fetchall()
    finally:
        con.close()
    assert [(k, r) for k, r, _ in reasons] == [("C90", "window"), ("C91", "window")]
    assert all("立案日期" in reason and "2000-01-01" in reason for _, _, reason in reasons)
    assert refresh_indicators()["quarters"] == ["2026Q3"]
