"""`make bench-history`: a ~3 GB history warehouse and a 120-row delivery, built once and cached.

    python bench/history.py [--out bench/data/history] [--scale 1.0] [--force]

The warehouse is made by the project's own migrations and feed SQL (`warehouse.feed_schema.build`), then
filled with SQL, not by ingesting 3 GB of CSV: five years of quarterly deliveries (2021Q4-2026Q3) of every
feed, each delivery an `audit.files` row (status loaded, its row counts, delivery sequence, sha256) and its
rows in `raw.*` with the file's id and sequence. About 5 % of each feed's keys are delivered again by a later
file (corrections), so `core.*` has versions to choose between; `core.*` is then built from `raw.*` by
`loading.current.rebuild`, as it is kept in a real warehouse. Values vary as real ones do (codes and names
with many distinct values, dates in their quarter), so the file compresses like a real one; everything is a
function of the row number (DuckDB's `hash`), so two builds give the same rows.

Built in a DuckDB file, then converted by the writer's own conversion into the warehouse's storage: the DuckLake
catalog `<out>/quality.duckdb` and its Parquet files under `<out>/quality.lake/` (~3 GB at scale 1, raw and
core), and `<out>/delivery/product_sampling_120.csv`
(120 new sampling rows of 2026Q4, the shape of `demo.write_large_sampling_csv`); `<out>/history.json` records
what was built and with which code version, and a build whose record matches is reused. `bench/data/` is
git-ignored.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import re
import shutil
import stat
import sys
import time
from datetime import date
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_OUT = BENCH_DIR / "data" / "history"
FORMAT = 3  # bump when the generated history changes shape (3: converted into the DuckLake catalog)

# rows per feed at scale 1 (product_sampling carries the bulk, as it does in the district's real data)
ROWS = {
    "product_sampling": 50_000_000,
    "enforcement_cases": 4_000_000,
    "enforcement_inspections": 2_000_000,
    "remediation_projects": 1_600_000,
    "water_quality": 5_500_000,
}
QUARTERS = 20  # 2021Q4 .. 2026Q3
OFFICES = 12  # deliveries per feed per quarter
FIRST_QUARTER = date(2021, 10, 1)

# One SELECT per feed, over `g` (i: row number, f: the file's index 0..files-1, q: its quarter 0..19,
# d: the day in that quarter 0..89; h(x, k) is DuckDB's hash of (x, k) as a non-negative BIGINT): the raw columns in table order, then the seven bookkeeping columns.
# $streets, $first (the first quarter's first day), $rows, $key_rows (distinct keys: 95 % of rows) are bound.
_FEED_SELECT = {
    "product_sampling": """
        'BS' || lpad(CAST(i % $key_rows AS VARCHAR), 10, '0'),
        'JB' || CAST(2021 + q // 4 AS VARCHAR) || lpad(CAST(h(i, 1) % 100000000 AS VARCHAR), 8, '0'),
        (['国抽', '省抽', '市抽', '区抽'])[1 + h(i, 2) % 4],
        (['生产', '流通', '电商'])[1 + h(i, 3) % 3],
        (['电工', '食品相关', '日用消费品', '建筑装饰材料', '儿童用品', '纺织服装', '汽车配件'])[1 + h(i, 4) % 7],
        CAST(13 + h(i, 5) % 31 AS VARCHAR),
        '产品' || CAST(h(i, 6) % 4000 AS VARCHAR),
        '商标' || CAST(h(i, 7) % 30000 AS VARCHAR),
        'XH-' || CAST(h(i, 8) % 200000 AS VARCHAR),
        strftime($first + INTERVAL (q * 3) MONTH - INTERVAL (h(i, 9) % 400) DAY, '%Y%m%d') || '-' || CAST(h(i, 10) % 1000 AS VARCHAR),
        '企业' || CAST(h(i, 11) % 60000 AS VARCHAR) || (['商行', '有限公司', '厂', '经营部'])[1 + h(i, 12) % 4],
        '914405' || lpad(upper(to_hex(h(i, 13) % 1000000000000)), 12, '0'),
        '生产企业' || CAST(h(i, 14) % 40000 AS VARCHAR),
        CASE WHEN h(i, 15) % 50 = 0 THEN '外区街道' ELSE $streets[1 + h(i, 16) % len($streets)] END,
        CAST($first + INTERVAL (q * 3) MONTH + INTERVAL (d) DAY AS DATE),
        (['汕头市质量计量监督检测所', '广东省产品质量监督检验研究院', '国家检测中心'])[1 + h(i, 17) % 3],
        CASE WHEN h(i, 18) % 100 < 1 THEN '拒检' WHEN h(i, 18) % 100 < 7 THEN '不合格' ELSE '合格' END,
        CASE WHEN h(i, 18) % 100 BETWEEN 1 AND 6 THEN (['标志', '材质', '结构', '电气强度'])[1 + h(i, 19) % 4] END,
        CASE WHEN h(i, 18) % 100 BETWEEN 1 AND 6 THEN (['未处理', '整改中', '复查合格', '已立案'])[1 + h(i, 20) % 4] END,
        NULL""",
    "enforcement_cases": """
        'AJ' || lpad(CAST(i % $key_rows AS VARCHAR), 9, '0'),
        '汕金市监罚〔' || CAST(2021 + q // 4 AS VARCHAR) || '〕' || CAST(h(i, 1) % 100000 AS VARCHAR) || '号',
        (['投诉举报', '监督检查', '抽检不合格', '上级交办'])[1 + h(i, 2) % 4],
        CAST($first + INTERVAL (q * 3) MONTH + INTERVAL (d) DAY AS DATE),
        CAST($first + INTERVAL (q * 3) MONTH + INTERVAL (d + 20) DAY AS DATE),
        CASE WHEN h(i, 3) % 3 = 0 THEN NULL ELSE CAST($first + INTERVAL (q * 3) MONTH + INTERVAL (d + 40) DAY AS DATE) END,
        (['产品质量', '计量', '标准化', '认证认可', '特种设备'])[1 + h(i, 4) % 5],
        '当事人' || CAST(h(i, 5) % 80000 AS VARCHAR),
        '914405' || lpad(upper(to_hex(h(i, 6) % 1000000000000)), 12, '0'),
        $streets[1 + h(i, 7) % len($streets)],
        CAST(h(i, 8) % 10000000 AS DECIMAL(18, 2)) / 100,
        CAST(h(i, 9) % 10000000 AS DECIMAL(18, 2)) / 100,
        CAST(h(i, 10) % 5000000 AS DECIMAL(18, 2)) / 100,
        CAST(h(i, 11) % 1000000 AS DECIMAL(18, 2)) / 100,
        h(i, 12) % 20 = 0,
        (['立案', '调查', '已处罚', '结案'])[1 + h(i, 13) % 4],
        NULL""",
    "enforcement_inspections": """
        'JC' || lpad(CAST(i % $key_rows AS VARCHAR), 9, '0'),
        CAST($first + INTERVAL (q * 3) MONTH + INTERVAL (d) DAY AS DATE),
        (['双随机', '专项整治', '节前检查', '日常巡查'])[1 + h(i, 1) % 4],
        $streets[1 + h(i, 2) % len($streets)],
        CAST(2 + h(i, 3) % 6 AS INTEGER),
        CAST(1 + h(i, 4) % 40 AS INTEGER),
        CAST(h(i, 5) % 8 AS INTEGER),
        CAST(h(i, 6) % 3 AS INTEGER),
        NULL""",
    "remediation_projects": """
        'ZZ' || lpad(CAST(i % ($key_rows // 60) AS VARCHAR), 7, '0'),
        CAST(date_trunc('month', $first + INTERVAL (q * 3) MONTH + INTERVAL (d) DAY) AS DATE),
        '河涌' || CAST(h(i % ($key_rows // 60), 1) % 300 AS VARCHAR),
        $streets[1 + h(i % ($key_rows // 60), 2) % len($streets)],
        '河长' || CAST(h(i % ($key_rows // 60), 3) % 900 AS VARCHAR),
        (['劣V类', 'V类', 'IV类'])[1 + h(i, 4) % 3],
        (['截污', '清淤', '补水', '生态修复'])[1 + h(i, 5) % 4],
        CAST(h(i % ($key_rows // 60), 6) % 100000000 AS DECIMAL(18, 2)) / 100,
        CAST(h(i, 7) % 100000000 AS DECIMAL(18, 2)) / 100,
        CAST($first AS DATE),
        CAST($first + INTERVAL 3 YEAR AS DATE),
        NULL,
        CAST(h(i, 8) % 1000 AS DOUBLE) / 10,
        (['在建', '完工', '暂停'])[1 + h(i, 9) % 3],
        NULL""",
    "water_quality": """
        '河涌' || CAST(h(i % 3000, 1) % 300 AS VARCHAR),
        'SZ' || lpad(CAST(i % 3000 AS VARCHAR), 5, '0'),
        CAST($first + INTERVAL (q * 3) MONTH + INTERVAL (d) DAY AS DATE),
        CAST(h(i, 2) % 1000 AS DOUBLE) / 10,
        CAST(h(i, 3) % 1200 AS DOUBLE) / 100,
        CAST(h(i, 4) % 8000 AS DOUBLE) / 10 - 300,
        CAST(h(i, 5) % 3000 AS DOUBLE) / 100,
        CAST(h(i, 6) % 5000 AS DOUBLE) / 10,
        NULL""",
}

_INSERT = """
INSERT INTO raw.{feed}
WITH g AS (
    SELECT i, f, f // $offices AS q, CAST(h(i, 0) % 90 AS INTEGER) AS d
    FROM (SELECT i, i // $per_file AS f FROM range($lo, $hi) t(i))
)
SELECT {select},
       $first_file_id + f, 'history', $first_seq + f, NULL, CAST(i % $per_file AS INTEGER) + 2,
       TIMESTAMP '2021-10-01' + INTERVAL (f) HOUR, NULL
FROM g JOIN pool ON pool.k = g.i % {pool}
"""  # noqa: S608 - our own feed names and SELECTs; every value is bound

# Values that depend on the row alone (not on its key, file or quarter) are computed once for a pool of POOL
# rows and joined on i % POOL: generating every value per row took ~20 s per million rows on this machine.
POOL = 1_000_003
_PER_ROW = re.compile(r"\b[qdf]\b|\$key_rows")


def _split(select: str) -> tuple[str, str]:
    """The pool's SELECT list and the row's SELECT list (pool columns referenced as pool.c<n>)."""
    pooled, row = [], []
    for n, expr in enumerate(e.strip() for e in re.split(r",\n", select.strip())):
        if _PER_ROW.search(expr) or expr == "NULL":
            row.append(expr)
        else:
            pooled.append(f"{expr} AS c{n}")
            row.append(f"pool.c{n}")
    return ", ".join(pooled) or "NULL AS c", ", ".join(row)

_FILES = """
INSERT INTO audit.files (file_id, feed, path, sha256, size_bytes, modified_at, status, rows_read, rows_loaded,
                         encoding, delivery_seq, run_id, processed_at)
SELECT $first_file_id + f, $feed,
       $folder || '/' || CAST(2021 + (f // $offices + 3) // 4 AS VARCHAR) || 'Q' || CAST((f // $offices + 3) % 4 + 1 AS VARCHAR)
           || '-office' || lpad(CAST(f % $offices AS VARCHAR), 2, '0') || '.csv',
       sha256($feed || CAST(f AS VARCHAR)), $per_file * 110, TIMESTAMP '2021-10-01' + INTERVAL (f) HOUR, 'loaded',
       $per_file, $per_file, 'utf-8', $first_seq + f, 'history', TIMESTAMP '2021-10-01' + INTERVAL (f) HOUR
FROM range($files) t(f)
"""


def _fingerprint(scale: float) -> str:
    """What the build depends on: the row counts and SQL above, the migrations and the feed SQL."""
    from quality_pipeline.settings import WAREHOUSE_SQL_DIR

    digest = hashlib.sha256(f"{FORMAT}:{scale}:{ROWS}:{QUARTERS}:{OFFICES}:{POOL}".encode())
    digest.update(json.dumps([_FEED_SELECT, _INSERT, _FILES, _write_delivery.__doc__]).encode())
    for path in sorted(WAREHOUSE_SQL_DIR.glob("migrations/*.sql")) + sorted(WAREHOUSE_SQL_DIR.glob("feeds/*.sql")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _write_delivery(path: Path, region) -> None:
    """120 new sampling rows, the first delivery of 2026Q4 (the quarter after the history): dated 2026-10-01 ..
    2026-11-29, so no quarter of the history is restated (a 120-row restatement of a quarter that had 30,000
    keys would rightly be held)."""
    import csv
    import io
    from datetime import timedelta

    from quality_pipeline.demo import write_large_sampling_csv

    write_large_sampling_csv(path, 120, 99, region=region, start=date(2026, 10, 1))
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    day = rows[0].index("抽样日期")
    for n, row in enumerate(rows[1:]):
        row[day] = (date(2026, 10, 1) + timedelta(days=n % 60)).isoformat()
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)


def build_history(out: Path, scale: float = 1.0, force: bool = False) -> dict:
    """Build (or reuse) the history warehouse and the 120-row delivery under `out`; return history.json."""
    import duckdb

    from quality_pipeline.feeds import load_feed
    from quality_pipeline.loading import current
    from quality_pipeline.region import load_region
    from quality_pipeline.settings import DEFAULT_REGION_FILE
    from quality_pipeline.warehouse.feed_schema import build

    record_path = out / "history.json"
    fingerprint = _fingerprint(scale)
    warehouse = out / "quality.duckdb"
    delivery = out / "delivery" / "product_sampling_120.csv"
    if not force and record_path.exists() and warehouse.exists() and delivery.exists():
        record = json.loads(record_path.read_text())
        if record.get("fingerprint") == fingerprint:
            print(f"history reused: {warehouse} ({record['size_mb']:,} MB, built {record['built']})", flush=True)
            return record

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    tmp = out / "building.duckdb"
    region = load_region(DEFAULT_REGION_FILE)
    started = time.perf_counter()
    con = duckdb.connect(str(tmp))
    # DuckDB's default buffer pool is 80 % of RAM: the core rebuild of 50M rows held 19 GB and was killed
    # beside other work; a cap makes it spill to disk instead
    con.execute("SET memory_limit = '4GB'")
    con.execute("SET temp_directory = ?", [str(out / "spill")])
    build(con)
    con.execute("CREATE TEMP MACRO h(x, k) AS CAST(hash(x, k) >> 1 AS BIGINT)")
    first_file_id, first_seq, built = 1, 1, {}
    for feed_name, full_rows in ROWS.items():
        t = time.perf_counter()
        feed = load_feed(feed_name)
        files = QUARTERS * OFFICES
        per_file = max(1, int(full_rows * scale) // files)
        rows = per_file * files
        params = {"offices": OFFICES, "per_file": per_file, "first_file_id": first_file_id, "first_seq": first_seq}
        con.execute(_FILES, {**params, "feed": feed_name, "folder": feed.folder, "files": files})
        params["first"] = FIRST_QUARTER
        pooled, select = _split(_FEED_SELECT[feed_name])
        sql = f"CREATE OR REPLACE TEMP TABLE pool AS SELECT i AS k, {pooled} FROM range({POOL}) t(i)"  # noqa: S608
        bound = {"streets": list(region.streets), "first": FIRST_QUARTER}
        con.execute(sql, {k: v for k, v in bound.items() if f"${k}" in sql})
        chunk = 4_000_000  # one transaction per chunk keeps the build's memory flat
        for lo in range(0, rows, chunk):
            sql = _INSERT.format(feed=feed_name, select=select, pool=POOL)
            values = {**params, "lo": lo, "hi": min(rows, lo + chunk), "streets": list(region.streets),
                      "key_rows": max(60, rows * 19 // 20)}
            con.execute(sql, {k: v for k, v in values.items() if f"${k}" in sql})
        # core.<feed> holds each key's current version, as a publish keeps it: rows written here with SQL
        # need the same rebuild a test's do (an empty core table would leave its upkeep out of every figure)
        current.rebuild(con, feed)
        first_file_id += files
        first_seq += files
        built[feed_name] = {"rows": rows, "files": files, "seconds": round(time.perf_counter() - t, 1),
                            "core_rows": con.execute(f"SELECT count(*) FROM core.{feed_name}").fetchone()[0]}  # noqa: S608
        if not built[feed_name]["core_rows"]:
            raise SystemExit(f"core.{feed_name} is empty after its rebuild from {rows:,} raw rows")
        print(f"  {feed_name}: {rows:,} rows in {files} files ({built[feed_name]['core_rows']:,} current), "
              f"{built[feed_name]['seconds']} s", flush=True)
    # the numbers continue after the history, as they would have
    con.execute("UPDATE meta.sequences SET value = $n WHERE name = 'audit.file_id'", {"n": first_file_id - 1})
    con.execute("UPDATE meta.sequences SET value = $n WHERE name = 'audit.delivery_seq'", {"n": first_seq - 1})
    con.execute("CHECKPOINT")
    con.close()
    conversion_seconds = convert_to_lake(tmp, warehouse)

    _write_delivery(delivery, region)
    record = {"fingerprint": fingerprint, "scale": scale, "built": time.strftime("%Y-%m-%d %H:%M"),
              "build_seconds": round(time.perf_counter() - started), "conversion_seconds": conversion_seconds,
              "size_mb": lake_mb(warehouse), "catalog_mb": warehouse.stat().st_size >> 20,
              "feeds": built, "files": first_file_id - 1, "warehouse": str(warehouse), "delivery": str(delivery),
              "load_1min": os.getloadavg()[0]}
    record_path.write_text(json.dumps(record, indent=1, ensure_ascii=False))
    print(f"history built: {warehouse} ({record['size_mb']:,} MB in {record['build_seconds']} s)", flush=True)
    return record


def convert_to_lake(plain: Path, warehouse: Path) -> float:
    """Turn the DuckDB file `plain` into the warehouse `warehouse` (a DuckLake catalog and its Parquet files
    beside it) by the writer's own conversion: `plain` becomes the writer's old working copy (moved, not
    copied), the first write session converts and publishes it. Returns the seconds it took."""
    from quality_pipeline.settings import load_settings
    from quality_pipeline.warehouse.writer import OLD_WORKING_NAME, write_session

    settings = dataclasses.replace(load_settings(), warehouse=warehouse, writer_memory_limit="4GB")
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(plain, stat.S_IRUSR | stat.S_IWUSR)
    os.replace(plain, settings.work_dir / OLD_WORKING_NAME)
    started = time.perf_counter()
    with write_session(settings):
        pass
    seconds = round(time.perf_counter() - started, 1)
    print(f"  converted into the DuckLake catalog {warehouse} in {seconds} s", flush=True)
    return seconds


def lake_mb(warehouse: Path) -> int:
    """The catalog and its Parquet files, in MB."""
    from quality_pipeline.warehouse.lake import data_path

    files = [warehouse, *(p for p in data_path(warehouse).rglob("*") if p.is_file())]
    return sum(p.stat().st_size for p in files) >> 20


def build_history_locked(out: Path, scale: float = 1.0, force: bool = False) -> dict:
    """One build at a time: a second `make bench-history` (or `make bench`) waits for the first, then reuses it."""
    from quality_pipeline.filelock import exclusive

    def busy(holder: str) -> None:
        print(f"another history build is running ({holder.strip()}); waiting for it ...", flush=True)

    with exclusive(out.parent / f".{out.name}.lock", f"pid {os.getpid()}\n", on_busy=busy, clear_on_release=True):
        return build_history(out, scale, force)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full row counts (tests: 0.001)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the cached build matches")
    args = parser.parse_args()
    build_history_locked(args.out, args.scale, args.force)


if __name__ == "__main__":
    sys.exit(main())
