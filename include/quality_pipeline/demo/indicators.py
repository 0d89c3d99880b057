"""Quarterly and annual (year-to-date) indicators computed in plain Python from the true loaded records, as
docs/indicators.md says: a year's figures from the year's records, never from its quarters' figures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from quality_pipeline.demo.model import FilePlan
from quality_pipeline.demo.periods import Quarter, Year
from quality_pipeline.feeds import PERIOD_SNAPSHOT, load_feed
from quality_pipeline.region import Region

DISTRICT = "district"
COUNTERFEIT = ("生产销售伪劣产品", "假冒注册商标")
FOLLOWUP_CLOSED = ("复查合格", "已立案")


def latest_records(plans: Iterable[FilePlan]) -> dict[str, list[dict]]:
    """Loaded records per feed after key history: plans come in delivery order, the newest wins; a plan of
    a period-snapshot feed withdraws the keys of the periods it restates that it lists nowhere; a plan that
    is held or withdrawn (`extra['outcome']`) counts for nothing."""
    latest: dict[str, dict[tuple, dict]] = defaultdict(dict)
    for plan in plans:
        if plan.extra.get("outcome") in ("held", "withdrawn"):
            continue
        feed = load_feed(plan.feed)
        current = latest[plan.feed]
        if feed.delivery == PERIOD_SNAPSHOT:
            restated = {period_label(feed, r.values[feed.event_date]) for r in plan.rows if r.loaded}
            listed = {tuple(r.values[k] for k in feed.key) for r in plan.rows}
            for k in [k for k, rec in current.items()
                      if k not in listed and period_label(feed, rec[feed.event_date]) in restated]:
                del current[k]
        for row in plan.rows:
            if row.loaded:
                current[tuple(row.values[k] for k in feed.key)] = row.values
    return {feed: list(records.values()) for feed, records in latest.items()}


def period_label(feed, day: date) -> str:
    """The label of the period of a snapshot feed's event date: 2026Q3 or 2026-09."""
    return str(Quarter.of(day)) if feed.period == "quarter" else f"{day.year}-{day.month:02d}"


PERIODS = {"quarter": Quarter, "year": Year}


def compute(region: Region, plans: Iterable[FilePlan], period: str = "quarter") -> list[dict]:
    """Every indicator but the index, per `period` ('quarter', or 'year' to date), keyed by that name."""
    records = latest_records(plans)
    out: list[dict] = []
    kind = PERIODS[period]
    _sampling(out, region, records.get("product_sampling", []), kind)
    _cases(out, region, records.get("enforcement_cases", []), kind)
    _inspections(out, region, records.get("enforcement_inspections", []), kind)
    _projects(out, records.get("remediation_projects", []), kind)
    _water(out, records.get("water_quality", []), kind)
    for row in out:
        row[period] = row.pop("period")
    return sorted(out, key=lambda r: (r[period], r["indicator"], r["scope"] != DISTRICT, r["scope"]))


def _emit(out: list, period, indicator: str, scope: str, value, numerator=None, denominator=None):
    out.append({"period": str(period), "indicator": indicator, "scope": scope, "value": value,
                "numerator": numerator, "denominator": denominator})


def _rate(out: list, quarter, indicator: str, scope: str, numerator, denominator) -> None:
    value = 100 * numerator / denominator if denominator else None
    _emit(out, quarter, indicator, scope, value, numerator, denominator)


def _by_quarter_and_scope(records: list[dict], event: str, region: Region | None, kind=Quarter) -> dict:
    """{period: {scope: records}}: every record under the district, and under its street when in the region.

    A period (a Quarter, or a Year with `kind`) with data has every street of the region (zero, not
    missing), like the district.
    """
    groups: dict = defaultdict(lambda: defaultdict(list))
    for r in records:
        quarter = kind.of(r[event])
        if quarter not in groups and region is not None:
            groups[quarter].update({street: [] for street in region.streets})
        groups[quarter][DISTRICT].append(r)
        if region is not None and r.get("street") in region.streets:
            groups[quarter][r["street"]].append(r)
    return groups


def _sampling(out: list, region: Region, records: list[dict], kind=Quarter) -> None:
    for quarter, scopes in _by_quarter_and_scope(records, "sampling_date", region, kind).items():
        for scope, rows in scopes.items():
            passed = sum(r["conclusion"] == "合格" for r in rows)
            batches = passed + sum(r["conclusion"] == "不合格" for r in rows)
            _emit(out, quarter, "sampling_batches", scope, batches)
            _rate(out, quarter, "sampling_pass_rate", scope, passed, batches)
            if scope == DISTRICT:
                refused = sum(r["conclusion"] == "拒检" for r in rows)
                _emit(out, quarter, "sampling_refusals", scope, refused)
                still_open = sum(r["conclusion"] == "不合格" and r["followup_status"] not in FOLLOWUP_CLOSED
                                 for r in rows)
                _emit(out, quarter, "sampling_followup_open", scope, still_open)


