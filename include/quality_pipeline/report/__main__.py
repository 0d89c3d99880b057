"""`python -m quality_pipeline.report [--quarter 2026Q3 ...] [--all]`: write reports, print their paths."""

from __future__ import annotations

import argparse
import sys

from quality_pipeline.report.build import build_report, build_reports
from quality_pipeline.terminal import printable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quality_pipeline.report", description=__doc__)
    parser.add_argument("--quarter", action="append",
                        help="a quarter such as 2026Q3 (repeatable; default: the latest closed quarter; a provisional one is marked)")
    parser.add_argument("--all", action="store_true", help="every quarter with indicators")
    args = parser.parse_args(argv)
    try:
        if args.all:
            written = build_reports(None)
        elif args.quarter:
            written = build_reports(args.quarter)
        else:
            written = [build_report()]
    except (FileNotFoundError, LookupError, ValueError) as exc:
        print(f"report: {printable(exc)}", file=sys.stderr)
        return 1
    for paths in written:
        print(f"{paths.quarter}  {paths.html}")
        print(f"{paths.quarter}  {paths.xlsx}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
