"""True records per feed, before any defect or formatting: what a perfect parser should read back."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from quality_pipeline.demo import vocab
from quality_pipeline.demo.model import FilePlan, Row
from quality_pipeline.demo.periods import QUARTER_REPORT_DAYS, Quarter, month_end
from quality_pipeline.demo.uscc import make_uscc
from quality_pipeline.region import Region


@dataclass(frozen=True)
class Spec:
    region: Region
    quarters: list[Quarter]
    rows_per_quarter: int
    seed: int

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}:{name}")

    @property
    def months(self) -> list[tuple[int, int]]:
        return [m for q in self.quarters for m in q.months]


def weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def day_in(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def party(rng: random.Random, region: Region) -> tuple[str, str]:
    kind, individual = rng.choice(vocab.COMPANY_KINDS)
    name = f"{region.name}{rng.choice(vocab.COMPANY_WORDS)}{kind}"
    return name, make_uscc(rng, region.code, individual=individual)


def person(rng: random.Random) -> str:
    return rng.choice(vocab.SURNAMES) + rng.choice(vocab.GIVEN)


def _failures(rng: random.Random, failures: list[str]) -> str:
    return "、".join(rng.sample(failures, rng.randint(1, len(failures))))


def sampling_record(rng: random.Random, spec: Spec, quarter: Quarter, seq: int) -> dict:
    level = weighted(rng, vocab.PLAN_LEVELS)
    stage = weighted(rng, vocab.STAGES)
    category, product, code, failures = rng.choice(vocab.PRODUCTS)
    unit, uscc = party(rng, spec.region)
    roll = rng.random()
    conclusion = "拒检" if roll < 0.012 else "不合格" if roll < 0.07 else "合格"
    sampled = day_in(rng, quarter.start, quarter.end)
    return {
        "sample_no": f"{vocab.PLAN_PREFIX[level]}{quarter.year % 100}{spec.region.code}{quarter.q}{seq:04d}",
        "report_no": None if conclusion == "拒检" else f"JC{quarter.year % 100}{quarter.q}-{seq:04d}",
        "plan_level": level,
        "sampling_stage": stage,
        "product_category": category,
        "industry_code": code,
        "product_name": product,
        "trademark": rng.choice(vocab.BRANDS) if rng.random() < 0.8 else None,
        "spec_model": rng.choice(vocab.SPEC_MODELS),
        "batch": (sampled - timedelta(days=rng.randint(5, 90))).strftime("%Y/%m/%d"),
        "inspected_unit": unit,
        "inspected_unit_uscc": uscc if rng.random() < 0.9 else None,
        "manufacturer": unit if stage == "生产" else party(rng, spec.region)[0],
        "street": rng.choice(spec.region.streets) if rng.random() < 0.96 else None,
        "sampling_date": sampled,
        "agency": rng.choice(vocab.AGENCIES),
        "conclusion": conclusion,
        "failed_items": _failures(rng, failures) if conclusion == "不合格" else None,
        "followup_status": weighted(rng, vocab.FOLLOWUPS) if conclusion == "不合格" else None,
    }


def product_sampling(spec: Spec) -> list[FilePlan]:
    rng = spec.rng("product_sampling")
    files = []
    for quarter in spec.quarters:
        rows = [Row(sampling_record(rng, spec, quarter, i + 1)) for i in range(spec.rows_per_quarter)]
        rows.sort(key=lambda r: (r.values["sampling_date"], r.values["sample_no"]))
        files.append(FilePlan("product_sampling", f"{quarter.year}年{quarter.cn}", str(quarter), rows))
    return files


def _money(rng: random.Random, low: int, high: int) -> int:
    """An amount in yuan, a multiple of 100, so that 万元 renderings stay exact."""
    return rng.randint(low // 100, high // 100) * 100


def case_record(rng: random.Random, spec: Spec, quarter: Quarter, seq: int) -> dict:
    filed = day_in(rng, quarter.start, quarter.end)
    violation = weighted(rng, vocab.VIOLATIONS)
    counterfeit = violation in ("生产销售伪劣产品", "假冒注册商标")
    if counterfeit:
        roll = rng.random()
        goods = _money(rng, 1_000, 40_000) if roll < 0.5 else _money(rng, 40_000, 160_000) if roll < 0.8 \
            else _money(rng, 150_000, 600_000)
        sales = 50_000 if rng.random() < 0.06 else _money(rng, goods * 3 // 10, goods * 12 // 10)
    else:
        goods = _money(rng, 500, 30_000) if rng.random() < 0.6 else None
        sales = _money(rng, 500, goods) if goods else None
    over = (sales or 0) >= 50_000 or (goods or 0) >= 150_000
    transferred = violation == "生产销售伪劣产品" and over and rng.random() < 0.65
    status = "已移送" if transferred else weighted(rng, vocab.CASE_STATUSES)
    decided = filed + timedelta(days=rng.randint(15, 80)) if status in ("已决定", "结案") else None
    closed = None
    if status == "结案":
        closed = decided + timedelta(days=rng.randint(5, 40))
    elif status == "撤销":
        closed = filed + timedelta(days=rng.randint(5, 30))
    # No file reports a decision or a closing after the day it was sent (the contract's date window).
    sent = quarter.end + timedelta(days=QUARTER_REPORT_DAYS)
    decided, closed = (min(d, sent) if d else None for d in (decided, closed))
    name, uscc = party(rng, spec.region)
    source = "抽检不合格" if counterfeit and rng.random() < 0.3 else weighted(rng, vocab.CASE_SOURCES)
    return {
        "case_no": f"金市监立〔{quarter.year}〕{seq:04d}号",
        "decision_no": f"汕金市监罚〔{decided.year}〕{seq:04d}号" if decided else None,
        "case_source": source,
        "filing_date": filed,
        "decision_date": decided,
        "closing_date": closed,
        "violation_type": violation,
        "party_name": name,
        "party_uscc": uscc if rng.random() < 0.92 else None,
        "street": rng.choice(spec.region.streets) if rng.random() < 0.95 else None,
        "goods_value": goods,
        "sales_amount": sales,
        "fine": _money(rng, 2_000, 300_000) if decided else None,
        "confiscation": _money(rng, 500, 50_000) if decided and rng.random() < 0.4 else None,
        "transferred": transferred,
        "status": status,
    }


def enforcement_cases(spec: Spec) -> list[FilePlan]:
    rng = spec.rng("enforcement_cases")
    per_quarter = max(4, round(spec.rows_per_quarter / 4))
    seq_by_year: dict[int, int] = {}
    files = []
    for quarter in spec.quarters:
        records = [case_record(rng, spec, quarter, 0) for _ in range(per_quarter)]
        records.sort(key=lambda r: r["filing_date"])
        for record in records:  # case numbers run through the year in filing order
            seq = seq_by_year[quarter.year] = seq_by_year.get(quarter.year, 0) + 1
            record["case_no"] = f"金市监立〔{quarter.year}〕{seq:04d}号"
            if record["decision_no"]:
                record["decision_no"] = f"汕金市监罚〔{record['decision_date'].year}〕{seq:04d}号"
        files.append(FilePlan("enforcement_cases", f"{quarter.year}年{quarter.cn}", str(quarter),
                              [Row(r) for r in records]))
    return files


def inspection_record(rng: random.Random, spec: Spec, year: int, month: int, seq: int) -> dict:
    issues = rng.randint(0, 4)
    return {
        "inspection_no": f"JC{year}{month:02d}{seq:03d}",
        "inspection_date": day_in(rng, date(year, month, 1), month_end(year, month)),
        "campaign": rng.choice(vocab.CAMPAIGNS),
        "street": rng.choice(spec.region.streets) if rng.random() < 0.97 else None,
        "officers": min(60, 2 + int(rng.expovariate(1 / 6))),
        "entities": rng.randint(1, 25) if rng.random() < 0.9 else None,
        "issues_found": issues,
        "cases_opened": min(issues, rng.randint(0, 1)),
    }


def enforcement_inspections(spec: Spec) -> list[FilePlan]:
    rng = spec.rng("enforcement_inspections")
    per_month = max(3, round(spec.rows_per_quarter / 3))
    files = []
    for year, month in spec.months:
        rows = [Row(inspection_record(rng, spec, year, month, i + 1)) for i in range(per_month)]
        rows.sort(key=lambda r: (r.values["inspection_date"], r.values["inspection_no"]))
        files.append(FilePlan("enforcement_inspections", f"{year}年{month}月", f"{year}-{month:02d}", rows))
    return files
