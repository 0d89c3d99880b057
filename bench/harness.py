"""What every benchmark script shares: the machine, child processes measured for wall time and peak RSS,
and the generated extracts (written to a temporary folder, never committed)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or cpu
    mem_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1 << 20)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"nproc": os.cpu_count(), "mem_mb": mem_mb, "cpu": cpu, "python": platform.python_version(),
            "date": datetime.now().strftime("%Y-%m-%d %H:%M"), "load_1min_at_start": load}


def link_or_copy(source: Path, target: Path) -> None:
    """`target` with `source`'s bytes: a hard link (no copy) where the file system allows one, else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def one_file_warehouse(file: Path, workdir: Path, feed_name: str) -> None:
    """Point this process's pipeline at a fresh `workdir`: a landing folder holding `file` alone, in the folder of
    feed `feed_name`, and a warehouse and reports folder not yet made (the settings' variables are set)."""
    from quality_pipeline.feeds import load_feed

    shutil.rmtree(workdir, ignore_errors=True)
    feed = load_feed(feed_name)
    landing = workdir / "landing"
    (landing / feed.folder).mkdir(parents=True)
    link_or_copy(file, landing / feed.folder / file.name)
    os.environ.update(QUALITY_LANDING_DIR=str(landing), QUALITY_WAREHOUSE=str(workdir / "wh" / "quality.duckdb"),
                      QUALITY_REPORTS_DIR=str(workdir / "reports"), GX_ANALYTICS_ENABLED="false")


def place_history(history: Path, workdir: Path) -> Path:
    """Make the history warehouse `history` (bench/history.py's catalog) the warehouse of `workdir` (as
    `one_file_warehouse` names it): the catalog published (a hard link: a publish renames a new file over it,
    never writes it) and copied as the writer's working copy, and its Parquet files hard-linked (the writer adds
    files and never changes one; nothing in a benchmark deletes one). Returns the published path."""
    from quality_pipeline.warehouse.lake import data_path
    from quality_pipeline.warehouse.writer import WORKING_NAME

    published = workdir / "wh" / "quality.duckdb"
    (published.parent / ".writer").mkdir(parents=True)
    link_or_copy(history, published)
    working = published.parent / ".writer" / WORKING_NAME
    shutil.copyfile(history, working)
    os.chmod(working, 0o600)
    shutil.copytree(data_path(history), data_path(published), copy_function=link_or_copy)
    return published


def run_child(args: list[str], *, timeout_s: float, rss_cap_mb: float, env: dict | None = None) -> dict:
    """Run a Python child that prints one JSON line last; watch its RSS and kill it above the cap.

    Returns the child's JSON (it reports its own ru_maxrss), or {"error": ...} with what was observed.
    """
    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, cwd=PROJECT_ROOT)
    watched, observed_mb, killed = psutil.Process(proc.pid), 0.0, None
    while proc.poll() is None:
        try:
            observed_mb = max(observed_mb, watched.memory_info().rss / (1 << 20))
        except psutil.NoSuchProcess:
            break
        elapsed = time.perf_counter() - started
        if observed_mb > rss_cap_mb:
            killed = f"RSS above {rss_cap_mb:.0f} MB after {elapsed:.0f} s"
        elif elapsed > timeout_s:
            killed = f"not finished within {timeout_s:.0f} s"
        if killed:
            proc.kill()
            break
        time.sleep(0.05)
    stdout, stderr = proc.communicate()
    if killed:
        return {"error": killed, "observed_peak_rss_mb": round(observed_mb), "seconds": time.perf_counter() - started}
    lines = [line for line in stdout.strip().splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": f"exit {proc.returncode}: {stderr.strip().splitlines()[-1] if stderr.strip() else ''}",
                "observed_peak_rss_mb": round(observed_mb), "seconds": time.perf_counter() - started}
    out = json.loads(lines[-1])
    out.setdefault("observed_peak_rss_mb", round(observed_mb))
    return out


def _write_part(path: str, rows: int, seed: int) -> str:
    from quality_pipeline.demo import write_large_sampling_csv

    write_large_sampling_csv(Path(path), rows, seed, start=date(2025, 10, 1))
    return path


def sampling_csvs(folder: Path, sizes: list[int], part_rows: int = 1_000_000) -> dict[int, Path]:
    """Product-sampling CSVs of the given row counts (multiples of `part_rows`): parts are written in parallel
    with `write_large_sampling_csv` (one seed each, so sample numbers never collide) and concatenated."""
    parts_needed = max(sizes) // part_rows
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        parts = list(pool.map(_write_part, [str(folder / f"part{s}.csv") for s in range(1, parts_needed + 1)],
                              [part_rows] * parts_needed, range(1, parts_needed + 1)))
    out = {}
    for size in sizes:
        target = folder / f"product_sampling_{size}.csv"
        with open(target, "wb") as dst:
            for n, part in enumerate(parts[: size // part_rows]):
                with open(part, "rb") as src:
                    if n:
                        src.readline()  # the header once
                    while chunk := src.read(1 << 24):
                        dst.write(chunk)
        out[size] = target
    for part in parts:
        Path(part).unlink()
    return out


def sampling_xlsx(csv_path: Path, target: Path, rows: int) -> Path:
    """The first `rows` rows of a sampling CSV as a workbook an office would send: a title row, then the
    header, dates as date cells (openpyxl, shared strings and all)."""
    import csv
    import itertools

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("抽检结果")
    ws.append(["金平区产品质量监督抽查结果汇总表"])
    with open(csv_path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        ws.append(header)
        day = header.index("抽样日期")
        for row in itertools.islice(reader, rows):
            row[day] = date.fromisoformat(row[day])
            ws.append(row)
    wb.save(target)
    return target


RESULTS = BENCH_DIR / "results.md"
FINAL_PREFIX = "ratio_vs_duckdb="


def write_section(name: str, text: str, final_line: str | None = None, writer: str | None = None) -> Path:
    """Replace the section `name` of results.md (between its markers), keeping every other section; the
    summary line stays the file's last line (`final_line` replaces it). `writer` names the command that
    writes the section when it is not `bench/<name>.py`."""
    begin = f"<!-- begin {name} (written by {writer or f'bench/{name}.py'}) -->"
    end = f"<!-- end {name} -->"
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    lines = current.rstrip("\n").splitlines()
    last = lines.pop() if lines and lines[-1].startswith(FINAL_PREFIX) else None
    body = "\n".join(lines)
    block = f"{begin}\n{text.strip()}\n{end}"
    if begin in body and end in body:
        head, rest = body.split(begin, 1)
        body = head + block + rest.split(end, 1)[1]
    else:
        body = body.rstrip() + "\n\n" + block
    last = final_line or last
    RESULTS.write_text(body.rstrip() + "\n" + (f"\n{last}\n" if last else ""), encoding="utf-8")
    return RESULTS


def summary_line() -> str | None:
    """The summary line results.md ends with now (None when it has none)."""
    if not RESULTS.exists():
        return None
    lines = RESULTS.read_text(encoding="utf-8").rstrip("\n").splitlines()
    return lines[-1] if lines and lines[-1].startswith(FINAL_PREFIX) else None


def table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(out)
