"""Command line for what the Makefile does outside Airflow: show indicators, summarise a run, write suites."""

from __future__ import annotations

import argparse
import sys

from quality_pipeline.terminal import printable


def _pad(text: str, width: int) -> str:
    """Left-align text whose CJK characters take two columns on a terminal."""
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)
    return text + " " * max(0, width - len(text) - wide)


def show_indicators(quarter: str | None, scope: str) -> int:
    from quality_pipeline.indicators.compute import indicator_config
    from quality_pipeline.settings import load_settings
    from quality_pipeline.warehouse.writer import read_only

    settings = load_settings()
    if not settings.warehouse.exists():
        print(f"no warehouse at {printable(settings.warehouse)}: run `make run` first", file=sys.stderr)
        return 1
    con = read_only(settings)
    try:
        quarter = quarter or con.execute("SELECT max(quarter) FROM marts.quarterly_indicators").fetchone()[0]
        if quarter is None:
            print("marts.quarterly_indicators is empty: no quarter has data yet", file=sys.stderr)
            return 1
        rows = con.execute(
            "SELECT indicator, value, numerator, denominator, target, target_met, unit "
            "FROM marts.quarterly_indicators WHERE quarter = ? AND scope = ? ORDER BY indicator",
            [quarter, scope],
        ).fetchall()
    finally:
        con.close()
    labels = indicator_config()
    print(f"\n{printable(quarter)} · {printable(scope)} — marts.quarterly_indicators ({printable(settings.warehouse)})\n")
    header = f"{'indicator':<38} {_pad('指标', 16)} {'value':>16} {'of':>29} {'target':>9}  {'met':<4} unit"
    print(header)
    print("-" * (len(header) + 8))
    for indicator, value, num, den, target, met, unit in rows:
        shown = "—" if value is None else f"{value:,.2f}"
        ratio = f"{num:,.0f}/{den:,.0f}" if num is not None and den is not None else ""
        tgt = "" if target is None else f"{target:,.0f}"
        flag = "" if met is None else ("yes" if met else "NO")
        label = printable(labels.get(indicator, {}).get("label_zh", ""))
        print(f"{printable(indicator):<38} {_pad(label, 16)} {shown:>16} {ratio:>29} {tgt:>9}  {flag:<4} {printable(unit)}")
    return 0


def run_summary(run_like: str | None) -> int:
    from quality_pipeline.settings import load_settings
    from quality_pipeline.warehouse.writer import read_only

    settings = load_settings()
    if not settings.warehouse.exists():
        return 0
    con = read_only(settings)
    try:
        rows = con.execute(
            "SELECT status, count(*), sum(rows_read), sum(rows_loaded), sum(rows_rejected), "
            "sum(duplicates_dropped), sum(rows_held) FROM audit.files "
            "WHERE ? IS NULL OR run_id LIKE ? GROUP BY status ORDER BY status",
            [run_like, run_like],
        ).fetchall()
    finally:
        con.close()
    for status, files, read, loaded, rejected, dups, held in rows:
        print(f"  {printable(status):<9} {files:>4} files  rows read {read:>8}  loaded {loaded:>8}  rejected {rejected:>6}  "
              f"duplicates {dups:>5}  held {held:>6}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quality_pipeline.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("indicators", help="print one quarter's indicators (default: the latest)")
    show.add_argument("--quarter")
    show.add_argument("--scope", default="district")
    summary = sub.add_parser("files", help="summarise audit.files")
    summary.add_argument("--run-like", default=None)
    sub.add_parser("write-suites", help="regenerate expectations/*.json from the feed declarations")
    args = parser.parse_args(argv)
    if args.command == "indicators":
        return show_indicators(args.quarter, args.scope)
    if args.command == "files":
        return run_summary(args.run_like)
    from quality_pipeline.validation.suites import write_all

    for path in write_all():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
