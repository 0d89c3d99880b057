"""Where a small night's warehouse time goes, statement by statement: the demo's 36 files through the ingest
DAGs' task functions (discover, prepare, publish, copy-out; then the seeds and the indicators), in this one
process and without Airflow, with every statement of every write session timed.

    python bench/night_statements.py [--keep DIR] [--top 30]

Prints the seconds of each phase, the SQL seconds within each, and the statements that took longest in all
(normalised: literals and numbers replaced). The first session of a fresh cache builds the empty-catalog
template (a few seconds, counted under "attach"). Used for bench/results.md, "Small nights on the DuckLake
catalog".
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEMO_ARGS = ["--seed", "7", "--quarters", "4", "--rows", "120", "--defect-rate", "0.05"]  # the Makefile's
SOURCES = (("enforcement", ("enforcement_cases", "enforcement_inspections")), ("product_sampling", ("product_sampling",)),
           ("remediation", ("remediation_projects", "water_quality")))


def _normalised(sql: str) -> str:
    text = re.sub(r"\s+", " ", str(sql)).strip()
    return re.sub(r"\b\d+\b", "N", re.sub(r"'[^']*'", "'?'", text))[:140]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="folder for the landing files and the warehouse (kept)")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    base = args.keep or Path(tempfile.mkdtemp(prefix="night-statements-"))
    os.environ.update(QUALITY_LANDING_DIR=str(base / "landing"), QUALITY_WAREHOUSE=str(base / "wh" / "quality.duckdb"),
                      QUALITY_REPORTS_DIR=str(base / "reports"), QUALITY_CACHE_DIR=str(base / "cache"))
    if not (base / "landing").exists():
        subprocess.run([sys.executable, "-m", "quality_pipeline.demo", "--landing", str(base / "landing"), *DEMO_ARGS],
                       check=True, stdout=subprocess.DEVNULL)

    import great_expectations  # noqa: F401 (imported before the clock starts, as a worker has it)

    from quality_pipeline.orchestration import tasks
    from quality_pipeline.warehouse import writer

    statements: dict[str, list] = collections.defaultdict(lambda: [0, 0.0])
    sql_by_phase: dict[str, float] = collections.Counter()
    phase = ["-"]

    class Timed:
        """The session's connection, timing each `execute`."""

        def __init__(self, con):
            self._con = con

        def execute(self, sql, *rest, **named):
            started = time.perf_counter()
            try:
                self._con.execute(sql, *rest, **named)
                return self
            finally:
                spent = time.perf_counter() - started
                entry = statements[_normalised(sql)]
                entry[0] += 1
                entry[1] += spent
                sql_by_phase[phase[0]] += spent

        def __getattr__(self, name):
            return getattr(self._con, name)

    attach = writer._attach

    def timed_attach(*a, **k):
        started = time.perf_counter()
        con = attach(*a, **k)
        entry = statements["<attach: DETACH IF EXISTS, ATTACH, USE>"]
        entry[0] += 1
        entry[1] += time.perf_counter() - started
        return Timed(con)

    writer._attach = timed_attach
    seconds: dict[str, float] = collections.Counter()

    def run(name, function, *a, **k):
        phase[0] = name
        started = time.perf_counter()
        try:
            return function(*a, **k)
        finally:
            seconds[name] += time.perf_counter() - started

    started = time.perf_counter()
    for source, feeds in SOURCES:
        run_id = f"manual__{source}"
        found = run("discover", tasks.discover_files, feeds, run_id=run_id)
        prepared = [run("prepare", tasks.prepare_file, item, run_id=run_id) for item in found["work"]]
        for item in run("order", tasks.publish_order, found["work"], prepared, run_id=run_id):
            run("publish_file", tasks.publish_file, item, run_id=run_id)
        run("publish_warehouse", tasks.publish_warehouse)
    run("seeds", tasks.load_reference_data, run_id="seeds")
    run("indicators", tasks.refresh_indicators)
    seconds["whole night"] = time.perf_counter() - started
    print(json.dumps({"seconds": {k: round(v, 2) for k, v in seconds.items()},
                      "sql_seconds": {k: round(v, 2) for k, v in sql_by_phase.items()},
                      "statements": sum(n for n, _ in statements.values()),
                      "folder": str(base)}, ensure_ascii=False))
    for text, (count, spent) in sorted(statements.items(), key=lambda kv: -kv[1][1])[:args.top]:
        print(f"{spent:7.2f} s {count:5d} x {1000 * spent / count:7.1f} ms  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
