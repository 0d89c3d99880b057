"""`make bench`: the pipeline against its goals, written to bench/results.md.

- R: the 1M-row CSV ingest against DuckDB's bare `read_csv -> table` of the same file, three interleaved pairs
  (ingest, bare, ingest, bare, ...), the median of the three ratios, each pair with the load average;
- M: the peak RSS (VmHWM) of the 5M-row ingest;
- S: a 120-row delivery against the ~3 GB history of `make bench-history` (bench/history.py), in its own
  process, interpreter start and the GX import not counted (bench/ingest_once.py --history);
- N: `make run` on the demo landing folder with nothing new, wall time through the DAGs (`bench/nights.py`);
- ingest (parse + validate + publish, one file into a fresh warehouse, in a child process so its ru_maxrss
  is the peak of that ingest) of 1,000,000- and 5,000,000-row product-sampling CSVs and a 200,000-row XLSX,
  beside DuckDB's bare `read_csv -> table` of the same file: the ratio, rows per second, peak RSS;
- the import time of every DAG file (after `airflow.sdk`, as the DagBag sees it);
- `quarterly_indicators` (`indicators.compute.refresh`) over 10,000,000 sampling rows built in SQL;
- `make run` on the demo landing folder, every file new and then nothing new (bench/nights.py).

Goals (reported, not asserted): R <= 3, M <= 1,200 MB, S <= 1.5 s, N <= 40 s, every DAG file < 0.5 s. The last
line printed is `ratio_vs_duckdb=R peak_rss_mb=M small_delivery_3gb_s=S noop_night_s=N`.
The extracts are generated into a temporary folder (`--keep DIR` keeps and reuses them). A child that
passes `--rss-cap-mb` or the time left is killed and reported as such, so the whole run stays under 15 min.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    FINAL_PREFIX,
    PROJECT_ROOT,
    machine,
    run_child,
    sampling_csvs,
    sampling_xlsx,
    summary_line,
    table,
    write_section,
)
from nights import measure_make_run  # noqa: E402
from nights import section as nights_section  # noqa: E402

BUDGET_S = 15 * 60
GOAL_RATIO, GOAL_RSS_MB, GOAL_IMPORT_S, GOAL_SMALL_S, GOAL_NOOP_S = 3.0, 1200, 0.5, 1.5, 40.0
HISTORY = Path(__file__).resolve().parent / "data" / "history"
RATIO_PAIRS = 3
GOAL_SIZE_M = 5_000_000  # the CSV whose peak RSS is M

_PEAK = """
def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
"""

_DUCKDB_BARE = _PEAK + """
import json, sys, time, duckdb
con = duckdb.connect(sys.argv[2])
t = time.perf_counter()
path = sys.argv[1].replace("'", "''")
con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")  # a literal: a bound file name runs 2x slower
con.execute("CHECKPOINT")
seconds = time.perf_counter() - t
rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
print(json.dumps({"seconds": seconds, "rows": rows, "peak_rss_mb": peak_mb()}))
"""  # noqa: S608 - a child script; the file name is our own, quotes doubled

_DAG_PROBE = """
import json, sys, time, importlib.util
from airflow.sdk import Asset, Param, dag, task  # noqa: F401  (what the DagBag has loaded before any DAG file)
from airflow.timetables.assets import AssetOrTimeSchedule  # noqa: F401
from airflow.timetables.trigger import CronTriggerTimetable  # noqa: F401
import pendulum  # noqa: F401
spec = importlib.util.spec_from_file_location("probe_dag", sys.argv[1])
module = importlib.util.module_from_spec(spec)
t = time.perf_counter()
spec.loader.exec_module(module)
print(json.dumps({"seconds": time.perf_counter() - t}))
"""

_INDICATORS = _PEAK + """
import json, sys, time, duckdb
from quality_pipeline.feeds import load_feed
from quality_pipeline.indicators.compute import refresh
from quality_pipeline.loading import current
from quality_pipeline.region import load_region
from quality_pipeline.settings import DEFAULT_INDEX_FILE, DEFAULT_REGION_FILE
from quality_pipeline.warehouse.migrations import migrate
rows = int(sys.argv[2])
region = load_region(DEFAULT_REGION_FILE)
con = duckdb.connect(sys.argv[1])
migrate(con)
t = time.perf_counter()
con.execute('''
    INSERT INTO raw.product_sampling (sample_no, plan_level, sampling_stage, product_category, industry_code,
        product_name, inspected_unit, street, sampling_date, conclusion, failed_items, followup_status,
        _file_id, _run_id, _delivery_seq, _sheet, _row_number, _loaded_at)
    WITH streets AS (SELECT street, row_number() OVER () - 1 AS k FROM (SELECT unnest($streets) AS street)),
    g AS (SELECT i, hash(i) % len($streets) AS s, hash(i * 31) % 365 AS d, hash(i * 7) % 100 AS c FROM range($rows) t(i))
    SELECT 'BS' || lpad(CAST(i % (($rows * 19) // 20) AS VARCHAR), 9, '0'),   -- 5% of keys delivered twice
           (['国抽', '省抽', '市抽', '区抽'])[1 + i % 4], (['生产', '流通', '电商'])[1 + i % 3],
           (['电工', '食品相关', '日用消费品', '建筑装饰材料', '儿童用品'])[1 + (i // 7) % 5], CAST(13 + i % 31 AS VARCHAR),
           '产品' || (i % 50), '企业' || (i % 20000),
           CASE WHEN i % 50 = 0 THEN '外区街道' ELSE streets.street END,
           DATE '2025-10-01' + CAST(d AS INTEGER),
           CASE WHEN c < 1 THEN '拒检' WHEN c < 7 THEN '不合格' ELSE '合格' END,
           CASE WHEN c BETWEEN 1 AND 6 THEN '标志' END,
           CASE WHEN c BETWEEN 1 AND 6 THEN (['未处理', '整改中', '复查合格', '已立案'])[1 + i % 4] END,
           i // 1000000 + 1, 'bench', i // 1000000 + 1, NULL, CAST(i % 1000000 AS INTEGER) + 2, now()
    FROM g JOIN streets ON streets.k = g.s
''', {"rows": rows, "streets": list(region.streets)})
current.rebuild(con, load_feed("product_sampling"))  # core.* as a publish keeps it (rows written here in SQL)
con.execute("CHECKPOINT")
built = time.perf_counter() - t
t = time.perf_counter()
out = refresh(con, region, DEFAULT_INDEX_FILE, full=True)
seconds = time.perf_counter() - t
print(json.dumps({"rows": rows, "build_seconds": built, "seconds": seconds, "indicator_rows": len(out),
                  "peak_rss_mb": peak_mb()}))
