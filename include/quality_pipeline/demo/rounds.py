"""The second delivery round: a re-sent file, corrected files, broken files and one new ordinary file."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from quality_pipeline.demo import vocab
from quality_pipeline.demo.defects import Injector
from quality_pipeline.demo.delivery import at, unique
from quality_pipeline.demo.layout import build
from quality_pipeline.demo.model import FilePlan, Row
from quality_pipeline.demo.records import Spec, sampling_record
from quality_pipeline.demo.truth import DUPLICATE, FileTruth
from quality_pipeline.demo.writers import csv_bytes
from quality_pipeline.feeds import load_feed

NOTICE = ["关于报送水质监测数据的说明", "各监测单位：", "请于每季度结束后10个工作日内报送监测数据。", "联系人：区环境监测站"]


@dataclass
class RoundTwo:
    plans: list[FilePlan] = field(default_factory=list)  # files with rows, written like round-1 files
    raw: list[tuple[str, bytes, FileTruth]] = field(default_factory=list)  # re-sent and broken files


def _clean(plan: FilePlan) -> list[Row]:
    copied = {id(r.copy_of) for r in plan.rows if r.copy_of is not None}
    return [r for r in plan.rows if r.clean and id(r) not in copied]


def _corrected_sampling(rng: random.Random, plan: FilePlan) -> list[Row]:
    failures = {p[1]: p[3] for p in vocab.PRODUCTS}
    rows = [r for r in _clean(plan) if r.values["conclusion"] != "拒检"]
    picked = sorted(rng.sample(rows, min(len(rows), max(2, len(rows) // 12))), key=plan.rows.index)
    out = []
    for row in picked:
        values = dict(row.values)
        if values["conclusion"] == "合格":
            values.update(conclusion="不合格", followup_status="整改中",
                          failed_items=rng.choice(failures.get(values["product_name"], ["标识"])))
        else:
            values["followup_status"] = "复查合格"
        out.append(Row(values))
    return out


def _corrected_cases(rng: random.Random, plan: FilePlan) -> list[Row]:
    rows = [r for r in _clean(plan) if r.values["status"] != "撤销"]
    picked = sorted(rng.sample(rows, min(len(rows), max(2, len(rows) // 8))), key=plan.rows.index)
    out = []
    for i, row in enumerate(picked):
        values = dict(row.values)
        if i == 0:
            values["status"] = "撤销"
        elif values["violation_type"] == "生产销售伪劣产品" and not values["transferred"]:
            values.update(transferred=True, status="已移送")
        else:
            values["fine"] = (values["fine"] or 0) + 5_000
        out.append(Row(values))
    return out


def _broken(name: str, feed: str, fmt: str, encoding: str | None, reason: str, keyword: str | None = None):
    return FileTruth(path=name, feed=feed, format=fmt, encoding=encoding, sheets=[], data_sheet=None,
                     header_row=None, round=2, mtime="", status="rejected", reason=reason, reason_keyword=keyword)


def round_two(spec: Spec, plans: list[FilePlan], rendered: dict[str, bytes], truths: dict[str, FileTruth], *,
              defect_rate: float, messy: bool) -> RoundTwo:
    rng = spec.rng("round2")
    end = spec.quarters[-1]
    period = f"{end.year}年{end.cn}"
    day = end.end + timedelta(days=40)
    taken = {p.path for p in plans}
    out = RoundTwo()
    clock = iter(range(0, 600, 7))

    def when():
        return at(day, 9, next(clock))

    # (a) a file sent again, byte for byte, under another name
    original = next(p for p in plans if p.feed == "enforcement_cases")
    stem, _, ext = original.path.rpartition(".")
    first = truths[original.path]
    resent = FileTruth(**{**first.__dict__, "path": unique(f"{stem}(重发).{ext}", taken), "round": 2,
                          "status": DUPLICATE, "duplicate_of": original.path, "rows_read": 0, "rows_loaded": 0,
                          "rows_rejected": 0, "duplicates_dropped": 0, "rejected": [], "flagged": [],
                          "merged_cells": []})
    out.raw.append((resent.path, rendered[original.path], resent))

    # (c) files that cannot be read at all
    sampling = load_feed("product_sampling")
    inspections = load_feed("enforcement_inspections")
    header_only = ",".join(c.header for c in inspections.columns) + "\r\n"
    broken = [
        (_broken(f"product_sampling/{period}抽检结果汇总（损坏）.xlsx", sampling.name, "xlsx", None, "unreadable"),
         rng.randbytes(2048)),
        (_broken(f"enforcement/cases/cases_{day:%m%d}_空表.csv", "enforcement_cases", "csv", "utf-8", "empty"), b""),
        (_broken(f"enforcement/inspections/{end.year}年执法检查记录（模板）.csv", inspections.name, "csv",
                 "utf-8-sig", "no_rows"), header_only.encode("utf-8-sig")),
        (_broken(f"remediation/water_quality/关于报送{period}水质数据的说明.csv", "water_quality", "csv", "utf-8",
                 "no_header"), "\r\n".join(NOTICE).encode("utf-8") + b"\r\n"),
        (_broken("remediation/projects/报送说明.txt", "remediation_projects", "txt", "utf-8",
                 "unsupported_format"), "项目月报请以Excel格式报送。\n".encode()),
    ]
    missing = _missing_column_file(spec, rng, period, taken, messy)
    broken.insert(1, missing)
    for truth, data in broken:
        truth.path = unique(truth.path, taken)
        out.raw.append((truth.path, data, truth))
    for _, _, truth in out.raw:
        truth.mtime = when().isoformat()

    # (b) corrections re-stating keys seen in round 1, and (d) one new ordinary file
    last_sampling = [p for p in plans if p.feed == "product_sampling"][-1]
    last_cases = [p for p in plans if p.feed == "enforcement_cases"][-1]
    corrections = [
        (last_sampling, _corrected_sampling(rng, last_sampling), f"product_sampling/{period}抽检结果汇总（更正）.xlsx"),
        (last_cases, _corrected_cases(rng, last_cases), f"enforcement/cases/cases_{day:%m%d}_更正.csv"),
    ]
    for source, rows, name in corrections:
        out.plans.append(FilePlan(source.feed, source.period, source.sort_key, rows))
        out.plans[-1].path = unique(name, taken)
    count = max(6, spec.rows_per_quarter // 5)
    base = spec.rows_per_quarter + 100
    fresh = [Row(sampling_record(rng, spec, end, base + i)) for i in range(count)]
    fresh.sort(key=lambda r: (r.values["sampling_date"], r.values["sample_no"]))
    new = FilePlan("product_sampling", period, str(end), fresh)
    new.path = unique(f"product_sampling/{period}抽检结果补报.csv", taken)
    Injector(sampling, spec.region, spec.rng("defects:round2")).inject(new, defect_rate)
    out.plans.append(new)
    for index, plan in enumerate(out.plans):
        plan.round, plan.index, plan.mtime = 2, index, when()
        plan.fmt = plan.path.rsplit(".", 1)[1]
        plan.encoding = None if plan.fmt == "xlsx" else ("gb18030" if messy and index == 2 else "utf-8")
    return out


def _missing_column_file(spec: Spec, rng: random.Random, period: str, taken: set[str], messy: bool):
    """A sampling export whose 检验结论 column was deleted: the whole file is set aside."""
    feed = load_feed("product_sampling")
    column = feed.column("conclusion")
    end = spec.quarters[-1]
    rows = [Row(sampling_record(rng, spec, end, spec.rows_per_quarter + 500 + i)) for i in range(5)]
    plan = FilePlan(feed.name, period, str(end), rows, path=f"product_sampling/{period}抽检结果（第二批）.csv",
                    fmt="csv", encoding="utf-8", round=2)
    layout = build(plan, feed, spec.region, messy=messy, columns=[c for c in feed.columns if c is not column])
    data = csv_bytes(layout.sheets[0].rows, "utf-8")
    truth = _broken(plan.path, feed.name, "csv", "utf-8", "missing_column", column.header)
    return truth, data
