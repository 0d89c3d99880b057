"""A night with nothing new on the history of `make bench-history`: how much warehouse work it does.

    python bench/history_night.py [<history catalog>] [<workdir>]

The history is placed as the warehouse (bench/harness.place_history: nothing copied but the catalog) with
an empty landing folder, then two nights run what the DAGs' writer tasks run, each in this process: every
feed's ingest (discovers nothing), the seeds, the indicators. The first night loads the seeds and recomputes
the quarters the history left dirty; the second has nothing to do. Prints one JSON line: each step's wall and
CPU seconds per night, the sessions that published, and the load. Interpreter start and imports not counted.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BENCH_DIR, place_history  # noqa: E402


def main() -> None:
    history = Path(sys.argv[1]) if len(sys.argv) > 1 else BENCH_DIR / "data" / "history" / "quality.duckdb"
    workdir = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/tmp/history-night")
    import shutil

    shutil.rmtree(workdir, ignore_errors=True)
    (workdir / "landing").mkdir(parents=True)
    os.environ.update(QUALITY_LANDING_DIR=str(workdir / "landing"), QUALITY_WAREHOUSE=str(workdir / "wh" / "quality.duckdb"),
                      QUALITY_REPORTS_DIR=str(workdir / "reports"), GX_ANALYTICS_ENABLED="false")
    place_history(history, workdir)
    from quality_pipeline.feeds import all_feeds
    from quality_pipeline.loading.ingest import ingest_feed
    from quality_pipeline.orchestration.tasks import load_reference_data, refresh_indicators
    from quality_pipeline.validation.gate import Gate
    from quality_pipeline.warehouse import writer

    gate = Gate()
    published = []
    original = writer.publish

    def counted(settings):
        published.append(time.perf_counter())
        return original(settings)

    writer.publish = counted
    nights = []
    for night in ("first", "second"):
        steps, before = {}, len(published)
        run_id = f"night-{night}"
        for name, step in [*((f"ingest {f.name}", lambda f=f, r=run_id: ingest_feed(f.name, run_id=r, gate=gate))
                             for f in all_feeds()),
                           ("seeds", lambda r=run_id: load_reference_data(run_id=r)),
                           ("indicators", refresh_indicators)]:
            wall, cpu = time.perf_counter(), time.process_time()
            step()
            steps[name] = {"s": round(time.perf_counter() - wall, 3), "cpu_s": round(time.process_time() - cpu, 3)}
        nights.append({"night": night, "seconds": round(sum(s["s"] for s in steps.values()), 2),
                       "cpu_seconds": round(sum(s["cpu_s"] for s in steps.values()), 2),
                       "publishes": len(published) - before, "steps": steps})
    print(json.dumps({"history": str(history), "load_1min": os.getloadavg()[0], "nights": nights}, ensure_ascii=False))


if __name__ == "__main__":
    main()