"""  # noqa: S608 - a child script; values are bound parameters


class Clock:
    def __init__(self, budget_s: float):
        self.start, self.budget = time.perf_counter(), budget_s

    def left(self) -> float:
        return self.budget - (time.perf_counter() - self.start)


def _ingest(path: Path, work: Path, clock: Clock, cap_mb: float, reserve_s: float) -> dict:
    timeout = max(30.0, clock.left() - reserve_s)
    out = run_child([str(Path(__file__).with_name("ingest_once.py")), str(path), str(work / "ingest")],
                    timeout_s=timeout, rss_cap_mb=cap_mb)
    out.setdefault("rows_read", None)
    return out


def _bare(path: Path, work: Path) -> dict:
    db = work / "bare.duckdb"
    db.unlink(missing_ok=True)
    out = run_child(["-c", _DUCKDB_BARE, str(path), str(db)], timeout_s=300, rss_cap_mb=1e9)
    db.unlink(missing_ok=True)
    return out


def _ratio_pairs(path: Path, work: Path, clock: Clock, cap_mb: float) -> list[dict]:
    """R: ingest and bare read_csv of the same file, interleaved, so a change of load hits both sides alike."""
    pairs = []
    for _ in range(RATIO_PAIRS):
        load = os.getloadavg()[0]
        result = _ingest(path, work, clock, cap_mb, 200.0)
        bare = _bare(path, work) if "error" not in result else {}
        ratio = result["seconds"] / bare["seconds"] if bare.get("seconds") else None
        pairs.append({"result": result, "bare": bare, "ratio": ratio, "load_before": load,
                      "load_after": os.getloadavg()[0]})
        print(f"{path.name} pair: ingest {result.get('seconds', 0):.1f} s, bare {bare.get('seconds', 0):.2f} s, "
              f"ratio {ratio or 0:.2f}, load {load:.1f}", flush=True)
    return pairs


def _small_delivery(work: Path, clock: Clock) -> dict:
    """S: the 120-row delivery into a copy of the 3 GB history (the copy is not timed), in its own process."""
    record = HISTORY / "history.json"
    if not record.exists():
        return {"error": "no history: run `make bench-history`"}
    info = json.loads(record.read_text())
    load = os.getloadavg()[0]
    out = run_child([str(Path(__file__).with_name("ingest_once.py")), info["delivery"], str(work / "small"),
                     "--history", info["warehouse"]], timeout_s=max(60.0, clock.left() - 200), rss_cap_mb=6000)
    shutil.rmtree(work / "small", ignore_errors=True)
    out.update(load_before=load, load_after=os.getloadavg()[0], history_mb=info["size_mb"],
               history_rows=sum(f["rows"] for f in info["feeds"].values()), history_files=info["files"])
    return out


def _noop_night(nights: dict) -> dict:
    """N for the summary line: the night with nothing new that `bench/nights.py` measured (wall, through the DAGs)."""
    if nights.get("nothing_new_exit") != 0:
        return {"error": f"make run with nothing new exited {nights.get('nothing_new_exit')}"}
    before, after = nights["load_nothing_new"]
    return {"seconds": nights["nothing_new_s"], "load_before": before, "load_after": after, "exit": 0}


def _dag_imports() -> list[dict]:
    found = []
    for dag_file in sorted((PROJECT_ROOT / "dags").glob("*.py")):
        runs = [run_child(["-c", _DAG_PROBE, str(dag_file)], timeout_s=120, rss_cap_mb=1e9).get("seconds")
                for _ in range(2)]
        runs = [r for r in runs if r is not None]
        found.append({"file": dag_file.name, "best": min(runs) if runs else None,
                      "median": statistics.median(runs) if runs else None})
    return found


def _fmt_s(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the generated extracts here and reuse them next time")
    parser.add_argument("--rss-cap-mb", type=float, default=6000, help="kill an ingest child above this RSS")
    parser.add_argument("--sizes", default="1000000,5000000", help="CSV row counts (multiples of 1,000,000)")
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    parser.add_argument("--indicator-rows", type=int, default=10_000_000)
    parser.add_argument("--budget-s", type=float, default=BUDGET_S, help="stop measuring after this (default 15 min)")
    parser.add_argument("--only", choices=["ratio"],
                        help="ratio: only R (the interleaved pairs on the smallest CSV) and the peak RSS of each "
                             "larger CSV; writes the section `ingest` and R and M into the summary line")
    args = parser.parse_args()
    clock = Clock(args.budget_s)
    info = machine()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if args.only == "ratio":
        _only_ratio(args, clock, info, sizes)
        return

    tmp = tempfile.TemporaryDirectory(prefix="quality-bench-")
    data = args.keep or Path(tmp.name)
    data.mkdir(parents=True, exist_ok=True)
    work = Path(tmp.name) / "work"
    work.mkdir(exist_ok=True)
    timings = {}

    t = time.perf_counter()
    csvs = {s: data / f"product_sampling_{s}.csv" for s in sizes}
    if not all(p.exists() for p in csvs.values()):
        csvs = sampling_csvs(data, sizes)
    xlsx = data / f"product_sampling_{args.xlsx_rows}.xlsx"
    if not xlsx.exists():
        sampling_xlsx(csvs[sizes[0]], xlsx, args.xlsx_rows)
    timings["generate extracts"] = time.perf_counter() - t
    print(f"extracts ready in {timings['generate extracts']:.0f} s", flush=True)

    t = time.perf_counter()
    small = _small_delivery(work, clock)
    timings["small delivery on the history"] = time.perf_counter() - t
    print("small delivery on the 3 GB history:", json.dumps(small, ensure_ascii=False), flush=True)

    t = time.perf_counter()
    nights = measure_make_run()  # `make run` on the demo landing folder: every file new, then nothing new
    timings["make run (small nights)"] = time.perf_counter() - t
    print("make run, small nights:", json.dumps(nights), flush=True)
    write_section("nights", nights_section(nights))
    night = _noop_night(nights)

    t = time.perf_counter()
    pairs = _ratio_pairs(csvs[sizes[0]], work, clock, args.rss_cap_mb)
    timings[f"ratio pairs {csvs[sizes[0]].name}"] = time.perf_counter() - t
    ingests = [(csvs[sizes[0]], *_median_pair(pairs))]
    for path in [xlsx] + [csvs[s] for s in sizes[1:]]:
        t = time.perf_counter()
        result = _ingest(path, work, clock, args.rss_cap_mb, 30.0 if path == csvs[sizes[-1]] else 200.0)
        bare = _bare(path, work) if path.suffix == ".csv" and "error" not in result else {}
        timings[f"ingest {path.name}"] = time.perf_counter() - t
        ingests.append((path, result, bare))
        print(path.name, json.dumps(result, ensure_ascii=False), "bare:", bare, flush=True)

    t = time.perf_counter()
    dags = _dag_imports() if clock.left() > 60 else []
    timings["DAG imports"] = time.perf_counter() - t
    print("DAG imports:", {d["file"]: d["best"] for d in dags}, flush=True)

    t = time.perf_counter()
    if clock.left() > 150:
        indicators = run_child(["-c", _INDICATORS, str(work / "indicators.duckdb"), str(args.indicator_rows)],
                               timeout_s=max(60.0, clock.left() - 10), rss_cap_mb=args.rss_cap_mb)
    else:
        indicators = {"error": "skipped: the 15-minute budget is spent"}
    (work / "indicators.duckdb").unlink(missing_ok=True)
    timings["indicators"] = time.perf_counter() - t
    print("indicators:", indicators, flush=True)

    _write(info, timings, dags, indicators, ingests, pairs, small, night, sizes, clock)
    tmp.cleanup()


def _only_ratio(args, clock: Clock, info: dict, sizes: list[int]) -> None:
    """`--only ratio`: R and the peak RSS of the larger CSVs, nothing else (a few minutes, not 15)."""
    with tempfile.TemporaryDirectory(prefix="quality-bench-") as tmp:
        data = args.keep or Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        work = Path(tmp) / "work"
        work.mkdir()
        csvs = {s: data / f"product_sampling_{s}.csv" for s in sizes}
        if not all(p.exists() for p in csvs.values()):
            csvs = sampling_csvs(data, sizes)
        pairs = _ratio_pairs(csvs[sizes[0]], work, clock, args.rss_cap_mb)
        ingests = [(csvs[sizes[0]], *_median_pair(pairs), pairs[0]["load_before"])]
        for size in sizes[1:]:
            load = os.getloadavg()[0]
            result = _ingest(csvs[size], work, clock, args.rss_cap_mb, 30.0)
            ingests.append((csvs[size], result, {}, load))
            print(csvs[size].name, json.dumps(result, ensure_ascii=False), f"load {load:.1f}", flush=True)
    ratios = [p["ratio"] for p in pairs if p["ratio"] is not None]
    ratio = statistics.median(ratios) if ratios else None
    rows = []
    for path, result, _, load in ingests:
        ok = "error" not in result
        rows.append([path.name, f"{result['rows_read']:,}" if ok else "—",
                     f"{result['seconds']:.1f} s" if ok else result["error"],
                     f"{result['peak_rss_mb'] if ok else result.get('observed_peak_rss_mb'):,} MB"
                     + ("" if ok else " (killed)"), f"{load:.1f}", result.get("status", "—")])
    stages = _stage_table([(path.name, result) for path, result, _, _ in ingests])
    pair_rows = [[n + 1, _fmt_s(p["result"].get("seconds")), _fmt_s(p["bare"].get("seconds")), _fmt(p["ratio"]),
                  f"{p['load_before']:.1f} → {p['load_after']:.1f}"] for n, p in enumerate(pairs)]
    peak = next((r.get("peak_rss_mb") for p, r, _, _ in ingests if str(GOAL_SIZE_M) in p.name and "error" not in r),
                None)
    text = f"""
