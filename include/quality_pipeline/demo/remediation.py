"""True records of the remediation feeds: monthly project reports and water-quality samples."""

from __future__ import annotations

import random
from datetime import date, timedelta

from quality_pipeline.demo import vocab
from quality_pipeline.demo.model import FilePlan, Row
from quality_pipeline.demo.periods import Quarter, add_months, month_end
from quality_pipeline.demo.records import Spec, person

# Per body and quarter, rotating: what the black-odorous assessment should find.
PATTERNS = ["clear", "black", "few_points", "clear_edge", "few_dates", "clear"]


def project_count(spec: Spec) -> int:
    return max(4, round(18 * spec.rows_per_quarter / 120))


def water_body_count(spec: Spec) -> int:
    return min(project_count(spec), max(4, round(6 * spec.rows_per_quarter / 120)))


def water_bodies(spec: Spec, count: int) -> list[tuple[str, str]]:
    """(name, street) of the water bodies under remediation; shared by projects and water quality."""
    rng = spec.rng("water_bodies")
    streets = list(spec.region.streets)
    rng.shuffle(streets)
    bodies, seen = [], set()
    for i in range(count):
        street = streets[i % len(streets)]
        base = street.removesuffix(spec.region.street_suffix) + rng.choice(vocab.WATER_SUFFIXES)
        name, k = base, 0
        while name in seen:
            name, k = f"{base}{'东西南北中'[k % 5]}段{'' if k < 5 else k}", k + 1
        seen.add(name)
        bodies.append((name, street))
    return bodies


