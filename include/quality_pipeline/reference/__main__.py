"""`python -m quality_pipeline.reference [--check] [--as-of YYYY-MM-DD]`: check the seeds, or load them and
print the stock figures. `--check` touches no warehouse; it is what to run after editing a seed file."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from quality_pipeline.reference import SeedError, load_reference, read_seeds, stock_figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quality_pipeline.reference", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check warehouse/seeds/*.csv")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date.today())
    args = parser.parse_args(argv)
    try:
        if args.check:
            version, seeds = read_seeds()
            print(f"seeds {version}: " + ", ".join(f"{s.name} {len(s.rows)} rows" for s in seeds) + " — all checks pass")
            return 0
        from quality_pipeline.warehouse.writer import write_session

        with write_session() as con:
            summary = load_reference(con, run_id="manual")
            summary["stock"] = stock_figures(con, args.as_of)
    except SeedError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