## Ingest of {info['date']} (`python bench/run.py --only ratio`)

Machine: {info['nproc']} CPUs ({info['cpu']}), {info['mem_mb']:,} MB RAM, Python {info['python']};
load average {info['load_1min_at_start']:.1f} at start (each figure has the 1-minute load average beside it).
R is the median of {len(pairs)} interleaved pairs: {_fmt(ratio)} ×.

{table(["pair", "ingest", "DuckDB read_csv → table", "ratio", "load (before → after)"], pair_rows)}

{table(["file", "rows", "ingest", "peak RSS (VmHWM)", "load before", "status"], rows)}

Where the ingest time goes, step by step (each step's own seconds, wall and CPU of every thread, as
`bench/ingest_once.py` names them; the 1M file is the pair with the median ratio):

{stages}
"""
    old = summary_line() or ""
    rest = " ".join(f for f in old.split() if f.startswith(("small_delivery_3gb_s=", "noop_night_s=")))
    if not peak and GOAL_SIZE_M not in sizes:  # M not measured by this run: the line keeps the last one
        peak = next((f.split("=", 1)[1] for f in old.split() if f.startswith("peak_rss_mb=")), None)
    final = f"{FINAL_PREFIX}{_fmt(ratio)} peak_rss_mb={peak if peak else 'nan'} " + (
        rest or "small_delivery_3gb_s=nan noop_night_s=nan")
    path = write_section("ingest", text, final_line=final, writer="bench/run.py --only ratio")
    print(f"wrote {path}; load average now {os.getloadavg()[0]:.1f}\n{final}")


def _stage_table(results: list[tuple[str, dict]]) -> str:
    """One row per step of the ingest, a wall and a CPU column per file (a file killed or failed is left out)."""
    done = [(name, r) for name, r in results if "error" not in r and "stages" in r]
    if not done:
        return "—"
    steps = list(dict.fromkeys(k for _, r in done for k in r["stages"]))
    header = ["step", *(f"{name} {kind}" for name, _ in done for kind in ("wall s", "CPU s"))]
    rows = [[step, *(f"{r[key].get(step, 0):.2f}" if key in r else "—" for _, r in done
                     for key in ("stages", "cpu_stages"))] for step in steps]
    rows.append(["whole ingest", *(f"{r[key]:.2f}" if key in r else "—" for _, r in done
                                   for key in ("seconds", "cpu_seconds"))])
    return table(header, rows)


def _median_pair(pairs: list[dict]) -> tuple[dict, dict]:
    done = [p for p in pairs if p["ratio"] is not None]
    if not done:
        return pairs[0]["result"], pairs[0]["bare"]
    middle = sorted(done, key=lambda p: p["ratio"])[len(done) // 2]
    return middle["result"], middle["bare"]


def _fmt(value: float | None, digits: int = 2) -> str:
    return "nan" if value is None else f"{value:.{digits}f}"


def _write(info, timings, dags, indicators, ingests, pairs, small, night, sizes, clock) -> None:
    rows, stages_rows = [], []
    ratios = [p["ratio"] for p in pairs if p["ratio"] is not None]
    ratio_1m = statistics.median(ratios) if ratios else None
    peak_5m = None
    for path, result, bare in ingests:
        ok = "error" not in result
        seconds = result.get("seconds")
        ratio = seconds / bare["seconds"] if ok and bare.get("seconds") else None
        peak = result.get("peak_rss_mb") if ok else result.get("observed_peak_rss_mb")
        n_rows = result.get("rows_read") if ok else None
        if path.suffix == ".csv" and str(max(sizes)) in path.name:
            peak_5m = peak if ok else None
        rows.append([path.name, f"{n_rows:,}" if n_rows else "—", f"{seconds:.1f} s" if ok else result["error"],
                     _fmt_s(bare.get("seconds")), f"{ratio:.1f}" if ratio else "—",
                     f"{n_rows / seconds:,.0f}" if ok and n_rows else "—",
                     f"{peak:,} MB" + ("" if ok else " (killed)"), result.get("status", "—")])
        if ok:
            stages_rows.append([path.name, f"{result['gx_import_seconds']:.1f}", f"{result['rss_before_ingest_mb']}"])
    stages = _stage_table([(path.name, result) for path, result, _ in ingests])
    pair_rows = [[n + 1, _fmt_s(p["result"].get("seconds")), _fmt_s(p["bare"].get("seconds")),
                  _fmt(p["ratio"]), f"{p['load_before']:.1f} → {p['load_after']:.1f}"] for n, p in enumerate(pairs)]
    dag_rows = [[d["file"], _fmt_s(d["best"]), _fmt_s(d["median"]),
                 "yes" if d["best"] is not None and d["best"] < GOAL_IMPORT_S else "no"] for d in dags]
    slowest_dag = max((d["best"] or 0 for d in dags), default=0)
    ind_ok = "error" not in indicators
    small_s = small.get("seconds") if "error" not in small else None
    night_s = night.get("seconds") if "error" not in night else None
    small_stages = ", ".join(f"{k} {v:.2f} s" for k, v in small.get("stages", {}).items())
    text = f"""