def _missed_transfer(r: dict) -> bool:
    over = (r["sales_amount"] or 0) >= 50_000 or (r["goods_value"] or 0) >= 150_000
    return r["violation_type"] == "生产销售伪劣产品" and over and not r["transferred"]


def _cases(out: list, region: Region, records: list[dict], kind=Quarter) -> None:
    for quarter, scopes in _by_quarter_and_scope(records, "filing_date", region, kind).items():
        for scope, rows in scopes.items():
            counted = [r for r in rows if r["status"] != "撤销"]
            _emit(out, quarter, "enforcement_cases", scope, len(counted))
            counterfeit = sum(r["violation_type"] in COUNTERFEIT for r in counted)
            _emit(out, quarter, "anticounterfeit_cases", scope, counterfeit)
            if scope == DISTRICT:
                penalties = sum((r["fine"] or 0) + (r["confiscation"] or 0) for r in counted)
                _emit(out, quarter, "enforcement_penalties_yuan", scope, penalties)
                transferred = sum(bool(r["transferred"]) for r in counted)
                _emit(out, quarter, "enforcement_transferred_cases", scope, transferred)
                missed = sum(_missed_transfer(r) for r in counted)
                _emit(out, quarter, "enforcement_missed_transfers", scope, missed)


def _inspections(out: list, region: Region, records: list[dict], kind=Quarter) -> None:
    for quarter, scopes in _by_quarter_and_scope(records, "inspection_date", region, kind).items():
        for scope, rows in scopes.items():
            officers = sum(r["officers"] for r in rows)
            _emit(out, quarter, "enforcement_inspection_person_times", scope, officers)
            entities = sum(r["entities"] or 0 for r in rows)
            _emit(out, quarter, "enforcement_entities_inspected", scope, entities)


def _projects(out: list, records: list[dict], kind=Quarter) -> None:
    by_project: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_project[r["project_no"]].append(r)
    for quarter in sorted({kind.of(r["report_month"]) for r in records}):
        latest = []
        for reports in by_project.values():
            reported = [r for r in reports if r["report_month"] <= quarter.end]
            if reported:
                latest.append(max(reported, key=lambda r: r["report_month"]))
        completed = sum(r["completed_investment"] for r in latest)
        planned = sum(r["planned_investment"] for r in latest)
        _rate(out, quarter, "remediation_investment_rate", DISTRICT, completed, planned)
        done = sum(r["actual_finish"] is not None and r["actual_finish"] <= quarter.end for r in latest)
        _emit(out, quarter, "remediation_projects_completed", DISTRICT, done)


def black_odorous(sample: dict) -> bool:
    """Black-odorous when any measure is light or heavy; under 25 cm of water transparency counts by depth."""
    measures = ("transparency_cm", "do_mg_l", "orp_mv", "nh3n_mg_l", "depth_cm")
    t, do, orp, nh3n, depth = (sample[k] for k in measures)
    if t is not None:
        if depth is not None and depth < 25:
            if t < 0.4 * depth:
                return True
        elif t <= 25:
            return True
    return ((do is not None and do <= 2.0) or (orp is not None and orp <= 50)
            or (nh3n is not None and nh3n >= 8.0))


def assessment(samples: list[dict]) -> dict[str, bool | None]:
    """Per water body: True not black-odorous, False black-odorous, None not assessed."""
    bodies: dict[str, list[dict]] = defaultdict(list)
    for s in samples:
        bodies[s["water_body"]].append(s)
    result: dict[str, bool | None] = {}
    for body, rows in bodies.items():
        points = {r["point_id"] for r in rows}
        dates: set[date] = {r["sample_date"] for r in rows}
        if len(points) < 3 or len(dates) < 3:
            result[body] = None
        else:
            result[body] = sum(black_odorous(r) for r in rows) <= 0.1 * len(rows)
    return result


def _water(out: list, records: list[dict], kind=Quarter) -> None:
    for quarter, scopes in _by_quarter_and_scope(records, "sample_date", None, kind).items():
        verdicts = [v for v in assessment(scopes[DISTRICT]).values() if v is not None]
        _rate(out, quarter, "water_bodies_not_black_rate", DISTRICT, sum(verdicts), len(verdicts))
