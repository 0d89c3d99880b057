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

NOTICE = ["关于报送水质监测数据的说明", "各监测单位：", "请于每季度结束后10个工作日内报送监测数据。",
          "联系人：区环境监测站"]


@dataclass
class RoundTwo:
    plans: list[FilePlan] = field(default_factory=list)  # files with rows, written like round-1 files
    raw: list[tuple[str, bytes, FileTruth]] = field(default_factory=list)  # re-sent and broken files


def _restated(plan: FilePlan) -> list[Row]:
    """Every key of a round-1 file once, with its true values (defects corrected)."""
    key = load_feed(plan.feed).key
    rows, seen = [], set()
    for row in plan.rows:
        k = tuple(row.values[c] for c in key)
        if row.copy_of is None and k not in seen:
            seen.add(k)
            rows.append(Row(dict(row.before or row.values)))
    return rows


def _corrected_sampling(rng: random.Random, plan: FilePlan) -> list[Row]:
    """The file again with its defects fixed and some conclusions or follow-ups changed."""
    failures = {p[1]: p[3] for p in vocab.PRODUCTS}
    rows = _restated(plan)
    changeable = [r for r in rows if r.values["conclusion"] != "拒检"]
    for row in rng.sample(changeable, min(len(changeable), max(2, len(changeable) // 12))):
        if row.values["conclusion"] == "合格":
            row.values.update(conclusion="不合格", followup_status="整改中",
                              failed_items=rng.choice(failures.get(row.values["product_name"], ["标识"])))
        else:
            row.values["followup_status"] = "复查合格"
    return rows


def _corrected_cases(rng: random.Random, plan: FilePlan) -> list[Row]:
    """The file again with its defects fixed, one case revoked, transfers and fines amended."""
    rows = _restated(plan)
    changeable = [r for r in rows if r.values["status"] != "撤销"]
    for i, row in enumerate(rng.sample(changeable, min(len(changeable), max(2, len(changeable) // 8)))):
        values = row.values
        if i == 0:
            values["status"] = "撤销"
        elif values["violation_type"] == "生产销售伪劣产品" and not values["transferred"]:
            values.update(transferred=True, status="已移送")
        else:
            values["fine"] = (values["fine"] or 0) + 5_000
    return rows


def _broken(path: str, feed: str, encoding: str | None, reason: str, keyword: str | None = None) -> FileTruth:
    return FileTruth(path=path, feed=feed, format=path.rsplit(".", 1)[1], encoding=encoding, sheets=[],
                     data_sheet=None, header_row=None, round=2, mtime="", status="rejected", reason=reason,
                     reason_keyword=keyword)


def _resent(plans: list[FilePlan], truths: dict[str, FileTruth], taken: set[str]) -> FileTruth:
    """The first cases file again, byte for byte, under another name."""
    original = next(p for p in plans if p.feed == "enforcement_cases")
    stem, _, ext = original.path.rpartition(".")
    empty = {"rows_read": 0, "rows_loaded": 0, "rows_rejected": 0, "duplicates_dropped": 0,
             "rejected": [], "flagged": [], "merged_cells": []}
    path = unique(f"{stem}(重发).{ext}", taken)
    return FileTruth(**{**truths[original.path].__dict__, **empty, "path": path, "round": 2,
                        "status": DUPLICATE, "duplicate_of": original.path})


def _unreadable(spec: Spec, rng: random.Random, messy: bool) -> list[tuple[FileTruth, bytes]]:
    """Files that cannot be read at all, each set aside with its own reason."""
    end = spec.quarters[-1]
    period, day = f"{end.year}年{end.cn}", end.end + timedelta(days=40)
    inspections = load_feed("enforcement_inspections")
    header_only = ",".join(c.header for c in inspections.columns) + "\r\n"
    return [
        (_broken(f"product_sampling/{period}抽检结果汇总（损坏）.xlsx", "product_sampling", None,
                 "unreadable"), rng.randbytes(2048)),
        _missing_column_file(spec, rng, messy),
        (_broken(f"enforcement/cases/cases_{day:%m%d}_空表.csv", "enforcement_cases", "utf-8", "empty"), b""),
        (_broken(f"enforcement/inspections/{end.year}年执法检查记录（模板）.csv", inspections.name,
                 "utf-8-sig", "no_rows"), header_only.encode("utf-8-sig")),
        (_broken(f"remediation/water_quality/关于报送{period}水质数据的说明.csv", "water_quality", "utf-8",
                 "no_header"), "\r\n".join(NOTICE).encode("utf-8") + b"\r\n"),
        (_broken("remediation/projects/报送说明.txt", "remediation_projects", "utf-8", "unsupported_format"),
         "项目月报请以Excel格式报送。\n".encode()),
    ]


def _missing_column_file(spec: Spec, rng: random.Random, messy: bool) -> tuple[FileTruth, bytes]:
    """A sampling export whose 检验结论 column was deleted: the whole file is set aside."""
    feed = load_feed("product_sampling")
    column = feed.column("conclusion")
    end = spec.quarters[-1]
    rows = [Row(sampling_record(rng, spec, end, spec.rows_per_quarter + 500 + i)) for i in range(5)]
    period = f"{end.year}年{end.cn}"
    path = f"product_sampling/{period}抽检结果（第二批）.csv"
    plan = FilePlan(feed.name, period, str(end), rows, path=path, fmt="csv", encoding="utf-8", round=2)
    layout = build(plan, feed, spec.region, messy=messy, columns=[c for c in feed.columns if c is not column])
    data = csv_bytes(layout.sheets[0].rows, "utf-8")
    return _broken(path, feed.name, "utf-8", "missing_column", column.header), data


def _new_plans(spec: Spec, plans: list[FilePlan], rng: random.Random, defect_rate: float) -> list[FilePlan]:
    """Two corrected files re-stating round-1 keys, then a sampling sheet of the quarter with new rows."""
    end = spec.quarters[-1]
    period, day = f"{end.year}年{end.cn}", end.end + timedelta(days=40)
    sampling = [p for p in plans if p.feed == "product_sampling"][-1]
    cases = [p for p in plans if p.feed == "enforcement_cases"][-1]
    out = [
        FilePlan(sampling.feed, sampling.period, sampling.sort_key, _corrected_sampling(rng, sampling),
                 path=f"product_sampling/{period}抽检结果汇总（更正）.xlsx"),
        FilePlan(cases.feed, cases.period, cases.sort_key, _corrected_cases(rng, cases),
                 path=f"enforcement/cases/cases_{day:%m%d}_更正.csv"),
    ]
    base = spec.rows_per_quarter + 100
    count = max(6, spec.rows_per_quarter // 3)
    fresh = [Row(sampling_record(rng, spec, end, base + i)) for i in range(count)]
    fresh.sort(key=lambda r: (r.values["sampling_date"], r.values["sample_no"]))
    # Sampling sheets are period snapshots: a top-up restates the quarter whole, the corrected rows and the new.
    restated = [Row(dict(r.values)) for r in out[0].rows]
    new = FilePlan("product_sampling", period, str(end), restated + fresh,
                   path=f"product_sampling/{period}抽检结果补报.csv")
    Injector(load_feed(new.feed), spec.region, spec.rng("defects:round2")).inject(new, defect_rate)
    return [*out, new]


def round_two(spec: Spec, plans: list[FilePlan], rendered: dict[str, bytes], truths: dict[str, FileTruth], *,
              defect_rate: float, messy: bool) -> RoundTwo:
    """Plan round 2, timed after every round-1 file: re-sent first, then broken, corrected and new files."""
    rng = spec.rng("round2")
    taken = {p.path for p in plans}
    clock = iter(range(0, 600, 7))
    day = spec.quarters[-1].end + timedelta(days=40)
    out = RoundTwo()
    resent = _resent(plans, truths, taken)
    out.raw.append((resent.path, rendered[resent.duplicate_of], resent))
    for truth, data in _unreadable(spec, rng, messy):
        truth.path = unique(truth.path, taken)
        out.raw.append((truth.path, data, truth))
    for _, _, truth in out.raw:
        truth.mtime = at(day, 9, next(clock)).isoformat()
    out.plans = _new_plans(spec, plans, rng, defect_rate)
    for index, plan in enumerate(out.plans):
        plan.path = unique(plan.path, taken)
        plan.round, plan.index, plan.mtime = 2, index, at(day, 9, next(clock))
        plan.fmt = plan.path.rsplit(".", 1)[1]
        plan.encoding = None if plan.fmt == "xlsx" else ("gb18030" if messy and index == 2 else "utf-8")
    return out


def correction_of(spec: Spec, plans: list[FilePlan], quarter: str, drop: int = 0) -> FilePlan:
    """A corrected product-sampling sheet for an earlier, already reported `quarter`, sent after every file.

    It restates that quarter's last sampling file with its defects fixed and a few conclusions changed, so
    the quarter's figures are restated (and its vintage shows the difference) while every other quarter keeps
    its figures. With `drop`, that many tested batches (passed or failed) are annulled: the sheet leaves them
    out, and as sampling sheets are period snapshots they are withdrawn (the pass rate's denominator falls by
    `drop`); `plan.extra["dropped"]` lists their sample numbers.
    """
    sampled = [p for p in plans if p.feed == "product_sampling" and p.sort_key == quarter]
    if not sampled:
        raise ValueError(f"no product-sampling file of {quarter} to correct: choose one of the demo's quarters")
    original = sampled[-1]
    period = original.period
    last = max(p.mtime for p in plans)
    rows = _corrected_sampling(spec.rng(f"correct:{quarter}"), original)
    tested = [r for r in rows if r.values["conclusion"] in ("合格", "不合格")]
    dropped = tested[:drop] if drop > 0 else []
    plan = FilePlan(original.feed, period, original.sort_key, [r for r in rows if r not in dropped],
                    path=unique(f"product_sampling/{period}抽检结果更正.xlsx", {p.path for p in plans}),
                    fmt="xlsx", round=2, index=0)
    plan.extra["dropped"] = [r.values["sample_no"] for r in dropped]
    plan.mtime = at(last.date() + timedelta(days=1), 9)
    return plan


def _last_month(spec: Spec) -> tuple[int, int]:
    return spec.months[-1]


def _inspections_file(spec: Spec, rng: random.Random, path: str, prefix: str, count: int, when) -> FilePlan:
    from quality_pipeline.demo.records import inspection_record

    year, month = _last_month(spec)
    rows = []
    for i in range(count):
        values = inspection_record(rng, spec, year, month, i + 1)
        values["inspection_no"] = f"{prefix}{year}{month:02d}{i + 1:03d}"
        rows.append(Row(values))
    rows.sort(key=lambda r: (r.values["inspection_date"], r.values["inspection_no"]))
    plan = FilePlan("enforcement_inspections", f"{year}年{month}月", f"{year}-{month:02d}", rows, path=path,
                    fmt="csv", encoding="utf-8", round=2, index=0)
    plan.mtime = when
    return plan


def wrong_delivery(spec: Spec, plans: list[FilePlan]) -> FilePlan:
    """A test file sent by mistake into the inspection logs (rows that look real, keys no office uses): it
    loads, and a person must withdraw it. `plan.extra["withdraw"]` is the reason a person would give."""
    last = max(p.mtime for p in plans if p.mtime)
    year, month = _last_month(spec)
    plan = _inspections_file(spec, spec.rng("wrong_delivery"), unique(
        f"enforcement/inspections/测试数据_{year}{month:02d}（请勿使用）.csv", {p.path for p in plans}), "TEST", 12,
        at(last.date() + timedelta(days=1), 11))
    plan.extra["withdraw"] = "测试文件误报 / a test file delivered by mistake"
    return plan


def top_up(spec: Spec, plans: list[FilePlan]) -> FilePlan:
    """A small monthly top-up of the inspection log (two late entries): an increment, so loaded, never held."""
    last = max(p.mtime for p in plans if p.mtime)
    year, month = _last_month(spec)
    return _inspections_file(spec, spec.rng("top_up"), unique(
        f"enforcement/inspections/{year}年{month}月执法检查记录补报.csv", {p.path for p in plans}), "BB", 2,
        at(last.date() + timedelta(days=1), 14))