## Run of {info['date']}

Machine: {info['nproc']} CPUs ({info['cpu']}), {info['mem_mb']:,} MB RAM, Python {info['python']};
load average {info['load_1min_at_start']:.1f} at start (other work on the machine slows every figure; each
figure below has the 1-minute load average beside it).
Whole run: {sum(timings.values()):.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in timings.items())}).

### Goals

{table(["goal", "measured", "load", "met"], [
    [f"R: 1M-row CSV ingest ≤ {GOAL_RATIO:g} × DuckDB's bare read_csv (median of {len(pairs)} interleaved pairs)",
     f"{ratio_1m:.2f} ×" if ratio_1m else "—",
     ", ".join(f"{p['load_before']:.1f}" for p in pairs), "yes" if ratio_1m and ratio_1m <= GOAL_RATIO else "no"],
    [f"M: peak RSS (VmHWM) of the 5M-row ingest ≤ {GOAL_RSS_MB:,} MB", f"{peak_5m:,} MB" if peak_5m else "—", "",
     "yes" if peak_5m and peak_5m <= GOAL_RSS_MB else "no"],
    [f"S: 120-row delivery on the {small.get('history_mb', 0):,} MB history ≤ {GOAL_SMALL_S:g} s",
     _fmt_s(small_s) if small_s is not None else small.get("error", "—"),
     f"{small.get('load_before', 0):.1f}", "yes" if small_s is not None and small_s <= GOAL_SMALL_S else "no"],
    [f"N: `make run` with nothing new (demo landing folder) ≤ {GOAL_NOOP_S:g} s",
     _fmt_s(night_s) if night_s is not None else night.get("error", "—"),
     f"{night.get('load_before', 0):.1f}", "yes" if night_s is not None and night_s <= GOAL_NOOP_S else "no"],
    ["every DAG file imports in < 0.5 s", f"slowest {slowest_dag:.2f} s" if dags else "skipped", "",
     "yes" if dags and slowest_dag < GOAL_IMPORT_S else "no"],
])}