def _project_month(plan: dict, month: tuple[int, int]) -> dict:
    end = month_end(*month)
    start, finish = plan["start"], plan["finish"]
    actual = None
    if end < start:
        progress, status = 0, "方案制定"
    elif finish <= end:
        progress, actual = 100, finish
        since = (end - finish).days
        status = "完成治理" if since < 90 else "初见成效" if since < 270 else "长制久清"
        if plan["relapse"] and since >= 120:
            status = "返黑返臭"
    else:
        progress, status = min(99, 100 * (end - start).days // plan["days"]), "治理中"
    completed = round(plan["planned"] * progress * plan["factor"] / 10_000) * 100
    return {
        "project_no": plan["project_no"],
        "report_month": date(*month, 1),
        "water_body": plan["water_body"],
        "street": plan["street"],
        "river_chief": plan["river_chief"],
        "baseline_grade": plan["baseline_grade"],
        "measures": plan["measures"],
        "planned_investment": plan["planned"],
        "completed_investment": completed,
        "start_date": start if end >= start else None,
        "planned_finish": plan["planned_finish"],
        "actual_finish": actual,
        "progress_pct": progress,
        "status": status,
    }


def remediation_projects(spec: Spec) -> list[FilePlan]:
    rng = spec.rng("remediation_projects")
    months = spec.months
    by_month: dict[tuple[int, int], list[Row]] = {m: [] for m in months}
    for p, (body, street) in enumerate(water_bodies(spec, project_count(spec))):
        start_month = add_months(*months[0], rng.randint(-12, 5))
        start = date(*start_month, rng.randint(1, 28))
        duration = rng.randint(8, 20)
        plan = {
            "project_no": f"HC{spec.region.code}-{p + 1:03d}",
            "water_body": body,
            "street": street,
            "river_chief": person(rng),
            "baseline_grade": rng.choice(["轻度", "重度"]),
            "measures": [m for m in vocab.MEASURES if rng.random() < 0.6] or [vocab.MEASURES[0]],
            "planned": rng.randint(300, 1700) * 100_000,
            "start": start,
            "planned_finish": date(*add_months(*start_month, duration), min(start.day, 28)),
            "days": round(duration * 30.4 / rng.uniform(0.75, 1.3)),
            "factor": rng.uniform(0.85, 1.1),
            "relapse": rng.random() < 0.1,
        }
        plan["finish"] = start + timedelta(days=plan["days"])
        skipped = rng.choice(months[1:]) if len(months) > 1 and rng.random() < 0.2 else None
        first_report = add_months(*start_month, -1)
        for month in months:
            if month >= first_report and month != skipped:
                by_month[month].append(Row(_project_month(plan, month)))
    return [FilePlan("remediation_projects", f"{y}年{m}月", f"{y}-{m:02d}", by_month[(y, m)])
            for y, m in months]


def _sample_dates(rng: random.Random, quarter: Quarter, count: int) -> list[date]:
    months = quarter.months if count >= 3 else sorted(rng.sample(quarter.months, count))
    days = [date(y, m, rng.randint(3, 26)) for y, m in months]
    while len(days) < count:
        y, m = rng.choice(quarter.months)
        extra = date(y, m, rng.randint(3, 26))
        if extra not in days:
            days.append(extra)
    return sorted(days)


def _sample(rng: random.Random, body: str, point: str, day: date, base_depth: int, black: bool) -> dict:
    depth = base_depth + rng.randint(-2, 2)
    shallow = depth < 25
    clear = rng.uniform(0.4 * depth + 1, depth) if shallow else rng.uniform(27, min(90, depth))
    values = {
        "transparency_cm": clear,
        "do_mg_l": rng.uniform(2.3, 7.5),
        "orp_mv": rng.randint(60, 250),
        "nh3n_mg_l": rng.uniform(0.3, 7.5),
    }
    causes = rng.sample(sorted(values), rng.randint(1, 2)) if black else []
    for measure in causes:
        values[measure] = {
            "transparency_cm": rng.uniform(1, 0.4 * depth - 1) if shallow else rng.uniform(3, 22),
            "do_mg_l": rng.uniform(0.1, 1.8),
            "orp_mv": rng.randint(-260, 40),
            "nh3n_mg_l": rng.uniform(8.5, 22),
        }[measure]
    record = {
        "water_body": body, "point_id": point, "sample_date": day,
        "transparency_cm": round(values["transparency_cm"], 1), "do_mg_l": round(values["do_mg_l"], 2),
        "orp_mv": values["orp_mv"], "nh3n_mg_l": round(values["nh3n_mg_l"], 2), "depth_cm": depth,
    }
    optional = [m for m in ("orp_mv", "nh3n_mg_l") if m not in causes] + ([] if shallow else ["depth_cm"])
    if optional and rng.random() < 0.08:  # an unmeasured value that cannot change the grading
        record[rng.choice(optional)] = None
    return record


def water_quality(spec: Spec) -> list[FilePlan]:
    rng = spec.rng("water_quality")
    bodies = water_bodies(spec, project_count(spec))[: water_body_count(spec)]
    points = []
    for b, (body, _street) in enumerate(bodies):
        count = rng.choice([3, 4])
        depths = [rng.randint(40, 150) for _ in range(count)]
        if b % 3 == 1:
            depths[-1] = rng.randint(15, 22)  # a shallow point: the 40%-of-depth rule applies
        points.append([(f"{body}{k + 1}#", d) for k, d in enumerate(depths)])
    files = []
    for qi, quarter in enumerate(spec.quarters):
        rows = []
        for b, (body, _street) in enumerate(bodies):
            pattern = PATTERNS[(b + qi) % len(PATTERNS)]
            count = 2 if pattern == "few_dates" else 4 if pattern == "clear_edge" else rng.choice([3, 4])
            pts = points[b][:2] if pattern == "few_points" else points[b]
            cells = [(day, pt) for day in _sample_dates(rng, quarter, count) for pt in pts]
            if pattern == "black":
                black = set(rng.sample(range(len(cells)), max(2, round(0.45 * len(cells)))))
            elif pattern == "clear_edge":
                black = {rng.randrange(len(cells))} if len(cells) >= 10 else set()
            elif pattern == "clear":
                black = set()
            else:
                black = {i for i in range(len(cells)) if rng.random() < 0.2}
            for i, (day, (point, depth)) in enumerate(cells):
                rows.append(Row(_sample(rng, body, point, day, depth, i in black)))
        rows.sort(key=lambda r: (r.values["sample_date"], r.values["point_id"]))
        files.append(FilePlan("water_quality", f"{quarter.year}年{quarter.cn}", str(quarter), rows))
    return files
