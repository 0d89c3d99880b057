"""Withdrawing deliveries the wrong way round: unknown paths, twice, held files, re-delivery, retries.

What happens to a withdrawn file delivered again: the same file left in the landing folder is seen and
nothing changes; the same bytes under a new name are a `duplicate` of the withdrawn file (a withdrawal is
not undone by sending the file again); changed bytes are a new delivery and load as usual.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from quality_pipeline.loading import ingest
from quality_pipeline.loading.decisions import CannotDecide, keep_held, withdraw_file
from quality_pipeline.loading.files import release_one
from quality_pipeline.orchestration.tasks import attention_lines, changed_files
from quality_pipeline.orchestration.tasks import withdraw as withdraw_task
from quality_pipeline.warehouse.writer import open_published
from tests.support.extracts import sampling_row, write_sampling_csv

TODAY = date(2026, 11, 20)


def _load(env, gate, run: str) -> dict[str, ingest.FileResult]:
    return {r.path: r for r in ingest.ingest_feed("product_sampling", run_id=run, settings=env, gate=gate, today=TODAY)}


def _one(env, sql: str, *args):
    con = open_published(env.warehouse)
    try:
        return con.execute(sql, list(args)).fetchall()
    finally:
        con.close()


@pytest.fixture
def delivered(quality_env, gate):
    """q3.csv (10 batches of 2026Q3), then other-district.csv restating them with another conclusion, and a
    held file (most rows incomplete)."""
    folder = quality_env.landing_dir / "product_sampling"
    write_sampling_csv(folder / "q3.csv", [sampling_row(n) for n in range(10)], mtime=1_000)
    write_sampling_csv(folder / "other-district.csv",
                       [sampling_row(n, conclusion="不合格") for n in range(10)], mtime=2_000)
    write_sampling_csv(folder / "held.csv", [["S1", "插座"], ["S2", "插座"]], mtime=3_000)
    status = {path: r.status for path, r in _load(quality_env, gate, "r1").items()}
    assert status == {"product_sampling/q3.csv": "loaded", "product_sampling/other-district.csv": "loaded",
                      "product_sampling/held.csv": "held"}
    return quality_env


def test_withdrawing_brings_back_the_earlier_versions_and_deletes_nothing(delivered):
    env = delivered
    raw_before = _one(env, "SELECT count(*) FROM raw.product_sampling")
    assert _one(env, "SELECT DISTINCT conclusion FROM core.product_sampling") == [("不合格",)]
    done = withdraw_file(env, "product_sampling/other-district.csv", reason="其他区的数据 / another district",
                         actor="王工", run_id="manual-1")
    assert (done.previous_status, done.status, done.changes_marts) == ("loaded", "withdrawn", True)
    assert _one(env, "SELECT DISTINCT conclusion FROM core.product_sampling") == [("合格",)]
    assert _one(env, "SELECT count(*) FROM raw.product_sampling") == raw_before
    row = _one(env, "SELECT status, decision, decided_by, decision_reason, decided_run_id, decided_at IS NOT NULL, "
               "rows_loaded FROM audit.files WHERE path = 'product_sampling/other-district.csv'")
    assert row == [("withdrawn", "withdrawn", "王工", "其他区的数据 / another district", "manual-1", True, 10)]


@pytest.mark.parametrize("path, reason, actor, message", [
    ("product_sampling/no-such.csv", "r", "a", "no file with this path"),
    ("/etc/passwd", "r", "a", "not inside the landing folder"),
    ("product_sampling/q3.csv", "  ", "a", "a reason is required"),
    ("product_sampling/q3.csv", "r", "", "who is required"),
])
def test_a_withdrawal_that_cannot_apply_is_refused_and_changes_nothing(delivered, path, reason, actor, message):
    with pytest.raises(CannotDecide, match=message):
        withdraw_file(delivered, path, reason=reason, actor=actor, run_id="x")
    assert _one(delivered, "SELECT count(*) FROM audit.files WHERE decision IS NOT NULL") == [(0,)]


def test_withdrawing_twice_is_refused_but_a_retried_task_is_not(delivered):
    env = delivered
    first = withdraw_task(["product_sampling/q3.csv"], run_id="run-1", reason="测试文件 / test file", actor="ops")
    retry = withdraw_task(["product_sampling/q3.csv"], run_id="run-1", reason="测试文件 / test file", actor="ops")
    assert [d["decided_at"] for d in retry["withdrawn"]] == [d["decided_at"] for d in first["withdrawn"]]
    assert changed_files({"withdrawn": retry["withdrawn"], "files": []}) == ["product_sampling/q3.csv"]
    later = withdraw_task(["product_sampling/q3.csv", "nope.csv"], run_id="run-2", reason="again", actor="ops")
    assert later["withdrawn"] == [] and [r["path"] for r in later["refused"]] == ["product_sampling/q3.csv", "nope.csv"]
    assert "already withdrawn" in later["refused"][0]["reason"]
    lines = attention_lines({"files": [], **later})
    assert lines[0].startswith("not withdrawn / 未撤回: product_sampling/q3.csv — ") and len(lines) == 4
    assert _one(env, "SELECT decided_run_id FROM audit.files WHERE path = 'product_sampling/q3.csv'") == [("run-1",)]


def test_a_held_file_withdrawn_is_never_released_and_changes_no_figure(delivered, gate):
    env = delivered
    kept = keep_held(env, "product_sampling/held.csv", actor="李工", run_id="hitl-1", reason="问了报送单位")
    assert (kept.decision, kept.status) == ("kept_held", "held")
    done = withdraw_file(env, "product_sampling/held.csv", reason="模板文件", actor="李工", run_id="hitl-2")
    assert (done.previous_status, done.changes_marts) == ("held", False)
    with pytest.raises(CannotDecide, match="not held"):
        release_one("product_sampling/held.csv", run_id="r", settings=env, actor="李工", reason=None, gate=gate)
    with pytest.raises(CannotDecide, match="already withdrawn"):
        keep_held(env, "product_sampling/held.csv", actor="李工", run_id="r")
    again = ingest.ingest_feed("product_sampling", run_id="r2", settings=env, gate=gate, today=TODAY,
                               release=("product_sampling/held.csv",))
    assert again == []  # the DAG's release param finds no held file of that path
    with pytest.raises(CannotDecide, match="is loaded"):
        keep_held(env, "product_sampling/q3.csv", actor="李工", run_id="r")


def test_a_withdrawn_file_delivered_again(delivered, gate):
    env = delivered
    folder = env.landing_dir / "product_sampling"
    withdraw_file(env, "product_sampling/other-district.csv", reason="wrong district", actor="ops", run_id="w")
    assert _load(env, gate, "r2") == {}  # still in the folder: seen, nothing changes
    shutil.copy2(folder / "other-district.csv", folder / "other-district(重发).csv")
    resent = _load(env, gate, "r3")["product_sampling/other-district(重发).csv"]
    assert resent.status == "duplicate" and "withdrawn" in resent.reason and "已撤回" in resent.reason
    assert _one(env, "SELECT DISTINCT conclusion FROM core.product_sampling") == [("合格",)]
    write_sampling_csv(folder / "other-district.csv", [sampling_row(n, conclusion="拒检") for n in range(10)],
                       mtime=5_000)  # changed bytes at the same path: a new delivery
    fresh = _load(env, gate, "r4")["product_sampling/other-district.csv"]
    assert fresh.status == "loaded"
    assert _one(env, "SELECT status FROM audit.files WHERE path = 'product_sampling/other-district.csv' "
                "ORDER BY file_id") == [("withdrawn",), ("loaded",)]
    assert _one(env, "SELECT DISTINCT conclusion FROM core.product_sampling") == [("拒检",)]
    with pytest.raises(CannotDecide, match="the file is duplicate, not loaded or held"):  # nothing to take back
        withdraw_file(env, resent.path, reason="r", actor="ops", run_id="w2")


def test_withdrawing_a_snapshot_brings_back_the_keys_it_withdrew(quality_env, gate):
    folder = quality_env.landing_dir / "product_sampling"
    write_sampling_csv(folder / "q3.csv", [sampling_row(n) for n in range(10)], mtime=1_000)
    write_sampling_csv(folder / "q3-fix.csv", [sampling_row(n) for n in range(9)], mtime=2_000)
    assert _load(quality_env, gate, "r1")["product_sampling/q3-fix.csv"].keys_withdrawn == 1
    assert _one(quality_env, "SELECT count(*) FROM core.product_sampling") == [(9,)]
    withdraw_file(quality_env, "product_sampling/q3-fix.csv", reason="wrong quarter", actor="ops", run_id="w")
    assert _one(quality_env, "SELECT count(*) FROM core.product_sampling") == [(10,)]
    withdraw_file(quality_env, "product_sampling/q3.csv", reason="test file", actor="ops", run_id="w2")
    assert _one(quality_env, "SELECT count(*) FROM core.product_sampling") == [(0,)]
    assert _one(quality_env, "SELECT count(*), count(*) FILTER (_withdrawn) FROM raw.product_sampling") == [(20, 1)]
