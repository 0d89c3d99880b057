"""Chart specifications (plain JSON) drawn as SVG by `assets/report.js` in the page.

Labels are formatted here, so the page and the workbook show the same figures; the script only lays
them out. Every value a chart draws is one element of class `mark`, which the browser test counts.
"""

from __future__ import annotations

import math

from quality_pipeline.report import fmt, quarters
from quality_pipeline.report.data import ReportData
from quality_pipeline.report.tables import Table, year_to_date_by_quarter

MET, MISSED, NEUTRAL, PENDING = "#1f9d55", "#d64545", "#3b6fd8", "#c7d2e4"
WIDTHS = {"third": 440, "half": 600, "full": 1160}  # SVG user units; the page lays the charts out by size
BAND_COLOURS = {"strong": "#137a43", "good": "#4caf50", "fair": "#f0a30a", "weak": "#d64545"}


def _colour(met: bool | None) -> str:
    return NEUTRAL if met is None else MET if met else MISSED


def _target(value: float | None, label: str) -> dict | None:
    return None if value is None else {"value": value, "label": label}


def _first_target(rows: list[dict]) -> float | None:
    return next((r["target"] for r in reversed(rows) if r.get("target") is not None), None)


def pass_rate_chart(table: Table) -> dict:
    rows = [r for r in table.rows if r["rate"] is not None]
    target = _first_target(rows)
    low = min([r["rate"] for r in rows] + [target if target is not None else 100, 80.0])
    return {
        "id": "pass_rate", "kind": "line", "size": "third", "table": table.key, "unit": "%",
        "title_zh": "抽检合格率", "title_en": "Sampling pass rate by quarter, against the target line",
        "categories": [quarters.label_short(r["quarter"]) for r in rows],
        "values": [r["rate"] for r in rows], "labels": [f"{r['rate']:.1f}%" for r in rows],
        "colors": [_colour(r["met"]) for r in rows],
        "target": _target(target, f"目标 {target:g}%" if target is not None else ""),
        "domain": [5 * math.floor((low - 2) / 5), 100],
        "legend": [{"label": "达标 met", "color": MET}, {"label": "未达标 missed", "color": MISSED}],
    }


def person_times_chart(table: Table) -> dict:
    rows = [r for r in table.rows if r["person_times"] is not None]
    target = _first_target(rows)
    return {
        "id": "person_times", "kind": "bars", "size": "third", "table": table.key, "unit": "人次",
        "title_zh": "执法检查人次", "title_en": "Inspection person-times by quarter, against the target",
        "categories": [quarters.label_short(r["quarter"]) for r in rows],
        "values": [r["person_times"] for r in rows],
        "labels": [fmt.text(r["person_times"], "int") for r in rows],
        "colors": [_colour(r["met"]) for r in rows],
        "target": _target(target, f"目标 {fmt.text(target, 'int')}" if target is not None else ""),
        "legend": [{"label": "达标 met", "color": MET}, {"label": "未达标 missed", "color": MISSED}],
    }


def street_person_times_chart(table: Table) -> dict:
    rows = sorted((r for r in table.rows if r["person_times"] is not None),
                  key=lambda r: (-r["person_times"], r["street"]))
    target = _first_target([{"target": r["person_times_target"]} for r in rows])
    return {
        "id": "street_person_times", "kind": "hbars", "size": "half", "table": table.key, "unit": "人次",
        "title_zh": "各街道执法检查人次", "title_en": "Inspection person-times by street this quarter",
        "categories": [r["street"] for r in rows], "values": [r["person_times"] for r in rows],
        "labels": [fmt.text(r["person_times"], "int") for r in rows],
        "colors": [_colour(r["person_times_met"]) for r in rows],
        "target": _target(target, f"目标 {target:.1f}" if target is not None else ""),
        "legend": [{"label": "达标 met", "color": MET}, {"label": "未达标 missed", "color": MISSED}],
    }


def water_chart(table: Table) -> dict:
    rows = [r for r in table.rows if r["assessed"]]
    return {
        "id": "water", "kind": "stack", "size": "third", "table": table.key, "unit": "个",
        "title_zh": "黑臭水体消除情况",
        "title_en": "Water bodies assessed and cleared of black-odour, by quarter",
        "categories": [quarters.label_short(r["quarter"]) for r in rows],
        "series": [
            {"name": "不黑不臭 cleared", "color": MET, "values": [r["cleared"] for r in rows]},
            {"name": "仍黑臭 still black-odorous", "color": "#f08c2e",
             "values": [r["remaining"] for r in rows]},
        ],
        "labels": [fmt.DASH if r["rate"] is None else f"{fmt.text(r['rate'], 'pct')}%" for r in rows],
        "colors": [_colour(r["met"]) for r in rows],
        "legend": [{"label": "不黑不臭 cleared", "color": MET},
                   {"label": "仍黑臭 still black-odorous", "color": "#f08c2e"},
                   {"label": "比例未达标 share below target", "color": MISSED}],
    }


def projects_chart(table: Table) -> dict:
    rows = [r for r in table.rows if not r.get("_total") and r["planned"] is not None]
    return {
        "id": "projects", "kind": "hbars", "size": "full", "table": table.key, "unit": "万元",
        "label_width": 230, "label_chars": 20,
        "title_zh": "整治项目投资进度",
        "title_en": "Remediation investment by project: completed against planned (10k yuan)",
        "categories": [f"{r['water_body']}（{r['project_no']}）" for r in rows],
        "tooltips": [f"{r['project_no']} {r['water_body']}：{fmt.text(r['completed'], 'dec1')} / "
                     f"{fmt.text(r['planned'], 'dec1')} 万元" for r in rows],
        "values": [r["completed"] or 0 for r in rows], "totals": [r["planned"] for r in rows],
        "labels": [f"{fmt.text(r['rate'], 'pct')}%" for r in rows],
        "colors": [MET if r["finish"] else NEUTRAL for r in rows],
        "legend": [{"label": "累计完成 completed", "color": NEUTRAL},
                   {"label": "已完工 finished", "color": MET},
                   {"label": "计划总投资 planned", "color": PENDING}],
    }


