"""`make run` refuses to start beside a running one when told not to wait, and says who is running."""

from __future__ import annotations

import fcntl
import io

import pytest

from quality_pipeline import run


def test_no_wait_stops_at_once_and_names_the_run_in_progress(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    lock = tmp_path / run.LOCK_NAME
    lock.write_text("pid 4242, started 2026-12-01 02:00:00 UTC, logs in \x1b[2Kelsewhere")
    out = io.StringIO()
    with open(lock, "a+") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another run holds it
        assert run.main(["--no-wait", "ingest_product_sampling"], out=out) == run.BUSY
    said = out.getvalue()
    assert "in progress (pid 4242" in said and "not starting a second one" in said
    assert "\x1b" not in said and "\\x1b[2K" in said
    assert not (tmp_path / "logs").exists()  # nothing of this run was written


_TWO_DAGS = """
import logging, os, subprocess, sys
from pathlib import Path
from quality_pipeline import run

logs = Path(sys.argv[1])
before = logging.StreamHandler(sys.stderr)  # as Airflow's handlers: holding the stream they were given
logging.getLogger("early").addHandler(before)
late = None
for dag in ("first", "second"):
    with run._output_to(logs / f"{dag}.log"):
        if late is None:  # configured while the first DAG runs, like Airflow's task logging
            late = logging.StreamHandler(sys.stdout)
            logging.getLogger("late").addHandler(late)
        print(f"print {dag}")
        logging.getLogger("early").warning("early %s", dag)
        logging.getLogger("late").warning("late %s", dag)
        os.write(2, f"fd2 {dag}\\n".encode())
        subprocess.run([sys.executable, "-c", f"print('child {dag}')"], check=True)
    print(f"terminal after {dag}", flush=True)
logging.getLogger("late").warning("late after")
"""


def test_each_dags_output_goes_to_its_own_log_and_only_there(tmp_path):
    """`make run` runs every DAG in one process: whatever writes to stdout or stderr while a DAG runs (Python,
    a log handler made before or during the first DAG, a child process) lands in that DAG's log and only
    there; between and after the DAGs the terminal has them back."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _TWO_DAGS, str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    for dag, other in (("first", "second"), ("second", "first")):
        text = (tmp_path / f"{dag}.log").read_text()
        assert all(f"{what} {dag}" in text for what in ("print", "early", "late", "fd2", "child")), text
        assert other not in text and "terminal" not in text
    assert done.stdout.splitlines() == ["terminal after first", "terminal after second", "late after"]
    assert done.stderr == ""


# A stand-in for a DAG that Airflow's test runner runs: SIGTERM gets a handler of the task runner's kind (it
# swallows the signal), and the "task" leaves behind what an interrupted task can: a thread that never ends,
# which Python's exit would wait for, or an exit handler that crashes (a make run that had printed "terminated"
# was seen dying of SIGSEGV in a make test).
_TERMINATED_WHILE_A_DAG_RUNS = """
import atexit, os, signal, sys, threading, time
from quality_pipeline import run

def crash():
    signal.signal(signal.SIGSEGV, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGSEGV)

def dag(name, log, out, conf=None, termination=None):
    with termination.dag_running():
        signal.signal(signal.SIGTERM, lambda signum, frame: None)  # as Airflow's task runner does
        if sys.argv[1] == "thread":
            threading.Thread(target=threading.Event().wait, name="left-by-the-task").start()  # not a daemon
        else:
            atexit.register(crash)
        print("dag running", flush=True)
        while True:  # a task that only an exception stops
            try:
                time.sleep(0.05)
            except KeyboardInterrupt:
                if not hang_on:
                    raise
                hang_on.pop()  # Airflow's runner fails the task and goes on: interrupted again next second

hang_on = [1]
run.run_dag = dag
run.leave(run.main(["ingest_product_sampling", "quarterly_indicators"]))
"""


@pytest.mark.parametrize("left_behind", ["thread", "crashing exit handler"])
def test_sigterm_stops_a_run_whatever_sigint_is_and_the_process_exits(tmp_path, left_behind):
    """SIGTERM ends `make run` with 143 when the process was started with SIGINT ignored (as `nohup` and a
    script's background jobs start it: the run used to go on to the end and exit 0), and the process exits at
    once with that status, whatever the interrupted DAG left behind: a thread that Python's exit waits for (it
    used to hang there until the grace ran out) or an exit handler that crashes (the run then died of SIGSEGV)."""
    import os
    import signal
    import subprocess
    import sys

    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-c", _TERMINATED_WHILE_A_DAG_RUNS, left_behind.split()[0]], env=env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        assert proc.stdout.readline() == "dag running\n"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=run.EXIT_GRACE_S + 30)
    finally:
        proc.kill()
    assert proc.returncode == run.TERMINATED, out
    assert "make run terminated (SIGTERM)" in out
    assert "still exiting" not in out  # it did not wait for the thread until the grace ran out
    assert (tmp_path / run.LOCK_NAME).read_text() == ""  # the run's own cleanup happened first
