"""`make run`: each DAG once with `airflow dags test`, one run at a time, each run with its own logs.

Two `make run` at once would both write the warehouse's DAG runs and the same log files,
interleaving their tracebacks. A run holds an exclusive lock on `$AIRFLOW_HOME/make-run.lock`
for its whole length; a second one says that a run is in progress (whose, since when, where
its logs are) and waits for it, or with `--no-wait` stops at once. Each run writes its logs
under `$AIRFLOW_HOME/logs/make-run/<UTC time>-<pid>/<dag>.log`. A scheduler run started
meanwhile waits on the warehouse's own writer lock, as it always does.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from quality_pipeline.filelock import exclusive
from quality_pipeline.terminal import printable

LOCK_NAME = "make-run.lock"
BUSY = 75  # EX_TEMPFAIL: try again later
# What `check_attention` logs for each file (see `quality_pipeline.orchestration.tasks.ATTENTION_MARK`), kept free of imports
# of the task module so that `make run` starts fast.
ATTENTION_MARK = "需处理 / attention:"


def _home() -> Path:
    return Path(os.environ.get("AIRFLOW_HOME", Path.home() / "airflow"))


@contextlib.contextmanager
def run_lock(home: Path, log_dir: Path, *, wait: bool, out: TextIO) -> Iterator[bool]:
    """Hold the run lock; yield False (without it) when another run holds it and we were told not to wait."""

    def busy(holder: str) -> None:
        print(f"another `make run` is in progress ({printable(holder or 'unknown')}); "
              + ("waiting for it to finish ..." if wait else "not starting a second one"), file=out, flush=True)

    me = f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC, logs in {log_dir}"
    with exclusive(home / LOCK_NAME, me, wait=wait, on_busy=busy, clear_on_release=True) as held:
        yield held


def _attention_lines(log: Path, limit: int = 60) -> list[str]:
    """What each file that needs attention needs, as `check_attention` logged it: the text after the mark, once."""
    hits: dict[str, None] = {}
    with open(log, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if ATTENTION_MARK in line:
                hits.setdefault(line.rstrip("\n").split(ATTENTION_MARK, 1)[1].removeprefix(" ")[:2000])
    return [printable(line) for line in list(hits)[:limit]]


def run_dag(dag: str, log: Path, out: TextIO, conf: str | None = None) -> bool:
    """`airflow dags test <dag>` with its output in `log`; print one line, and on failure why (escaped)."""
    airflow = Path(sys.executable).with_name("airflow")
    command = [str(airflow), "dags", "test", dag, *(["--conf", conf] if conf else [])]
    with open(log, "wb") as fh:
        done = subprocess.run(command, stdout=fh, stderr=subprocess.STDOUT, check=False)
    if done.returncode == 0:
        print(f"  {printable(dag)}: success", file=out, flush=True)
        return True
    print(f"  {printable(dag)}: FAILED — see {printable(log)}", file=out, flush=True)
    for line in _attention_lines(log):
        print(f"      {line}", file=out, flush=True)
    return False


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m quality_pipeline.run")
    parser.add_argument("dags", nargs="+")
    parser.add_argument("--no-wait", action="store_true", help="stop at once if another run is in progress")
    parser.add_argument("--conf", help="run conf (JSON) of every DAG run named before it, e.g. the release param")
    parser.add_argument("--then", nargs="*", default=[], metavar="DAG",
                        help="DAGs run afterwards without the conf, whatever became of the others")
    args = parser.parse_args(argv)
    home = _home()
    log_dir = home / "logs" / "make-run" / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}"
    with run_lock(home, log_dir, wait=not args.no_wait, out=out) as held:
        if not held:
            return BUSY
        log_dir.mkdir(parents=True, exist_ok=True)
        ok = [run_dag(dag, log_dir / f"{dag}.log", out, args.conf) for dag in args.dags]
        ok += [run_dag(dag, log_dir / f"{dag}.log", out) for dag in args.then]
        print("audit.files:", file=out, flush=True)
        from quality_pipeline.cli import run_summary

        run_summary(None)
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