### R: the 1M-row CSV, ingest and bare read_csv interleaved

{table(["pair", "ingest", "DuckDB read_csv → table", "ratio", "load (before → after)"], pair_rows)}

### S: a 120-row delivery against the history (`bench/ingest_once.py --history`)

History: {small.get('history_rows', 0):,} raw rows in {small.get('history_files', 0):,} files
({small.get('history_mb', 0):,} MB, `make bench-history`). Status {small.get('status', '—')}, ingest
{_fmt_s(small_s)}, of which: {small_stages or '—'}. Not counted: interpreter start, the GX import
({_fmt_s(small.get('gx_import_seconds'))}), copying the history into place ({_fmt_s(small.get('setup_seconds'))}).
The "other" stage holds the session (open, migrate check), the warehouse queries and the publish, which copies
the whole file today; `bench/storage_proto.py` measures the alternatives (notes below).

### N: a night with nothing new

`make run` on the demo landing folder after a night that loaded it, as `bench/nights.py` measures it (its own
section, "nights", has both nights): {_fmt_s(night_s)}, exit {night.get('exit', '—')},
load {night.get('load_before', 0):.1f} → {night.get('load_after', 0):.1f}.

### Ingest: parse + validate + publish, one file, fresh warehouse, own process

{table(["file", "rows", "ingest", "DuckDB read_csv → table", "ratio", "rows/s", "peak RSS", "status"], rows)}

