"""`make run`: each DAG once through Airflow's own test runner, all in one process, one run at a time.

Each DAG runs as `airflow dags test <dag>` does, but in this process (the CLI's own `dags test` command,
called in turn for each DAG): Airflow, the DAGs and Great Expectations are imported once per `make run`
instead of once per DAG, which on a small night was most of its time. Each DAG's output (its task logs,
Airflow's own lines, a traceback) goes to its own log file, `$AIRFLOW_HOME/logs/make-run/<UTC time>-<pid>/<dag>.log`,
by pointing the process's stdout and stderr at that file while the DAG runs; the terminal gets one line
per DAG and, for a DAG that failed, what `check_attention` logged.

Two `make run` at once would both write the warehouse's DAG runs and the same log files,
interleaving their tracebacks. A run holds an exclusive lock on `$AIRFLOW_HOME/make-run.lock`
for its whole length; a second one says that a run is in progress (whose, since when, where
its logs are) and waits for it, or with `--no-wait` stops at once. A scheduler run started
meanwhile waits on the warehouse's own writer lock, as it always does.

SIGTERM stops a run as Ctrl-C does, also while a DAG runs: Airflow's task runner puts a handler of its own on
SIGTERM for each task (it only calls the task's `on_kill`) and leaves it there, which in this one process would
swallow the signal; and it stops it whatever a supervisor did to SIGINT (a process started with SIGINT ignored,
as `nohup` and a script's background jobs start it, has no Ctrl-C to borrow). Once the run has let go of its
locks and said so, a stopped run (SIGTERM or Ctrl-C) leaves at once with its status (`leave`): not through
Python's exit, which would wait for the threads and exit handlers the interrupted DAG left behind and could
crash in them. The warehouse is safe against a run stopped anywhere; the next run picks up.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn, TextIO

from quality_pipeline.filelock import exclusive
from quality_pipeline.terminal import printable

LOCK_NAME = "make-run.lock"
BUSY = 75  # EX_TEMPFAIL: try again later
TERMINATED = 128 + signal.SIGTERM
INTERRUPTED = 128 + signal.SIGINT
EXIT_GRACE_S = 10.0  # for flushing the logs once a stopped run has let go of its locks (`leave`)
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


class _Airflow:
    """The `airflow` command line, imported once per process, for the one sub-command we use: `dags test`."""

    _parser = None

    @classmethod
    def dags_test(cls, dag: str, conf: str | None) -> None:
        """What `airflow dags test <dag> [--conf <conf>]` does, in this process (raises as the CLI exits)."""
        if cls._parser is None:
            _same_home()
            from airflow.cli import cli_parser
            from airflow.configuration import write_default_airflow_configuration_if_needed

            write_default_airflow_configuration_if_needed()
            cls._parser = cli_parser.get_parser()
        args = cls._parser.parse_args(["dags", "test", dag, *(["--conf", conf] if conf else []), *cls._file_of(dag)])
        args.func(args)

    @staticmethod
    def _file_of(dag: str) -> list[str]:
        """`--dagfile-path <dags folder>/<dag>.py` when that file exists (each of our DAGs is in the file named
        after it): `dags test` then parses and serializes that file alone before `dag.test()`, which parses and
        serializes the whole folder again anyway, instead of the whole folder twice."""
        from airflow.configuration import conf

        path = Path(conf.get("core", "dags_folder")) / f"{dag}.py"
        return ["--dagfile-path", str(path)] if path.is_file() else []


def _same_home() -> None:
    """Airflow reads $AIRFLOW_HOME once, when first imported: a process that imported it for another home
    would run our DAGs against someone else's metadata DB, so refuse instead."""
    if "airflow.configuration" not in sys.modules:
        return
    from airflow.configuration import AIRFLOW_HOME

    if Path(AIRFLOW_HOME).resolve() != _home().resolve():
        raise RuntimeError(f"Airflow was imported for AIRFLOW_HOME={AIRFLOW_HOME}, not {_home()}: "
                           "run `python -m quality_pipeline.run` in a process of its own")


_FD_STREAMS: list[TextIO] = []  # text streams on file descriptors 1 and 2, opened once, never closed


def _fd_streams() -> list[TextIO]:
    if not _FD_STREAMS:
        _FD_STREAMS.extend(open(fd, "w", buffering=1, encoding="utf-8", errors="backslashreplace",  # noqa: SIM115
                                closefd=False) for fd in (1, 2))
    return _FD_STREAMS


@contextlib.contextmanager
def _output_to(log: Path) -> Iterator[None]:
    """Send everything this process writes to stdout and stderr to `log` while the block runs.

    File descriptors 1 and 2 are pointed at the file, so a stream made before (Airflow's log handlers keep
    the stream they were configured with, during the first DAG) and a child process write there too; and
    sys.stdout / sys.stderr are streams on those descriptors meanwhile, never closed, so a handler configured
    during a DAG keeps writing to whatever descriptors 1 and 2 are: the next DAG's file, then the terminal.
    """
    streams = (sys.stdout, sys.stderr)
    fd_streams = _fd_streams()

    def flush() -> None:  # a stream may hold lines for the file it wrote to until now
        for stream in (*streams, *fd_streams):
            with contextlib.suppress(ValueError, OSError):
                stream.flush()

    flush()
    saved = os.dup(1), os.dup(2)
    try:
        with open(log, "wb") as fh:
            os.dup2(fh.fileno(), 1)
            os.dup2(fh.fileno(), 2)
            sys.stdout, sys.stderr = fd_streams
            try:
                yield
            finally:
                flush()
                sys.stdout, sys.stderr = streams
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def _dags_test(dag: str, conf: str | None) -> bool:
    """Run the DAG as `airflow dags test` would; whether it succeeded (what failed is printed, as the CLI would)."""
    try:
        _Airflow.dags_test(dag, conf)
    except SystemExit as exc:  # the CLI's way of saying "DagRun failed" (or a bad --conf)
        if exc.code in (None, 0):
            return True
        print(exc.code if isinstance(exc.code, str) else f"exit status {exc.code}", file=sys.stderr)
        return False
    except Exception:  # an unknown DAG, a DAG that failed to parse, a broken metadata DB
        traceback.print_exc()
        return False
    return True


