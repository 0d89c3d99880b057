"""Interleaved A/B of the ingest: another checkout's ingest, this checkout's, and DuckDB's bare `read_csv`, round
after round, each in its own process, so a change of load hits all three alike.

    python bench/ab_ingest.py <csv> --base <other checkout> [--rounds 3] [--out rounds.jsonl]

The other checkout (a `git worktree` of the code before a change) runs with this checkout's virtualenv and its
own package first on PYTHONPATH, and its own `bench/ingest_once.py`. Each round prints and appends one JSON
line: both ingests' seconds, CPU seconds of the ingest (when that checkout's ingest_once reports them) and of the
whole child process (interpreter and GX import included, the same on both sides), peak RSS, the load before
each, their steps, and the ratio of each ingest to the round's bare load (bench/results.md has the figures).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import _DUCKDB_BARE  # noqa: E402

HERE = Path(__file__).resolve().parents[1]


def _child(args: list[str], env: dict | None = None, cwd: Path | None = None) -> dict:
    """Run a Python child; its last stdout line (JSON) with the child's CPU seconds (user + system) added."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["process_cpu"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2)
    return out


def _ingest(tree: Path, csv: Path, work: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree / "include"))
    return _child([str(tree / "bench" / "ingest_once.py"), str(csv), str(work)], env=env, cwd=tree)


def _bare(csv: Path, work: Path) -> dict:
    db = work / "bare.duckdb"
    db.unlink(missing_ok=True)
    try:
        return _child(["-c", _DUCKDB_BARE, str(csv), str(db)])
    finally:
        db.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("csv", type=Path)
    parser.add_argument("--base", type=Path, required=True, help="the other checkout (the code before)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/quality-ab"))
    parser.add_argument("--out", type=Path, help="append each round as a JSON line here")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    runs = {"base": lambda: _ingest(args.base.resolve(), args.csv, args.work / "base"),
            "branch": lambda: _ingest(HERE, args.csv, args.work / "branch"),
            "bare": lambda: _bare(args.csv, args.work)}
    for n in range(args.rounds):
        row: dict = {"round": n + 1}
        for name, run in runs.items():
            load = os.getloadavg()[0]
            result = run()
            row[name] = {"seconds": round(result["seconds"], 2), "cpu": result.get("cpu_seconds"),
                         "process_cpu": result["process_cpu"], "peak_rss_mb": result["peak_rss_mb"],
                         "load": round(load, 1), "status": result.get("status"),
                         "stages": result.get("stages"), "cpu_stages": result.get("cpu_stages")}
        for name in ("base", "branch"):
            row[f"ratio_{name}"] = round(row[name]["seconds"] / row["bare"]["seconds"], 2)
        if args.out:
            with open(args.out, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(json.dumps({k: ({kk: vv for kk, vv in v.items() if "stages" not in kk} if isinstance(v, dict) else v)
                          for k, v in row.items()}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
