"""`make run` for real (`python -m quality_pipeline.run`, which the Makefile calls): two at once, hostile names."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import duckdb

from tests.support.extracts import write_sampling_csv

ESC = "\x1b"
ANSI_NAME = f"抽检{ESC}[2K{ESC}[1A{ESC}[31mclean.csv"


def _start(*dags: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "quality_pipeline.run", *dags], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=os.environ.copy())


def _wait_for_lock_holder(home, proc) -> None:
    lock = home / "make-run.lock"
    deadline = time.monotonic() + 120
    while not (lock.exists() and "pid" in lock.read_text()):
        assert proc.poll() is None and time.monotonic() < deadline, "the first run never took the run lock"
        time.sleep(0.2)


def test_two_make_runs_take_turns_with_their_own_logs_and_escaped_names(quality_env, airflow_db):
    """The first run loads a file whose name carries ANSI escapes; the second, started meanwhile, waits."""
    s = quality_env
    write_sampling_csv(s.landing_dir / "product_sampling" / ANSI_NAME, [["S1", "插座"]])
    first = _start("ingest_product_sampling")
    _wait_for_lock_holder(airflow_db, first)
    second = _start("no_such_dag")
    first_out, _ = first.communicate(timeout=600)
    second_out, _ = second.communicate(timeout=600)

    assert f"in progress (pid {first.pid}" in second_out and "waiting" in second_out
    assert "ingest_product_sampling: FAILED" in first_out  # the file is held: a person must look
    assert ESC not in first_out
    assert "\\x1b[2K\\x1b[1A\\x1b[31mclean.csv" in first_out  # the rejection line names the file, visibly
    runs = sorted((airflow_db / "logs" / "make-run").iterdir())
    logs = {p.name for run in runs for p in run.iterdir()}
    assert len(runs) == 2 and logs == {"ingest_product_sampling.log", "no_such_dag.log"}
    assert all(len(list(run.iterdir())) == 1 for run in runs)
    con = duckdb.connect(str(s.warehouse), read_only=True)
    try:
        assert con.execute("SELECT path, status FROM audit.files").fetchall() == [
            (f"product_sampling/{ANSI_NAME}", "held")]
    finally:
        con.close()
