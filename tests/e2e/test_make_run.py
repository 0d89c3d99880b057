"""`make run` for real (`python -m quality_pipeline.run`, which the Makefile calls): two at once, hostile names,
`make release` and `make withdraw` of the held file, SIGTERM while a DAG runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from quality_pipeline.terminal import printable
from quality_pipeline.warehouse.writer import open_published
from tests.support.extracts import sampling_row, write_sampling_csv

ESC = "\x1b"
ANSI_NAME = f"抽检 {ESC}[2K{ESC}[1A{ESC}[31mclean.csv"  # an escape sequence and a space


def _start(*dags: str, sigint_ignored: bool = False) -> subprocess.Popen:
    """`make run` of `dags`; with `sigint_ignored`, started as `nohup` or a script's background job starts it."""
    return subprocess.Popen([sys.executable, "-m", "quality_pipeline.run", *dags], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=os.environ.copy(),
                            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None)


def _wait_for_lock_holder(home, proc) -> None:
    lock = home / "make-run.lock"
    deadline = time.monotonic() + 120
    while not (lock.exists() and f"pid {proc.pid}," in lock.read_text()):
        assert proc.poll() is None and time.monotonic() < deadline, "the first run never took the run lock"
        time.sleep(0.2)


def _release(path: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "quality_pipeline.release", *args, path], capture_output=True,
                          text=True, env=os.environ.copy(), timeout=600)


def _withdraw(path: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "quality_pipeline.withdraw", *args, "--", path], capture_output=True,
                          text=True, env=os.environ.copy(), timeout=900)


def test_two_make_runs_take_turns_then_release_and_withdraw_decide_the_held_file(quality_env, airflow_db):
    """The first run holds a file whose name carries ANSI escapes and a space; the second, started meanwhile,
    waits. Then `make release FILE=…` publishes the held file through its DAG and `make withdraw FILE=…` takes it
    back out, each refusing what it cannot do. (One file, one held run: each `make run` process costs an Airflow
    start.)"""
    s = quality_env
    name = f"product_sampling/{ANSI_NAME}"
    write_sampling_csv(s.landing_dir / name, [["S1", "插座"]])
    early = _release(name)
    assert early.returncode == 2 and "no warehouse yet" in early.stdout
    first = _start("ingest_product_sampling")
    _wait_for_lock_holder(airflow_db, first)
    second = _start("no_such_dag", "ingest_remediation")  # a DAG that cannot run, then one that can
    first_out, _ = first.communicate(timeout=600)
    second_out, _ = second.communicate(timeout=600)

    assert f"in progress (pid {first.pid}" in second_out and "waiting" in second_out
    assert "no_such_dag: FAILED" in second_out and "ingest_remediation: success" in second_out
    assert second.returncode == 1 and first.returncode == 1
    assert "ingest_product_sampling: FAILED" in first_out  # the file is held: a person must look
    assert ESC not in first_out
    assert "raise NeedsAttention" not in first_out  # the reason and the action, not the traceback's source line
    assert "held: product_sampling/" in first_out and first_out.count("make release FILE='product_sampling/") == 1
    assert "\\x1b[2K\\x1b[1A\\x1b[31mclean.csv" in first_out  # the rejection line names the file, visibly
    ours = (f"-{first.pid}", f"-{second.pid}")  # the worker's Airflow home also holds other tests' runs
    runs = sorted(p for p in (airflow_db / "logs" / "make-run").iterdir() if p.name.endswith(ours))
    assert len(runs) == 2
    assert {run.name.rsplit("-", 1)[1]: sorted(p.name for p in run.iterdir()) for run in runs} == {
        str(first.pid): ["ingest_product_sampling.log"], str(second.pid): ["ingest_remediation.log", "no_such_dag.log"]}
    # both DAGs of the second run ran in one process, each one's output in its own file and only there
    second_run = next(run for run in runs if run.name.endswith(f"-{second.pid}"))
    missing = (second_run / "no_such_dag.log").read_text(encoding="utf-8")
    remediation = (second_run / "ingest_remediation.log").read_text(encoding="utf-8")
    assert "'no_such_dag' could not be found" in missing and "ingest_remediation" not in missing
    assert "task_id=discover_files" in remediation and "no_such_dag" not in remediation
    # no held file: held_files skips the held_decision group at once, so Airflow's test runner never idles
    # (a second each time) while the scheduler would skip its empty tasks one level at a time
    assert "No tasks to run" not in remediation.split("[DAG TEST] end task task_id=held_files", 1)[1]
    con = open_published(s.warehouse)
    try:
        assert con.execute("SELECT path, status FROM audit.files").fetchall() == [(name, "held")]
    finally:
        con.close()

    # make release: the path as the landing folder shows it works too
    done = _release(str(s.landing_dir / name), "--by", "审核员", "--reason", "核对无误")
    assert done.returncode == 0, done.stdout[-3000:]
    assert f"releasing {printable(name)} through ingest_product_sampling" in done.stdout and ESC not in done.stdout
    assert "ingest_product_sampling: success" in done.stdout
    con = open_published(s.warehouse)
    try:
        assert con.execute("SELECT path, status, decision, decided_by, decision_reason, decided_at IS NOT NULL "
                           "FROM audit.files").fetchall() == [(name, "loaded", "released", "审核员", "核对无误", True)]
    finally:
        con.close()
    again = _release(name)
    assert again.returncode == 2 and "the file is loaded, not held" in again.stdout
    assert "not inside the landing folder" in _release("/etc/passwd").stdout

    # make withdraw: refused without a reason or for an unknown path, then done, then refused
    assert _withdraw(name).returncode == 2
    unknown = _withdraw("product_sampling/nope.csv", "--reason", "x")
    assert unknown.returncode == 2 and "no file with this path" in unknown.stdout
    gone = _withdraw(name, "--reason", "测试文件 / a test file", "--by", "王工")
    assert gone.returncode == 0, gone.stdout[-3000:]
    assert "ingest_product_sampling: success" in gone.stdout and "quarterly_indicators: success" in gone.stdout
    con = open_published(s.warehouse)
    try:
        assert con.execute("SELECT status, decision, decided_by, decision_reason FROM audit.files").fetchall() == [
            ("withdrawn", "withdrawn", "王工", "测试文件 / a test file")]
        assert con.execute("SELECT count(*) FROM core.product_sampling").fetchone() == (0,)
    finally:
        con.close()
    twice = _withdraw(name, "--reason", "again")
    assert twice.returncode == 2 and "already withdrawn" in twice.stdout