def run_dag(dag: str, log: Path, out: TextIO, conf: str | None = None, termination: _Termination | None = None
            ) -> bool:
    """The DAG once (`airflow dags test`, in this process) with its output in `log`; print one line, and on
    failure why (escaped)."""
    with _output_to(log), (termination.dag_running() if termination else contextlib.nullcontext()):
        ok = _dags_test(dag, conf)
    if ok:
        print(f"  {printable(dag)}: success", file=out, flush=True)
        return True
    print(f"  {printable(dag)}: FAILED — see {printable(log)}", file=out, flush=True)
    for line in _attention_lines(log):
        print(f"      {line}", file=out, flush=True)
    return False


class _Termination:
    """Turn SIGTERM into the KeyboardInterrupt Ctrl-C raises, whoever's handler is on SIGTERM at the time.

    Python writes the number of every signal that reaches a Python-level handler to the wakeup file
    descriptor, so a thread reading it sees a SIGTERM even when Airflow's task handler took it, and interrupts
    the main thread. An interrupt that lands inside a task only fails that task (Airflow's runner catches it
    and `dags test` goes on), so while a DAG runs the main thread is interrupted again each second until the
    DAG's test runner lets go. Outside the main thread (no signal handling there) it does nothing.
    """

    def __init__(self) -> None:
        self.received = False
        self.in_dag = False
        self._done = threading.Event()

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        previous_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)  # the watcher acts on it
        watcher = threading.Thread(target=self._watch, args=(read_fd,), name="make-run-sigterm", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            self._done.set()
            signal.set_wakeup_fd(previous_fd)
            signal.signal(signal.SIGTERM, previous)
            os.close(write_fd)  # a watcher still reading gets end-of-file and stops
            watcher.join(timeout=5)
            os.close(read_fd)

    @contextlib.contextmanager
    def dag_running(self) -> Iterator[None]:
        self.in_dag = True
        try:
            yield
        finally:
            self.in_dag = False

    def _watch(self, read_fd: int) -> None:
        while data := os.read(read_fd, 64):
            if signal.SIGTERM in data:
                self.received = True
                _interrupt_main_thread()
                while not self._done.wait(1.0):
                    if self.in_dag:
                        _interrupt_main_thread()
                return


def _interrupt_main_thread() -> None:
    """Raise KeyboardInterrupt in the main thread at its next Python instruction, as Ctrl-C does.

    Not `_thread.interrupt_main()`: that runs SIGINT's Python handler, and a process started with SIGINT ignored
    has none, so SIGTERM did nothing there and the run went on to the end (exit 0)."""
    main = threading.main_thread().ident
    if main is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(main), ctypes.py_object(KeyboardInterrupt))


def exit_within(seconds: float, status: int) -> None:
    """End the process with `status` if it is still exiting `seconds` from now (`leave`)."""

    def cut_short() -> None:
        time.sleep(seconds)
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(f"make run: still exiting {seconds:.0f} s after it was stopped; exiting now\n")
            sys.stderr.flush()
        os._exit(status)

    threading.Thread(target=cut_short, name="make-run-exit", daemon=True).start()


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
    termination = _Termination()
    try:
        with termination.watching(), run_lock(home, log_dir, wait=not args.no_wait, out=out) as held:
            if not held:
                return BUSY
            log_dir.mkdir(parents=True, exist_ok=True)
            ok = [run_dag(dag, log_dir / f"{dag}.log", out, args.conf, termination) for dag in args.dags]
            ok += [run_dag(dag, log_dir / f"{dag}.log", out, None, termination) for dag in args.then]
            print("audit.files:", file=out, flush=True)
            from quality_pipeline.cli import run_summary

            run_summary(None)
    except KeyboardInterrupt:
        what = "terminated (SIGTERM)" if termination.received else "interrupted"
        print(f"make run {what}: the DAGs after this point did not run; the next run picks up, logs in "
              f"{printable(str(log_dir))}", file=out, flush=True)
        return TERMINATED if termination.received else INTERRUPTED
    return 0 if all(ok) else 1


def leave(status: int) -> NoReturn:
    """Exit with `status`; a stopped run's (TERMINATED, INTERRUPTED) without Python's exit.

    The interrupt that stopped the run landed wherever the DAG was, and its leftovers stay: threads (Airflow's
    in-process execution API, a task's), exit handlers, C++ code that Python's exit tears down under them. Seen:
    the API's exit handler spinning on the SQLite metadata DB for 27 minutes, and a run that had printed
    "terminated" dying of SIGSEGV instead of exiting 143. By now the run's own cleanup is done (locks
    released, the message printed), so the logs are flushed and the process ends here. Flushing the logs
    waits on their handlers' locks, which an interrupted thread may hold: `exit_within` bounds that."""
    if status not in (TERMINATED, INTERRUPTED):
        sys.exit(status)
    exit_within(EXIT_GRACE_S, status)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)


if __name__ == "__main__":
    leave(main())
