"""`make run` on a small night, through the DAGs: the demo landing folder's 36 files, then again with nothing new.

`measure_make_run()` generates the demo extracts as `make demo` does (`python -m quality_pipeline.demo` with
`DEMO_ARGS`) into a temporary landing folder with its own warehouse and Airflow home, initialises Airflow
(`make airflow-init`, not timed), then times `make run` twice: with every demo file new, and with nothing new.
Goals (reported, not asserted): nothing new <= 40 s, the 36 demo files <= 60 s. The load average is recorded
beside each figure: other work on the machine slows both. `python bench/nights.py` prints the figures as JSON,
writes them to the `nights` section of bench/results.md and N (the night with nothing new) into its summary
line, as `make bench` (bench/run.py, which calls it too) does.
"""

from __future__ import annotations

import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import PROJECT_ROOT, summary_line, table, write_section  # noqa: E402

DEMO_ARGS = "--seed 7 --quarters 4 --rows 120 --defect-rate 0.05"  # the Makefile's default DEMO_ARGS
GOAL_NOOP_S, GOAL_FILES_S = 40.0, 60.0


def _load() -> float:
    return os.getloadavg()[0]


def _make(target: str, env: dict, log: Path) -> tuple[float, float, int, float, float]:
    """(wall seconds, CPU seconds of the process tree, exit status, 1-min load average before, after) of
    `make -s <target>`. CPU time moves far less than wall time with the load of other work on the machine."""
    before = _load()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(log, "wb") as fh:
        done = subprocess.run(["make", "-s", target], cwd=PROJECT_ROOT, env=env, stdout=fh,
                              stderr=subprocess.STDOUT, check=False)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return wall, cpu, done.returncode, before, _load()


def measure_make_run(root: Path | None = None, demo_args: str = DEMO_ARGS) -> dict:
    """Time `make run` on the demo landing folder (every file new), then again (nothing new).

    Returns {"files", "new_files_s", "nothing_new_s", "new_files_cpu_s", "nothing_new_cpu_s", "new_files_exit",
    "nothing_new_exit",
    "load_new_files": [before, after], "load_nothing_new": [before, after], "logs"}. `root` (default a
    temporary folder, removed after) holds the landing folder, the warehouse, the Airflow home and the logs.
    """
    tmp = None if root else tempfile.TemporaryDirectory(prefix="quality-nights-")
    base = Path(root or tmp.name)
    base.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUALITY_", "AIRFLOW"))}
    env.update(QUALITY_LANDING_DIR=str(base / "landing"), QUALITY_WAREHOUSE=str(base / "warehouse" / "quality.duckdb"),
               QUALITY_REPORTS_DIR=str(base / "reports"), AIRFLOW_HOME=str(base / "airflow"), ENV_FILE="/dev/null")
    try:
        subprocess.run([sys.executable, "-m", "quality_pipeline.demo", "--landing", str(base / "landing"),
                        *shlex.split(demo_args)], env=env, check=True, stdout=subprocess.DEVNULL)
        files = sum(1 for p in (base / "landing").rglob("*") if p.is_file())
        subprocess.run(["make", "-s", "airflow-init"], cwd=PROJECT_ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        new_s, new_cpu, new_exit, *new_load = _make("run", env, base / "make-run-new-files.log")
        noop_s, noop_cpu, noop_exit, *noop_load = _make("run", env, base / "make-run-nothing-new.log")
        return {"files": files, "new_files_s": round(new_s, 1), "nothing_new_s": round(noop_s, 1),
                "new_files_cpu_s": round(new_cpu, 1), "nothing_new_cpu_s": round(noop_cpu, 1),
                "new_files_exit": new_exit, "nothing_new_exit": noop_exit,
                "load_new_files": [round(x, 2) for x in new_load],
                "load_nothing_new": [round(x, 2) for x in noop_load],
                "logs": str(base) if root else None}
    finally:
        if tmp is not None:
            tmp.cleanup()


def section(result: dict) -> str:
    """The `nights` section of bench/results.md for one `measure_make_run` result."""
    def met(seconds: float, goal: float, status: int) -> str:
        return "yes" if status == 0 and seconds <= goal else "no"

    return f"""
## `make run` on a small night (demo landing folder, through the DAGs)

{table(["night", "wall time", "CPU time", "exit", "load average (1 min) before → after", "goal", "met"], [
    [f"{result['files']} demo files, all new", f"{result['new_files_s']:.1f} s", f"{result['new_files_cpu_s']:.1f} s",
     result["new_files_exit"],
     " → ".join(f"{x:.1f}" for x in result["load_new_files"]), f"≤ {GOAL_FILES_S:.0f} s",
     met(result["new_files_s"], GOAL_FILES_S, result["new_files_exit"])],
    ["nothing new", f"{result['nothing_new_s']:.1f} s", f"{result['nothing_new_cpu_s']:.1f} s",
     result["nothing_new_exit"],
     " → ".join(f"{x:.1f}" for x in result["load_nothing_new"]), f"≤ {GOAL_NOOP_S:.0f} s",
     met(result["nothing_new_s"], GOAL_NOOP_S, result["nothing_new_exit"])],
])}
"""


def summary_with_noop(result: dict, line: str | None) -> str | None:
    """The summary line `line` with N (`noop_night_s=`) replaced by this run's night with nothing new, as
    `make bench` measures it (None when there is no line, or the night failed: then the line stays)."""
    if not line or result["nothing_new_exit"] != 0:
        return None
    return " ".join(f"noop_night_s={result['nothing_new_s']:.1f}" if f.startswith("noop_night_s=") else f
                    for f in line.split())


def main() -> None:
    result = measure_make_run()
    print(json.dumps(result, ensure_ascii=False), flush=True)
    final = summary_with_noop(result, summary_line())
    print(f"wrote {write_section('nights', section(result), final_line=final)}")
    if final:
        print(final)


if __name__ == "__main__":
    main()
