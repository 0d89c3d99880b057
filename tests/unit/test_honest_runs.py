"""An ingest run announces a change only when it made one, and says what each troubled file needs."""

from __future__ import annotations

import pytest

from quality_pipeline import run
from quality_pipeline.orchestration import tasks

pytestmark = pytest.mark.unit


def _file(path, status, reason=None):
    return {"feed": "product_sampling", "path": path, "status": status, "reason": reason}


def test_a_run_that_loaded_nothing_skips_its_asset_event():
    from airflow.sdk.exceptions import AirflowSkipException

    nothing = {"files": [_file("product_sampling/a.csv", "duplicate"), _file("product_sampling/b.csv", "held", "x")]}
    with pytest.raises(AirflowSkipException, match="nothing new.*2 file"):
        tasks.announce_if_changed(nothing)
    with pytest.raises(AirflowSkipException, match="0 file"):
        tasks.announce_if_changed({"files": []})


def test_a_run_that_loaded_a_file_announces_it():
    summary = {"files": [_file("product_sampling/a.csv", "loaded"), _file("product_sampling/b.csv", "rejected", "r")]}
    assert tasks.announce_if_changed(summary) == {"changed": ["product_sampling/a.csv"]}


def test_each_troubled_file_gets_its_reason_and_the_commands_that_settle_it():
    summary = {"files": [
        _file("product_sampling/ok.csv", "loaded"),
        _file("product_sampling/2026 Q3.xlsx", "held", "41% 的行被拒 / 41% of rows rejected"),
        _file("enforcement/cases/bad.csv", "rejected", "缺少必填列 / required column missing"),
        _file("enforcement/stray.csv", "ignored", "不在任何数据文件夹内 / outside every feed folder"),
    ]}
    lines = tasks.attention_lines(summary)
    assert lines[0] == "held: product_sampling/2026 Q3.xlsx — 41% 的行被拒 / 41% of rows rejected"
    assert lines[1].endswith("make release FILE='product_sampling/2026 Q3.xlsx'")
    assert lines[2] == "rejected: enforcement/cases/bad.csv — 缺少必填列 / required column missing"
    assert "deliver it again" in lines[3] and lines[3].endswith("$QUALITY_LANDING_DIR/enforcement/cases/bad.csv")
    assert lines[4] == "ignored: enforcement/stray.csv — 不在任何数据文件夹内 / outside every feed folder"
    assert "move the file into its feed's folder" in lines[5]
    assert len(lines) == 6
    with pytest.raises(tasks.NeedsAttention, match="3 file"):
        tasks.raise_if_attention(summary)


def test_make_run_prints_what_check_attention_logged_not_the_traceback(tmp_path):
    """The log of `airflow dags test` holds the mark on each logged line and the exception's source line."""
    assert run.ATTENTION_MARK == tasks.ATTENTION_MARK
    lines = tasks.attention_lines({"files": [_file("product_sampling/x.csv", "held", "行数骤降 / rows fell")]})
    log = tmp_path / "ingest.log"
    logged = [f"[2026-12-01T01:00:03.1+0800] {{tasks.py:71}} ERROR - {tasks.ATTENTION_MARK} {line}" for line in lines]
    log.write_text("\n".join([*logged, *logged, '    raise NeedsAttention(', "held: junk"]) + "\n", encoding="utf-8")
    assert run._attention_lines(log) == lines  # once each, indentation kept, nothing else


def test_a_file_another_run_published_is_skipped_not_failed():
    """Two active runs may both discover a file; the one that publishes second has nothing to do."""
    discovered = {"run_id": "r", "settled": [], "work": [{"feed": "product_sampling", "path": "product_sampling/a.csv"},
                                                         {"feed": "product_sampling", "path": "product_sampling/b.csv"}]}
    skipped = {"feed": "product_sampling", "path": "product_sampling/a.csv", "status": "skipped", "reason": "x"}
    summary = tasks.run_summary(discovered, [skipped])  # b.csv has no result: its task failed
    assert [(f["path"], f["status"]) for f in summary["files"]] == [
        ("product_sampling/a.csv", "skipped"), ("product_sampling/b.csv", "failed")]
    lines = tasks.attention_lines(summary)
    assert lines[0].startswith("failed: product_sampling/b.csv") and len(lines) == 2
    assert tasks.changed_files(summary) == []
