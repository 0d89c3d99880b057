"""Incremental marts and the core tables against what they replace, on generated sampling rows (issue 15).

`python bench/incremental_marts.py [--rows 10000000] [--db PATH]` builds `raw.product_sampling` in SQL as
`bench/run.py` does (5% of keys delivered twice, one file per million rows, 2025-10 to 2026-09), then, in
this one process (ratios within one run; the load average is printed beside each figure):

- the read of core.*: a sampling mart's aggregate over the core table, against the same over the ranking of
  every version (the view core.* was before V011, `warehouse/templates/core_table.sql` over every key);
- the publish of one more file of `--file-rows` rows in one quarter: its `loading.current.refresh_file`
  (the maintenance added to the publish transaction);
- `quarterly_indicators` (`indicators.compute.refresh`): everything (`full=True`) against the one quarter
  that file made dirty, and a refresh with nothing dirty.

Prints one JSON object and writes its section of bench/results.md (`--from-json FILE` writes the section of
a run saved before, without measuring).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from quality_pipeline.feeds import load_feed
from quality_pipeline.feeds.schema import current_versions
from quality_pipeline.indicators.compute import dirty_quarters, refresh
from quality_pipeline.loading import current
from quality_pipeline.region import load_region
from quality_pipeline.settings import DEFAULT_INDEX_FILE, DEFAULT_REGION_FILE
from quality_pipeline.warehouse.migrations import migrate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import table, write_section  # noqa: E402

BUILD = """
    INSERT INTO raw.product_sampling (sample_no, plan_level, sampling_stage, product_category, industry_code,
        product_name, inspected_unit, street, sampling_date, conclusion, failed_items, followup_status,
        _file_id, _run_id, _delivery_seq, _sheet, _row_number, _loaded_at)
    WITH streets AS (SELECT street, row_number() OVER () - 1 AS k FROM (SELECT unnest($streets) AS street)),
    g AS (SELECT i, hash(i) % len($streets) AS s, hash(i * 31) % 365 AS d, hash(i * 7) % 100 AS c
          FROM range($first, $first + $rows) t(i))
    SELECT $prefix || lpad(CAST(i % (($total * 19) // 20) AS VARCHAR), 9, '0'),
           (['国抽', '省抽', '市抽', '区抽'])[1 + i % 4], (['生产', '流通', '电商'])[1 + i % 3],
           (['电工', '食品相关', '日用消费品', '建筑装饰材料', '儿童用品'])[1 + (i // 7) % 5], CAST(13 + i % 31 AS VARCHAR),
           '产品' || (i % 50), '企业' || (i % 20000),
           CASE WHEN i % 50 = 0 THEN '外区街道' ELSE streets.street END,
           CASE WHEN $day IS NULL THEN DATE '2025-10-01' + CAST(d AS INTEGER) ELSE $day END,
           CASE WHEN c < 1 THEN '拒检' WHEN c < 7 THEN '不合格' ELSE '合格' END,
           CASE WHEN c BETWEEN 1 AND 6 THEN '标志' END,
           CASE WHEN c BETWEEN 1 AND 6 THEN (['未处理', '整改中', '复查合格', '已立案'])[1 + i % 4] END,
           $file + i // 1000000, 'bench', $file + i // 1000000, NULL, CAST(i % 1000000 AS INTEGER) + 2, now()
    FROM g JOIN streets ON streets.k = g.s
"""  # noqa: S608 - values are bound parameters
READ = ("SELECT conclusion, street, strftime(sampling_date, '%Y-%m') AS month, count(*) "
        "FROM {source} GROUP BY ALL")


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _timed(fn) -> dict:
    load = _load()
    t = time.perf_counter()
    out = fn()
    return {"seconds": round(time.perf_counter() - t, 3), "load_before": load, "load_after": _load(), "out": out}


MEASURES = [
    ("read_core_table", "read core.product_sampling (a mart's GROUP BY over the table)"),
    ("read_ranking_every_version", "the same read over the ranking of every version (the view before V011)"),
    ("full_refresh", "quarterly_indicators, everything (`full`)"),
    ("publish_one_file", "publish one more file (its rows written, then `loading.current.refresh_file`)"),
    ("incremental_refresh", "quarterly_indicators, the one quarter that file made dirty (and its year)"),
    ("full_refresh_again", "quarterly_indicators, everything again"),
    ("refresh_nothing_dirty", "quarterly_indicators with nothing dirty"),
    ("rebuild_core", "build core.product_sampling from raw (V011 / the feed SQL do this once)"),
]


def section(report: dict) -> str:
    rows = [[label, report[key]["seconds"], f"{report[key]['load_before']} → {report[key]['load_after']}"]
            for key, label in MEASURES if key in report]
    maintenance = report.get("publish_one_file", {}).get("out", {}).get("refresh_file_seconds")
    return "\n".join([
        f"## Incremental marts and core tables, {report['rows']:,} sampling rows ({report.get('when', '')})",
        "",
        f"`python bench/incremental_marts.py --rows {report['rows']}` on {report['cpus']} CPUs; one process, so "
        "compare within the table; the 1-minute load average before and after each measure (the machine was "
        "shared). Rows as bench/run.py builds them: 12 months, 5% of keys delivered twice; the new file has "
        f"{report.get('file_rows', '?'):,} new keys of one quarter, a twentieth of them twice (the later row wins).",
        "",
        table(["measure", "seconds", "load average"], rows),
        "",
        f"Of the publish, `refresh_file` (core.* and marts.dirty_quarters) took {maintenance} s. The one-quarter "
        "refresh still recomputes its provisional year to date over the year's events, which here hold three of "
        "the four quarters of data: the saving grows with the history kept before the current year.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--file-rows", type=int, default=20_000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--from-json", type=Path, default=None)
    args = parser.parse_args()
    if args.from_json:
        write_section("incremental_marts", section(json.loads(args.from_json.read_text(encoding="utf-8"))))
        return
    folder = tempfile.mkdtemp(prefix="bench-incremental-")
    db = args.db or Path(folder) / "bench.duckdb"
    region, feed = load_region(DEFAULT_REGION_FILE), load_feed("product_sampling")
    con = duckdb.connect(str(db))
    migrate(con)
    streets = list(region.streets)
    report: dict = {"rows": args.rows, "cpus": os.cpu_count(), "file_rows": args.file_rows,
                    "when": dt.datetime.now().strftime("%Y-%m-%d %H:%M")}
    if not con.execute("SELECT count(*) FROM raw.product_sampling").fetchone()[0]:
        con.execute(BUILD, {"first": 0, "rows": args.rows, "total": args.rows, "streets": streets, "file": 1,
                            "day": None, "prefix": "BS"})
        con.execute("INSERT INTO audit.files (file_id, feed, path, sha256, status, run_id, processed_at, "
                    "delivery_seq) SELECT DISTINCT _file_id, 'product_sampling', 'bench-' || _file_id, 'x', "
                    "'loaded', 'bench', now(), _delivery_seq FROM raw.product_sampling")
        report["rebuild_core"] = _timed(lambda: current.rebuild(con, feed))
        con.execute("CHECKPOINT")
        refresh(con, region, DEFAULT_INDEX_FILE, full=True)

    ranking = f"({current_versions(feed)})"
    report["read_core_table"] = _timed(lambda: len(con.execute(READ.format(source="core.product_sampling")).fetchall()))
    report["read_ranking_every_version"] = _timed(lambda: len(con.execute(READ.format(source=ranking)).fetchall()))
    report["full_refresh"] = _timed(lambda: len(refresh(con, region, DEFAULT_INDEX_FILE, full=True)))
    report["refresh_nothing_dirty"] = _timed(lambda: len(refresh(con, region, DEFAULT_INDEX_FILE)))

    # one more file of sampling sheets of 2026-08 (one quarter): new keys, and a twentieth re-delivered from it
    file_id = con.execute("SELECT max(_file_id) + 1 FROM raw.product_sampling").fetchone()[0]

    def publish():
        con.execute("BEGIN")
        con.execute(BUILD, {"first": 0, "rows": args.file_rows, "total": args.rows, "streets": streets,
                            "file": file_id, "day": dt.date(2026, 8, 15), "prefix": "NEW"})
        con.execute(BUILD, {"first": 0, "rows": args.file_rows // 20, "total": args.rows, "streets": streets,
                            "file": file_id, "day": dt.date(2026, 8, 16), "prefix": "NEW"})
        con.execute("UPDATE raw.product_sampling SET _file_id = $f, _delivery_seq = $f WHERE _file_id > $f",
                    {"f": file_id})
        con.execute("INSERT INTO audit.files (file_id, feed, path, sha256, status, run_id, processed_at, "
                    "delivery_seq) VALUES ($f, 'product_sampling', 'bench-new', 'x', 'loaded', 'bench', now(), $f)",
                    {"f": file_id})
        t = time.perf_counter()
        changed = current.refresh_file(con, feed, file_id)
        maintenance = time.perf_counter() - t
        con.execute("COMMIT")
        return {"dirty": changed, "refresh_file_seconds": round(maintenance, 3)}

    report["publish_one_file"] = _timed(publish)
    report["dirty"] = dirty_quarters(con)
    report["incremental_refresh"] = _timed(lambda: len(refresh(con, region, DEFAULT_INDEX_FILE)))
    report["full_refresh_again"] = _timed(lambda: len(refresh(con, region, DEFAULT_INDEX_FILE, full=True)))
    print(json.dumps(report, ensure_ascii=False, indent=1, default=str))
    write_section("incremental_marts", section(report))


if __name__ == "__main__":
    main()