def _band_legend(index_config: dict) -> list[dict]:
    bands = sorted(index_config["bands"], key=lambda b: -b["min"])
    items = []
    for i, b in enumerate(bands):
        upper = bands[i - 1]["min"] if i else None
        if upper is None:
            span = f"≥{b['min']:g}"
        else:
            span = f"<{upper:g}" if b["min"] <= 0 else f"{b['min']:g}–{upper:g}"
        colour = BAND_COLOURS.get(b["band"], NEUTRAL)
        items.append({"label": f"{b['band_zh']} {b['band']} {span}", "color": colour})
    return items


def index_chart(table: Table, index_config: dict) -> dict:
    rows = [r for r in table.rows if r["index"] is not None]
    target = _first_target([{"target": r["_index_target"]} for r in rows])
    return {
        "id": "index", "kind": "hbars", "size": "half", "table": table.key, "unit": "分",
        "title_zh": "质量竞争力指数街道排名", "title_en": "Quality-competitiveness index by street, ranked",
        "categories": [f"{r['rank']}. {r['street']}" for r in rows], "values": [r["index"] for r in rows],
        "labels": [f"{r['index']:.1f} {r['band'].split('（')[0]}" for r in rows],
        "colors": [BAND_COLOURS.get(r["_band"], NEUTRAL) for r in rows],
        "target": _target(target, f"目标 {target:g}" if target is not None else ""), "domain": [60, 100],
        "legend": _band_legend(index_config),
    }


def _year_colours(points: list[dict], met: list[bool | None]) -> list[str]:
    return [PENDING if p["provisional"] else _colour(m) for p, m in zip(points, met, strict=True)]


YEAR_LEGEND = [{"label": "进度正常 on track", "color": MET}, {"label": "落后于进度 behind", "color": MISSED},
               {"label": "季度未结束 provisional", "color": PENDING}]


def year_person_times_chart(data: ReportData) -> dict:
    """Inspection person-times accumulated through each quarter of the year, against the annual target and
    the target pro-rated to the share of the year elapsed at each point (the dashed pace line)."""
    points = year_to_date_by_quarter(data, "enforcement_inspection_person_times")
    target = points[-1]["target"] if points else None
    on_pace = [None if p["pace"] is None or p["value"] is None else p["value"] >= p["pace"] - 1e-9 for p in points]
    return {
        "id": "year_person_times", "kind": "bars", "size": "half", "table": "year", "unit": "人次",
        "title_zh": f"{data.year} 年执法检查人次累计",
        "title_en": "Inspection person-times, year to date by quarter, against the annual target and the pace",
        "categories": [f"至 {quarters.label_short(p['quarter'])}" for p in points],
        "values": [p["value"] for p in points], "labels": [fmt.text(p["value"], "int") for p in points],
        "colors": _year_colours(points, on_pace),
        "target": _target(target, f"目标 {fmt.text(target, 'int')}" if target is not None else ""),
        "pace": [p["pace"] for p in points], "pace_label": "按进度 pro-rated",
        "legend": YEAR_LEGEND,
    }


def year_pass_rate_chart(data: ReportData) -> dict:
    """The pass rate over the year's batches through each quarter, against the annual target."""
    points = [p for p in year_to_date_by_quarter(data, "sampling_pass_rate") if p["value"] is not None]
    target = points[-1]["target"] if points else None
    met = [None if target is None else p["value"] >= target - 1e-9 for p in points]
    low = min([p["value"] for p in points] + [target if target is not None else 100, 80.0])
    return {
        "id": "year_pass_rate", "kind": "line", "size": "half", "table": "year", "unit": "%",
        "title_zh": f"{data.year} 年抽检合格率累计",
        "title_en": "Sampling pass rate over the year's batches to date, by quarter, against the annual target",
        "categories": [f"至 {quarters.label_short(p['quarter'])}" for p in points],
        "values": [p["value"] for p in points], "labels": [f"{p['value']:.1f}%" for p in points],
        "colors": _year_colours(points, met),
        "target": _target(target, f"目标 {target:g}%" if target is not None else ""),
        "domain": [5 * math.floor((low - 2) / 5), 100],
        "legend": YEAR_LEGEND,
    }


def build_year_charts(data: ReportData) -> list[dict]:
    charts = [year_person_times_chart(data), year_pass_rate_chart(data)]
    for chart in charts:
        chart["width"] = WIDTHS[chart["size"]]
    return charts


def build_charts(tables: dict[str, Table], index_config: dict) -> list[dict]:
    charts = [
        pass_rate_chart(tables["pass_rate"]),
        person_times_chart(tables["person_times"]),
        water_chart(tables["water"]),
        index_chart(tables["streets"], index_config),
        street_person_times_chart(tables["streets"]),
        projects_chart(tables["projects"]),
    ]
    for chart in charts:
        chart["width"] = WIDTHS[chart["size"]]
    return charts


def expected_marks(chart: dict) -> int:
    """How many `mark` elements the chart must hold once drawn (one per value)."""
    if chart["kind"] == "stack":
        return sum(1 for s in chart["series"] for v in s["values"] if v)
    return sum(1 for v in chart["values"] if v is not None)
