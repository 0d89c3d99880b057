"""Which phase of one ingest sets its peak RSS, and what DuckDB and Arrow account for at each phase's end.

    python bench/memory_phases.py <file> <workdir> [--interval 0.5] [--out phases.json]

One ingest into a fresh warehouse in this process, as `bench/ingest_once.py` does, with the steps of the flow
wrapped: each wrapper reads VmHWM (the peak RSS so far) as the step starts and ends, so the step during which
the high-water mark rose is known exactly, not sampled. A thread also reads VmRSS every `--interval` seconds
and labels it with the step running (the time series of the `--out` file). At the end of each publish step,
DuckDB's own accounting (`duckdb_memory()`: buffer-managed memory and temporary storage) and Arrow's pool
(`pyarrow.total_allocated_bytes()`) are read on the writer's connection, in its transaction.
Run it as its own process (it is one): its VmHWM is that of this ingest alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import one_file_warehouse  # noqa: E402


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Probe:
    def __init__(self, interval: float):
        self.stack: list[str] = ["other (hash, snapshot, the final CHECKPOINT)"]
        self.samples: list[tuple[float, float, str]] = []
        self.steps: list[dict] = []
        self.t0 = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(interval,), daemon=True)
        self._thread.start()

    def _sample(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.samples.append((round(time.perf_counter() - self.t0, 2), round(_status("VmRSS")), self.stack[-1]))

    def wrap(self, owner, name: str, label: str, con_of=None) -> None:
        fn = getattr(owner, name)

        def wrapper(*a, **k):
            hwm, rss, start = _status("VmHWM"), _status("VmRSS"), time.perf_counter()
            self.stack.append(label)
            try:
                return fn(*a, **k)
            finally:
                self.stack.pop()
                step = {"step": label, "t": round(start - self.t0, 1), "seconds": round(time.perf_counter() - start, 2),
                        "rss_before": round(rss), "rss_after": round(_status("VmRSS")),
                        "hwm_before": round(hwm), "hwm_after": round(_status("VmHWM"))}
                con = con_of(a, k) if con_of else None
                if con is not None:
                    step.update(_duckdb(con))
                self.steps.append(step)

        setattr(owner, name, wrapper)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _duckdb(con) -> dict:
    import pyarrow as pa

    try:
        rows = con.execute("SELECT tag, memory_usage_bytes, temporary_storage_bytes FROM duckdb_memory() "
                           "WHERE memory_usage_bytes > 0 OR temporary_storage_bytes > 0").fetchall()
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    except Exception as exc:  # noqa: BLE001 - a closed connection, an aborted transaction: say so
        return {"duckdb_error": str(exc)[:80]}
    return {"duckdb_mb": round(sum(r[1] for r in rows) / 2**20), "duckdb_temp_mb": round(sum(r[2] for r in rows) / 2**20),
            "duckdb_tags": {r[0]: round(r[1] / 2**20) for r in rows if r[1] >= 2**20}, "duckdb_limit": limit,
            "arrow_mb": round(pa.total_allocated_bytes() / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--feed", default="product_sampling")
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--out", type=Path, help="write the steps and the RSS samples here (JSON)")
    parser.add_argument("--part-mb", type=float, help="parts of this size (partitions.PART_BYTES), to study the "
                        "part-read path on a smaller file")
    parser.add_argument("--parts-above-mb", type=float, help="read in parts above this size "
                        "(partitions.PARTITION_ABOVE_BYTES)")
    parser.add_argument("--publish-cap", help="DuckDB's memory limit while a file read in parts is published "
                        "(ingest.PUBLISH_MEMORY_LIMIT), e.g. 256MB")
    args = parser.parse_args()

    one_file_warehouse(args.file, args.workdir, args.feed)
    from quality_pipeline.validation.gate import Gate

    gate = Gate()
    from quality_pipeline.loading import audit, current, ingest, partitions, rows, stage

    if args.part_mb:
        partitions.PART_BYTES = int(args.part_mb * 2**20)
    if args.publish_cap:
        ingest.PUBLISH_MEMORY_LIMIT = args.publish_cap
    if args.parts_above_mb is not None:
        partitions.PARTITION_ABOVE_BYTES = int(args.parts_above_mb * 2**20)
    from quality_pipeline.warehouse import writer

    probe = Probe(args.interval)

    def ctx_con(a, k):
        return a[0].con

    def first_con(a, k):
        return a[0]

    probe.wrap(stage, "read_extract", "read + partition")
    probe.wrap(stage, "_prepare_part", "stage a part")
    probe.wrap(stage, "give_back_memory", "give back memory")
    probe.wrap(ingest, "_check_and_insert", "publish a part", ctx_con)
    probe.wrap(audit, "insert_quarantine", "insert quarantine", ctx_con)
    probe.wrap(rows, "insert_staged", "insert rows", ctx_con)
    probe.wrap(audit, "insert_flags", "insert flags", ctx_con)
    probe.wrap(audit, "insert_validations", "insert validations", ctx_con)
    probe.wrap(current, "refresh_file", "core refresh", first_con)
    probe.wrap(ingest, "fault_point", "commit")  # called just before COMMIT: the commit is after it
    probe.wrap(ingest, "publish_staged", "publish (whole file)")
    probe.wrap(writer, "publish", "copy out the warehouse")
    t = time.perf_counter()
    (result,) = ingest.ingest_feed(args.feed, run_id="bench", gate=gate)
    seconds = time.perf_counter() - t
    probe.stop()

    # the step that raised the high-water mark last, and by how much each step raised it
    raised: dict[str, float] = {}
    for s in probe.steps:
        if s["hwm_after"] > s["hwm_before"]:
            raised[s["step"]] = raised.get(s["step"], 0) + s["hwm_after"] - s["hwm_before"]
    by_step: dict[str, float] = {}
    for _, rss, label in probe.samples:
        by_step[label] = max(by_step.get(label, 0), rss)
    summary = {"file": args.file.name, "status": result.status, "rows_read": result.rows_read,
               "seconds": round(seconds, 1), "peak_rss_mb": round(_status("VmHWM")),
               "hwm_raised_by_step_mb": {k: round(v) for k, v in raised.items()},
               "max_sampled_rss_by_step_mb": by_step, "load": os.getloadavg()[0]}
    print(json.dumps(summary, ensure_ascii=False))
    for s in probe.steps:
        if s["step"] in ("publish a part", "core refresh", "insert validations", "publish (whole file)",
                         "copy out the warehouse", "read + partition") or s["hwm_after"] > s["hwm_before"]:
            print(json.dumps(s, ensure_ascii=False), file=sys.stderr)
    if args.out:
        args.out.write_text(json.dumps({"summary": summary, "steps": probe.steps, "samples": probe.samples},
                                       ensure_ascii=False))


if __name__ == "__main__":
    main()
