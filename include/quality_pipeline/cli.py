"""Command line for what the Makefile does outside Airflow: show indicators, summarise a run, write suites."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from quality_pipeline.sql_files import sql_file
from quality_pipeline.terminal import printable


def _pad(text: str, width: int) -> str:
    """Left-align text whose CJK characters take two columns on a terminal."""
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)
    return text + " " * max(0, width - len(text) - wide)


def _status_lines(status: str, as_of, elapsed: float) -> list[str]:
    from quality_pipeline.report import labels

    if status != "provisional":
        return [f"状态 status: {labels.status_text(False, elapsed)}"]
    shown = as_of.strftime("%Y-%m-%d %H:%M") if as_of else "—"
    return [f"状态 status: {labels.status_text(True, elapsed)}",
            f"数据截至 data as of {shown} (最后一次报送 last delivery)"]


def _pick_quarter(statuses: dict[str, str], quarter: str | None) -> tuple[str | None, str | None]:
    """The quarter to show (asked for, else the latest closed) or, when there is none, why not."""
    from quality_pipeline.report.data import latest_closed

    if not statuses:
        return None, "marts.quarterly_indicators is empty: no quarter has data yet"
    if quarter is None:
        chosen = latest_closed(statuses)
        if chosen is None:
            return None, (f"没有已结束的季度（{', '.join(statuses)} 均未结束）/ no closed quarter yet "
                          f"({', '.join(statuses)} still provisional): ask for one with --quarter")
        return chosen, None
    if quarter not in statuses:
        return None, f"没有 {quarter} 的指标 / no indicators for {quarter} (the warehouse has {', '.join(statuses)})"
    return quarter, None


def _year_rows(con, year: int) -> list[tuple]:
    return con.execute(sql_file(__file__, "annual_district_indicators"), {"year": year}).fetchall()


def _print_year(year: int, rows: list[tuple], labels: dict, today) -> None:
    from quality_pipeline.indicators.compute import ACCUMULATING_UNITS, year_elapsed_share

    if not rows:
        return
    through, status = rows[0][6], rows[0][7]
    share = year_elapsed_share(through, today)
    print(f"\n{year} 年度累计 year to date — marts.annual_indicators, through {through} ({status}; "
          f"全年已过 {share:.0%} of the year)\n")
    header = (f"{'indicator':<38} {_pad('指标', 16)} {'year to date':>16} {'target':>9} {'pro-rated':>10}  "
              f"{'met':<4} {'on track':<8}")
    print(header)
    print("-" * len(header))
    for indicator, value, target, met, on_track, unit, _, _ in rows:
        if target is None:
            continue
        pace = target * share if unit in ACCUMULATING_UNITS else target
        shown = "—" if value is None else f"{value:,.2f}"
        print(f"{indicator:<38} {_pad(labels.get(indicator, {}).get('label_zh', ''), 16)} {shown:>16} "
              f"{target:>9,.0f} {pace:>10,.1f}  {_flag(met):<4} {_flag(on_track):<8}")


def _flag(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "NO")


def show_indicators(quarter: str | None, scope: str, today=None) -> int:
    """Print one quarter's figures (default: the latest closed quarter on `today`) and its year to date."""
    from quality_pipeline import calendar
    from quality_pipeline.indicators import periods
    from quality_pipeline.indicators.compute import ACCUMULATING_UNITS, indicator_config
    from quality_pipeline.region import load_region
    from quality_pipeline.report.data import quarter_statuses
    from quality_pipeline.settings import load_settings
    from quality_pipeline.warehouse.writer import read_only

    settings = load_settings()
    if not settings.warehouse.exists():
        print(f"no warehouse at {printable(settings.warehouse)}: run `make run` first", file=sys.stderr)
        return 1
    today = today or calendar.local_today()
    con = read_only(settings)
    try:
        statuses = quarter_statuses(con, today, load_region(settings.region_file).grace_days)
        quarter, problem = _pick_quarter(statuses, quarter)
        if problem:
            print(problem, file=sys.stderr)
            return 1
        rows = con.execute(sql_file(__file__, "quarter_indicators"), {"quarter": quarter, "scope": scope}).fetchall()
        as_of = con.execute("SELECT max(processed_at) FROM audit.files WHERE status = 'loaded'").fetchone()[0]
        year_rows = _year_rows(con, calendar.parse_quarter(quarter)[0]) if scope == "district" else []
    finally:
        con.close()
    labels = indicator_config()
    status, elapsed = statuses[quarter], periods.elapsed_share(quarter, today)
    provisional = status == periods.PROVISIONAL
    mark = " · 季度未结束 PROVISIONAL" if provisional else ""
    print(f"\n{printable(quarter)}{mark} · {printable(scope)} — marts.quarterly_indicators ({printable(settings.warehouse)})")
    print("\n".join(_status_lines(status, as_of, elapsed)) + "\n")
    header = f"{'indicator':<38} {_pad('指标', 16)} {'value':>16} {'of':>29} {'target':>9}  {'met':<4} unit"
    print(header)
    print("-" * (len(header) + 8))
    for indicator, value, num, den, target, met, unit in rows:
        shown = "—" if value is None else f"{value:,.2f}"
        ratio = f"{num:,.0f}/{den:,.0f}" if num is not None and den is not None else ""
        tgt = "" if target is None else f"{target:,.0f}"
        partial = f"  (partial: {elapsed:.0%} of the quarter)" if provisional and unit in ACCUMULATING_UNITS else ""
        label = printable(labels.get(indicator, {}).get("label_zh", ""))
        print(f"{printable(indicator):<38} {_pad(label, 16)} {shown:>16} {ratio:>29} {tgt:>9}  "
              f"{_flag(met):<4} {printable(unit)}{partial}")
    _print_year(calendar.parse_quarter(quarter)[0], year_rows, labels, today)
    return 0


def run_summary(run_like: str | None) -> int:
    from quality_pipeline.settings import load_settings
    from quality_pipeline.warehouse.writer import read_only

    settings = load_settings()
    if not settings.warehouse.exists():
        return 0
    con = read_only(settings)
    try:
        rows = con.execute(sql_file(__file__, "files_by_status"), {"run_like": run_like}).fetchall()
    finally:
        con.close()
    for status, files, read, loaded, rejected, dups, held in rows:
        print(f"  {printable(status):<9} {files:>4} files  rows read {read:>8}  loaded {loaded:>8}  rejected {rejected:>6}  "
              f"duplicates {dups:>5}  held {held:>6}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quality_pipeline.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("indicators", help="print one quarter's indicators (default: the latest closed quarter) "
                          "and its year to date")
    show.add_argument("--quarter", help="e.g. 2026Q4; a quarter not yet closed is shown marked provisional")
    show.add_argument("--scope", default="district")
    show.add_argument("--today", type=date.fromisoformat, default=None,
                      help="judge quarter status as of this day, YYYY-MM-DD (default: today in the region's time zone)")
    summary = sub.add_parser("files", help="summarise audit.files")
    summary.add_argument("--run-like", default=None)
    sub.add_parser("write-suites", help="regenerate expectations/*.json from the feed declarations")
    args = parser.parse_args(argv)
    if args.command == "indicators":
        return show_indicators(args.quarter, args.scope, args.today)
    if args.command == "files":
        return run_summary(args.run_like)
    from quality_pipeline.validation.suites import write_all

    for path in write_all():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
