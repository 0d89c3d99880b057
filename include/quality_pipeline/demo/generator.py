"""Writes the demo extracts of one delivery round into a landing folder and returns the ground truth."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from quality_pipeline.demo import indicators
from quality_pipeline.demo.defects import Injector
from quality_pipeline.demo.delivery import place
from quality_pipeline.demo.layout import build
from quality_pipeline.demo.model import FilePlan
from quality_pipeline.demo.periods import window
from quality_pipeline.demo.records import Spec, enforcement_cases, enforcement_inspections, product_sampling
from quality_pipeline.demo.remediation import remediation_projects, water_quality
from quality_pipeline.demo.rounds import correction_of, round_two, top_up, wrong_delivery
from quality_pipeline.demo.truth import FileTruth, Truth, file_truth
from quality_pipeline.demo.writers import csv_bytes, xlsx_bytes
from quality_pipeline.feeds import load_feed
from quality_pipeline.region import Region, load_region
from quality_pipeline.settings import DEFAULT_REGION_FILE

BUILDERS = {
    "product_sampling": product_sampling,
    "enforcement_cases": enforcement_cases,
    "enforcement_inspections": enforcement_inspections,
    "remediation_projects": remediation_projects,
    "water_quality": water_quality,
}


def plan_round_one(spec: Spec, *, defect_rate: float, messy: bool) -> list[FilePlan]:
    plans: list[FilePlan] = []
    csv_counter, taken = [0], set()
    for name, builder in BUILDERS.items():  # a fixed order: the same seed always gives the same files
        feed = load_feed(name)
        files = builder(spec)
        place(files, messy=messy, csv_counter=csv_counter, taken=taken)
        injector = Injector(feed, spec.region, spec.rng(f"defects:{feed.name}"))
        for plan in files:
            injector.inject(plan, defect_rate)
        plans += files
    return plans


def render(plan: FilePlan, region: Region, *, messy: bool, merged_body: bool) -> tuple[bytes, FileTruth]:
    layout = build(plan, load_feed(plan.feed), region, messy=messy, merged_body=merged_body)
    if plan.fmt == "xlsx":
        return xlsx_bytes(layout.sheets), file_truth(plan, layout)
    data = csv_bytes(layout.sheets[0].rows, plan.encoding)
    return data, file_truth(plan, layout)


def _write(landing: Path, rel: str, data: bytes, mtime: float, *, keep_existing: bool) -> None:
    path = landing / rel
    if keep_existing and path.exists():
        if path.read_bytes() != data:
            raise ValueError(f"{path} differs from round 1: call round 2 with the arguments of round 1")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


def generate(landing_dir: Path, *, seed: int = 7, end_quarter: str = "2026Q3", quarters: int = 4,
             rows_per_quarter: int = 120, defect_rate: float = 0.05, messy: bool = True,
             region: Region | None = None, round: int = 1, merged_body: bool = False,
             correct: str | None = None, drop_keys: int = 0, wrong_file: bool = False,
             small_top_up: bool = False) -> Truth:
    """Write delivery round `round` into `landing_dir` (round 2 adds to round 1) and return the truth.

    `correct` (a quarter, round 1 only) adds one corrected sampling sheet of that quarter, sent last, which
    annuls `drop_keys` tested batches (left out of the sheet, so withdrawn); the round-1 files already in the
    folder must be the same as this call's (the same arguments otherwise). `wrong_file` adds a test file
    delivered by mistake (its FileTruth's `withdraw` says why a person withdraws it; the indicators are those
    after the withdrawal), `small_top_up` a two-row top-up of the last month's inspection log.
    """
    if round not in (1, 2):
        raise ValueError("round must be 1 or 2")
    if not 0 <= defect_rate <= 0.5:
        raise ValueError("defect_rate must be between 0 and 0.5")
    landing = Path(landing_dir)
    region = region or load_region(DEFAULT_REGION_FILE)
    spec = Spec(region, window(end_quarter, quarters), max(1, rows_per_quarter), seed)
    plans = plan_round_one(spec, defect_rate=defect_rate, messy=messy)
    rendered, truths = {}, {}
    for plan in plans:
        rendered[plan.path], truths[plan.path] = render(plan, region, messy=messy, merged_body=merged_body)
        _write(landing, plan.path, rendered[plan.path], plan.mtime.timestamp(), keep_existing=round == 2 or bool(correct))
    files = [truths[p.path] for p in plans]
    delivered = list(plans)
    if round == 2:
        second = round_two(spec, plans, rendered, truths, defect_rate=defect_rate, messy=messy)
        for rel, data, truth in second.raw:
            _write(landing, rel, data, _timestamp(truth.mtime), keep_existing=False)
            files.append(truth)
        for plan in second.plans:
            data, truth = render(plan, region, messy=messy, merged_body=merged_body)
            _write(landing, plan.path, data, plan.mtime.timestamp(), keep_existing=False)
            files.append(truth)
        delivered += second.plans
    if correct:
        if round != 1:
            raise ValueError("a correction follows round 1: use round=1 with correct")
        plan = correction_of(spec, plans, correct, drop=drop_keys)
        data, truth = render(plan, region, messy=False, merged_body=False)
        _write(landing, plan.path, data, plan.mtime.timestamp(), keep_existing=False)
        truth.dropped = plan.extra["dropped"]
        files.append(truth)
        delivered.append(plan)
    elif drop_keys:
        raise ValueError("drop_keys needs correct (the quarter whose corrected sheet drops them)")
    for wanted, make in ((wrong_file, wrong_delivery), (small_top_up, top_up)):
        if not wanted:
            continue
        if round != 1:
            raise ValueError("a wrong file or a top-up follows round 1: use round=1")
        plan = make(spec, delivered)
        data, truth = render(plan, region, messy=False, merged_body=False)
        _write(landing, plan.path, data, plan.mtime.timestamp(), keep_existing=False)
        truth.withdraw = plan.extra.get("withdraw")
        if truth.withdraw:
            plan.extra["outcome"] = "withdrawn"
        files.append(truth)
        delivered.append(plan)
    files.sort(key=lambda f: (f.round, f.mtime, f.path))
    delivered.sort(key=lambda p: (p.round, p.mtime, p.path))
    params = {"seed": seed, "end_quarter": end_quarter, "quarters": quarters,
              "rows_per_quarter": rows_per_quarter, "defect_rate": defect_rate, "messy": messy,
              "merged_body": merged_body, "round": round, "correct": correct, "drop_keys": drop_keys,
              "wrong_file": wrong_file, "small_top_up": small_top_up}
    return Truth(
        params=params,
        region={"code": region.code, "name": region.name, "streets": list(region.streets)},
        quarters=[str(q) for q in spec.quarters],
        files=files,
        indicators=indicators.compute(region, delivered),
        annual=indicators.compute(region, delivered, period="year"),
    )


def _timestamp(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()