Where the ingest time goes, step by step (each step's own seconds, wall and CPU of every thread, as
`bench/ingest_once.py` names them; the 1M file is the pair with the median ratio):

{stages}

GX import and the RSS before the ingest started (not in the ingest):

{table(["file", "GX import (s)", "RSS before (MB)"], stages_rows)}

### DAG files: import time after `airflow.sdk` (2 runs each)

{table(["DAG file", "best", "median", "< 0.5 s"], dag_rows)}

### quarterly_indicators over {indicators.get("rows") or 0:,} sampling rows

{table(["step", "time", "peak RSS"], [
    ["build raw.product_sampling in SQL (not timed as indicators)", _fmt_s(indicators.get("build_seconds")), ""],
    ["`indicators.compute.refresh`", _fmt_s(indicators.get("seconds")) if ind_ok else indicators["error"],
     f"{indicators.get('peak_rss_mb') or indicators.get('observed_peak_rss_mb')} MB"],
])}
"""
    final = (f"{FINAL_PREFIX}{_fmt(ratio_1m)} peak_rss_mb={peak_5m if peak_5m else 'nan'} "
             f"small_delivery_3gb_s={_fmt(small_s)} noop_night_s={_fmt(night_s, 1)}")
    path = write_section("run", text, final_line=final)
    print(f"wrote {path} in {clock.budget - clock.left():.0f} s; load average now {os.getloadavg()[0]:.1f}\n{final}")


if __name__ == "__main__":
    main()
