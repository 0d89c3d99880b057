"""Ingest one file into a fresh warehouse and print, as one JSON line, how long each step took and the peak RSS.

    python bench/ingest_once.py <file> <workdir> [--feed product_sampling] [--profile out.html] [--history WH]

Run it as a child process (bench/run.py and bench/memory_1m.py do): its peak RSS (VmHWM, the ru_maxrss
of this process image) is then the peak of that one ingest. `stages` holds each named step's own wall seconds
(a step inside another is counted once, in itself), `cpu_stages` the same in CPU seconds of every thread of the
process (DuckDB's included); "other" is what no named step covers. The Great Expectations import (seconds, once per task) is timed apart from the ingest.
With `--history WH` the warehouse is not fresh: WH (bench/history.py's catalog) is published as it is (a hard
link: publishing renames a new file over it, never writes it) and copied as the writer's working copy, and its
Parquet files are hard-linked, before the clock starts.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import one_file_warehouse, place_history  # noqa: E402


def _rss_mb() -> float:
    """Peak RSS of this process image: VmHWM, which (unlike ru_maxrss on Linux) does not carry over the RSS of
    the parent that forked it, so a child of a big process (pytest) measures only itself."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", type=Path)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--feed", default="product_sampling")
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile of the ingest (HTML) here")
    parser.add_argument("--history", type=Path, help="start from this warehouse, not from nothing")
    args = parser.parse_args()

    one_file_warehouse(args.file, args.workdir, args.feed)
    setup_seconds = 0.0
    if args.history:
        t = time.perf_counter()
        place_history(args.history, args.workdir)
        setup_seconds = time.perf_counter() - t

    started = time.perf_counter()
    from quality_pipeline.validation.gate import Gate

    gate = Gate()
    gate_seconds = time.perf_counter() - started
    rss_before = _rss_mb()

    from quality_pipeline.loading import audit, current, ingest, rows, stage
    from quality_pipeline.warehouse import writer

    # Each stage's own time (wall and CPU of every thread): a stage called inside another is not counted in it
    # too, so the stages and "other" add up to the ingest. Every label is present, in this order, for any file.
    labels = ["discover", "open session (migrations, feed SQL)", "hash", "snapshot", "read", "typed_frame",
              "duplicates", "row_rules (fast_rules)", "gx_rows", "decide_rows", "stage_parquet", "prepare (rest)",
              "read_staged_part", "insert_quarantine", "insert_rows", "insert_flags", "gx_batch",
              "periods (keys, restated, tombstones)", "audit rows (file, validations)", "core_refresh", "commit",
              "publish (rest)", "remove staged", "checkpoint", "publish_copy"]
    stages = dict.fromkeys(labels, 0.0)
    cpu = dict.fromkeys(labels, 0.0)
    inner: list[list[float]] = []  # per open stage: [wall, cpu] of the stages called inside it

    def clocked(label: str, fn):
        def wrapper(*a, **k):
            inner.append([0.0, 0.0])
            t, c = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **k)
            finally:
                wall, used = time.perf_counter() - t, time.process_time() - c
                nested = inner.pop()
                stages[label] += wall - nested[0]
                cpu[label] += used - nested[1]
                if inner:
                    inner[-1][0] += wall
                    inner[-1][1] += used

        return wrapper

    def timed(owner, name: str, label: str) -> None:
        fn = getattr(owner, name, None)
        if fn is not None:
            setattr(owner, name, clocked(label, fn))

    timed(ingest, "discover", "discover")
    timed(ingest, "unseen", "discover")
    timed(writer, "_open_working_copy", "open session (migrations, feed SQL)")
    timed(ingest, "sha256_of", "hash")
    timed(ingest, "take_snapshot", "snapshot")
    timed(stage, "read_extract", "read")
    timed(stage, "typed_frame", "typed_frame")
    timed(stage, "typed_columns", "typed_frame")  # with the Arrow twins of its text columns
    timed(stage, "exact_duplicates", "duplicates")
    timed(stage, "decide_rows", "decide_rows")
    timed(stage, "write_part", "stage_parquet")
    timed(stage._PartWriter, "start", "stage_parquet")  # noqa: SLF001 - the part written while GX runs
    timed(stage._PartWriter, "finish", "stage_parquet")  # noqa: SLF001
    timed(stage._PartWriter, "join", "stage_parquet")  # noqa: SLF001 - waiting for the thread
    timed(stage, "prepare", "prepare (rest)")
    timed(ingest, "prepare", "prepare (rest)")
    timed(stage.Staged, "part", "read_staged_part")
    timed(stage.Staged, "remove", "remove staged")
    timed(rows, "insert_staged", "insert_rows")
    timed(rows, "insert_rows", "insert_rows")
    timed(rows, "insert_kept", "insert_rows")
    timed(audit, "insert_flags", "insert_flags")
    timed(audit, "insert_quarantine", "insert_quarantine")
    for name in ("keys_per_period", "file_periods", "write_tombstones"):
        timed(rows, name, "periods (keys, restated, tombstones)")
    timed(audit, "write_file_row", "audit rows (file, validations)")
    timed(audit, "insert_validations", "audit rows (file, validations)")
    timed(current, "refresh_file", "core_refresh")
    timed(ingest, "commit", "commit")
    timed(ingest, "_publish", "publish (rest)")
    timed(writer, "checkpoint", "checkpoint")
    timed(writer, "publish", "publish_copy")
    timed(gate, "validate_rows", "row_rules (fast_rules)")
    validate = gate.validate
    gx_rows, gx_batch = clocked("gx_rows", validate), clocked("gx_batch", validate)

    def timed_validate(suite, frame, params=None, **kwargs):
        return (gx_batch if suite.endswith(".batch") else gx_rows)(suite, frame, params, **kwargs)

    gate.validate = timed_validate
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.01)
        profiler.start()
    t, c = time.perf_counter(), time.process_time()
    results = ingest.ingest_feed(args.feed, run_id="bench", gate=gate)
    seconds, cpu_seconds = time.perf_counter() - t, time.process_time() - c
    if profiler:
        profiler.stop()
        args.profile.write_text(profiler.output_html())
        print(profiler.output_text(unicode=False, color=False, show_all=False), file=sys.stderr)
    stages["other"] = seconds - sum(stages.values())
    cpu["other"] = cpu_seconds - sum(cpu.values())
    (result,) = results
    print(json.dumps({
        "file": args.file.name, "status": result.status, "rows_read": result.rows_read,
        "rows_loaded": result.rows_loaded, "rows_rejected": result.rows_rejected, "rows_flagged": result.rows_flagged,
        "seconds": seconds, "stages": {k: round(v, 2) for k, v in stages.items()}, "cpu_seconds": round(cpu_seconds, 2),
        "cpu_stages": {k: round(v, 2) for k, v in cpu.items()}, "gx_import_seconds": gate_seconds,
        "setup_seconds": round(setup_seconds, 1),
        "rss_before_ingest_mb": round(rss_before), "peak_rss_mb": round(_rss_mb()),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