def test_sigterm_stops_a_run_while_a_dag_runs_and_the_next_run_finishes(quality_env, airflow_db):
    """Airflow's task runner puts its own handler on SIGTERM (it only calls the task's on_kill): in make run's one
    process that would swallow the signal. SIGTERM sent while a task runs stops the run, later DAGs do not start,
    the lock is free, and the next run loads the file. The run is started with SIGINT ignored, as a supervisor's
    `nohup` would start it (SIGTERM used to be swallowed then: the run went on and exited 0)."""
    s = quality_env
    write_sampling_csv(s.landing_dir / "product_sampling" / "2026Q3.csv", [sampling_row(1), sampling_row(2)])
    run = _start("ingest_product_sampling", "ingest_remediation", "quarterly_indicators", sigint_ignored=True)
    _wait_for_lock_holder(airflow_db, run)
    (logs,) = [p for p in (airflow_db / "logs" / "make-run").iterdir() if p.name.endswith(f"-{run.pid}")]
    log = logs / "ingest_product_sampling.log"
    deadline = time.monotonic() + 300
    # once discover_files has run, Airflow's handler sits on SIGTERM (the old make run then swallowed the signal)
    while not (log.exists() and "task_id=prepare_file" in log.read_text(encoding="utf-8", errors="replace")):
        assert run.poll() is None and time.monotonic() < deadline, "the first DAG never reached prepare_file"
        time.sleep(0.1)
    run.terminate()
    out, _ = run.communicate(timeout=120)

    assert run.returncode == 143, out[-3000:]
    assert "make run terminated (SIGTERM)" in out
    assert sorted(p.name for p in logs.iterdir()) == ["ingest_product_sampling.log"]  # nothing after it started
    assert (airflow_db / "make-run.lock").read_text() == ""  # released, and cleared as a finished run leaves it

    again = _start("ingest_product_sampling")
    again_out, _ = again.communicate(timeout=600)
    assert again.returncode == 0, again_out[-3000:]
    con = open_published(s.warehouse)
    try:
        assert con.execute("SELECT status FROM audit.files").fetchall() == [("loaded",)]
        assert con.execute("SELECT count(*) FROM core.product_sampling").fetchone() == (2,)
    finally:
        con.close()
