"""`make demo`: every part of the pipeline on generated data, in six steps that each say what they do.

1. demo extracts into an empty landing folder (the generator explains its output);
2. the hand-kept reference seeds (sample data) into `ref.*`, for the report's 存量数据 section;
3. every ingest DAG, then `quarterly_indicators` (what `make run` does);
4. the vintage of the quarter before the last, as if it had been reported;
5. a corrected sampling sheet of that quarter, delivered and loaded, so `marts.indicator_restatements`
   has rows (the last quarter keeps its figures);
6. the latest closed quarter's indicators and its report.

A landing folder that already holds files is used as it is: steps 1, 4 and 5 are skipped, so running the
demo twice neither publishes a second vintage nor delivers a second correction.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from quality_pipeline.demo.periods import window
from quality_pipeline.terminal import printable

INGEST_DAGS = ("ingest_enforcement", "ingest_product_sampling", "ingest_remediation")
STEPS = 6


def step(number: int, text: str, out: TextIO) -> None:
    print(f"[{number}/{STEPS}] {text}", file=out, flush=True)


def reported_quarter(end_quarter: str) -> str:
    """The quarter the demo reports and then corrects: the one before the last, so the last keeps its figures."""
    return str(window(end_quarter, 2)[0])


def generate_extracts(landing: Path, options: dict, out: TextIO) -> None:
    from quality_pipeline.demo.__main__ import explain
    from quality_pipeline.demo.generator import generate

    truth = generate(landing, **options)
    target = landing.resolve().parent / "demo_truth.json"
    truth.to_json(target)
    explain(truth, target, out)


def load_seeds(out: TextIO) -> None:
    from quality_pipeline.reference import load_reference
    from quality_pipeline.warehouse.writer import write_session

    with write_session() as con:
        summary = load_reference(con, run_id="make-demo")
    rows = ", ".join(f"{name} {count}" for name, count in summary["rows"].items())
    print(f"      seeds {summary['version']} loaded ({rows}); the committed seeds are sample data",
          file=out, flush=True)


def run_dags(dags: list[str], out: TextIO, conf: dict | None = None) -> int:
    from quality_pipeline import run

    extra = ["--conf", json.dumps(conf)] if conf else []
    status = run.main([*extra, *dags], out=out)
    if status in (run.TERMINATED, run.INTERRUPTED):  # stopped: the tour stops there too, as make run does
        run.leave(status)
    return status


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m quality_pipeline.demo.tour", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quarters", type=int, default=4)
    parser.add_argument("--end-quarter", default="2026Q3")
    parser.add_argument("--rows", type=int, default=120)
    parser.add_argument("--defect-rate", type=float, default=0.05)
    args = parser.parse_args(argv)
    options = {"seed": args.seed, "end_quarter": args.end_quarter, "quarters": args.quarters,
               "rows_per_quarter": args.rows, "defect_rate": args.defect_rate}
    fresh = not any(p.is_file() for p in args.landing.rglob("*")) if args.landing.exists() else True
    reported = reported_quarter(args.end_quarter)

    if fresh:
        step(1, f"generating demo extracts into {printable(args.landing)} ...", out)
        generate_extracts(args.landing, options, out)
    else:
        step(1, f"{printable(args.landing)} already holds files: using them (no new extracts, vintage or correction)",
             out)
    step(2, "loading the reference seeds (warehouse/seeds/) ...", out)
    load_seeds(out)
    step(3, "running every ingest DAG, then quarterly_indicators (airflow dags test) ...", out)
    failed = run_dags([*INGEST_DAGS, "quarterly_indicators"], out)
    if fresh:
        step(4, f"publishing the vintage of {reported}, as if it had been reported ...", out)
        failed |= run_dags(["quarterly_indicators"], out, {"quarters": [reported], "publish_vintage": True})
        step(5, f"delivering a corrected sampling sheet of {reported} and running again ...", out)
        from quality_pipeline.demo.generator import generate

        truth = generate(args.landing, **options, correct=reported)
        truth.to_json(args.landing.resolve().parent / "demo_truth.json")
        print(f"      {printable(truth.files[-1].path)}: conclusions changed for a few samples, defects fixed",
              file=out, flush=True)
        failed |= run_dags(["ingest_product_sampling", "quarterly_indicators"], out)
    else:
        step(4, "skipped (not a fresh demo)", out)
        step(5, "skipped (not a fresh demo)", out)
    step(6, "the latest closed quarter and its report:", out)
    return failed


if __name__ == "__main__":
    sys.exit(main())
