"""A large product-sampling CSV for benchmarks, streamed to disk row by row."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from quality_pipeline.demo import vocab
from quality_pipeline.demo.uscc import make_uscc
from quality_pipeline.feeds import load_feed
from quality_pipeline.region import Region, load_region
from quality_pipeline.settings import DEFAULT_REGION_FILE

COLUMNS = ["sample_no", "product_category", "product_name", "inspected_unit", "inspected_unit_uscc", "street",
           "sampling_date", "conclusion"]


def write_large_sampling_csv(path: Path, rows: int, seed: int, encoding: str = "utf-8", *,
                             region: Region | None = None, start: date = date(2025, 10, 1)) -> dict:
    """Write `rows` clean sampling rows (about 100 bytes each) dated in the year from `start`.

    Returns the row count, the file size and the count per conclusion.
    """
    region = region or load_region(DEFAULT_REGION_FILE)
    feed = load_feed("product_sampling")
    rng = random.Random(f"{seed}:large")
    streets = [s.removesuffix(region.street_suffix) for s in region.streets] + list(region.streets)
    units = [make_uscc(rng, region.code) for _ in range(500)]
    days = [(start + timedelta(days=d)).isoformat() for d in range(365)]
    counts = {"合格": 0, "不合格": 0, "拒检": 0}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as out:
        out.write(",".join(feed.column(c).header for c in COLUMNS) + "\r\n")
        lines = []
        for i in range(rows):
            category, product, _code, _failures = rng.choice(vocab.PRODUCTS)
            roll = rng.random()
            conclusion = "拒检" if roll < 0.01 else "不合格" if roll < 0.07 else "合格"
            counts[conclusion] += 1
            unit = units[i % len(units)]
            party = f"{rng.choice(vocab.COMPANY_WORDS)}商行{i % 997}"
            lines.append(f"LS{seed % 100:02d}{i:09d},{category},{product},{party},{unit},"
                         f"{rng.choice(streets)},{rng.choice(days)},{conclusion}\r\n")
            if len(lines) == 10_000:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))
    return {"rows": rows, "bytes": path.stat().st_size, "conclusions": counts}
