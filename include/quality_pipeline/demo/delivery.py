"""Where and when each planned file lands: its free-form name, format, encoding and modification time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from quality_pipeline.demo.model import FilePlan
from quality_pipeline.demo.periods import MONTH_REPORT_DAYS, QUARTER_REPORT_DAYS, Quarter, month_end
from quality_pipeline.feeds import load_feed

SHANGHAI = timezone(timedelta(hours=8))
CSV_ENCODINGS = ["gb18030", "utf-8-sig", "utf-8"]
NAMES = {
    "product_sampling": ["{y}年{cn}抽检结果汇总.xlsx", "{y}Q{q}产品抽查结果.csv"],
    "enforcement_cases": ["cases_{mmdd}.csv", "{y}年{cn}行政处罚案件台账.xlsx"],
    "enforcement_inspections": [
        "{y}年{m}月执法检查记录.xlsx", "inspections_{y}{mm}.csv", "{y}年{m}月检查台账.csv",
    ],
    "remediation_projects": ["黑臭水体整治项目月报（{y}年{m}月）.xlsx", "项目月报_{y}{mm}.csv"],
    "water_quality": ["{y}年{cn}水质监测数据.xlsx", "水质_{y}Q{q}.csv"],
}


def period_end(sort_key: str) -> date:
    if "Q" in sort_key:
        return Quarter.parse(sort_key).end
    year, month = sort_key.split("-")
    return month_end(int(year), int(month))


def at(day: date, hour: int = 10, minutes: int = 0) -> datetime:
    return datetime.combine(day, time(hour), SHANGHAI) + timedelta(minutes=minutes)


def file_name(template: str, sort_key: str, sent: date) -> str:
    end = period_end(sort_key)
    quarter = Quarter.of(end)
    return template.format(y=end.year, q=quarter.q, cn=quarter.cn, m=end.month, mm=f"{end.month:02d}",
                           mmdd=sent.strftime("%m%d"))


def place(plans: list[FilePlan], *, messy: bool, csv_counter: list[int], taken: set[str]) -> None:
    """Name, format, encoding and time each of one feed's round-1 files (in period order)."""
    for index, plan in enumerate(plans):
        templates = NAMES[plan.feed]
        end = period_end(plan.sort_key)
        sent = end + timedelta(days=QUARTER_REPORT_DAYS if "Q" in plan.sort_key else MONTH_REPORT_DAYS)
        name = file_name(templates[index % len(templates)], plan.sort_key, sent)
        plan.index = index
        plan.path = unique(f"{load_feed(plan.feed).folder}/{name}", taken)
        plan.fmt = name.rsplit(".", 1)[1]
        plan.encoding = None
        if plan.fmt == "csv":
            plan.encoding = CSV_ENCODINGS[csv_counter[0] % len(CSV_ENCODINGS)] if messy else "utf-8"
            csv_counter[0] += 1
        plan.mtime = at(sent, 10, index)


def unique(path: str, taken: set[str]) -> str:
    stem, dot, ext = path.rpartition(".")
    candidate, n = path, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}_{n}{dot}{ext}"
    taken.add(candidate)
    return candidate
