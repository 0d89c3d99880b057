"""Command line: write demo extracts into a landing folder and their ground truth beside it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from quality_pipeline.demo.generator import generate
from quality_pipeline.region import load_region
from quality_pipeline.settings import DEFAULT_REGION_FILE
from quality_pipeline.terminal import printable

LEGEND = """What was written: each office's extracts, as offices send them (titles above the header, merged cells,
GBK-encoded CSVs, renamed columns). Some rows carry planted defects on purpose, so that every check of the
pipeline has something to catch: "rejected" rows break a rule (an invalid USCC, a date outside the period, a
missing key) and go to audit.quarantine with the reason; "flagged" rows load with a warning in audit.row_flags;
"duplicates" are exact copies the pipeline drops; a "rejected" file cannot be read at all."""


def explain(truth, target: Path, out: TextIO | None = None) -> None:
    """Print what the generator wrote, what its planted defects are, and what the truth file is for."""
    out = out or sys.stdout
    print(LEGEND, file=out)
    for feed, s in truth.feed_summary().items():
        print(f"  {feed}: {s['files']} files ({s['files_rejected']} rejected, "
              f"{s['files_duplicate']} duplicate), "
              f"{s['rows_read']} rows read → {s['rows_loaded']} should load ({s['rows_flagged']} of them flagged), "
              f"{s['rows_rejected']} be rejected, {s['duplicates_dropped']} be dropped as duplicates", file=out)
    print(f"truth: {printable(target)}\n  the answer key: what each file and row should become and every "
          "indicator it should give; the tests compare the warehouse with it (you need not open it)",
          file=out, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quality_pipeline.demo", description=__doc__)
    parser.add_argument("--landing", type=Path, required=True, help="landing folder to write into")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quarters", type=int, default=4)
    parser.add_argument("--end-quarter", default="2026Q3")
    parser.add_argument("--rows", type=int, default=120, help="product-sampling rows per quarter")
    parser.add_argument("--defect-rate", type=float, default=0.05)
    parser.add_argument("--clean", action="store_true", help="tidy layout and values (defects still apply)")
    parser.add_argument("--merged-body", action="store_true", help="merge street cells in xlsx bodies")
    parser.add_argument("--round", type=int, default=1, choices=[1, 2])
    parser.add_argument("--region", type=Path, default=DEFAULT_REGION_FILE, help="region YAML file")
    parser.add_argument("--truth", type=Path, help="truth JSON (default: <landing>/../demo_truth.json)")
    parser.add_argument("--correct", metavar="QUARTER",
                        help="also deliver a corrected sampling sheet of QUARTER, sent after every other file")
    args = parser.parse_args(argv)
    truth = generate(args.landing, seed=args.seed, end_quarter=args.end_quarter, quarters=args.quarters,
                     rows_per_quarter=args.rows, defect_rate=args.defect_rate, messy=not args.clean,
                     region=load_region(args.region), round=args.round, merged_body=args.merged_body,
                     correct=args.correct)
    target = args.truth or args.landing.resolve().parent / "demo_truth.json"
    truth.to_json(target)
    explain(truth, target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
