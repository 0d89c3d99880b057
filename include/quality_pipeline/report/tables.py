"""The report's tables, built once and rendered twice: as HTML and as one XLSX sheet each.

A cell holds the raw value (numbers stay numbers); its column's `kind` says how to show it.
Kinds: text, int, dec1, dec2, num (no decimals when whole), pct (0–100, one decimal), met (True/False/None),
by_unit (as the row's `_unit` says: %, score, count, person-times, yuan).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from quality_pipeline.indicators.compute import year_elapsed_share
from quality_pipeline.report import labels, quarters
from quality_pipeline.report.data import ReportData

WAN = 10_000  # 万元
INDEX = "quality_competitiveness_index"
PERSON_TIMES = "enforcement_inspection_person_times"


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    kind: str = "text"


@dataclass
class Table:
    key: str  # HTML anchor and chart link
    sheet: str  # XLSX sheet name (Chinese, ≤ 31 characters)
    title_zh: str
    title_en: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    note: str = ""


QUARTER = Column("quarter", "季度", "Quarter")
MET = Column("met", "是否达标", "Target met", "met")
TARGET_PCT = Column("target", "目标(%)", "Target (%)", "pct")


def _in_order(found: dict) -> list[str]:
    """The indicators in `found`: the known ones in the report's order, then any other by name."""
    known = [i for i in labels.INDICATORS if i in found]
    return known + sorted(set(found) - set(known))


def _indicator_cells(indicator: str, r: dict) -> dict:
    """The cells every per-indicator table starts with (its value, unit, numerator, denominator, target)."""
    return {"label": labels.zh(indicator), "code": indicator, "value": r["value"],
            "unit": labels.unit_zh(indicator, r["unit"]), "numerator": r["numerator"],
            "denominator": r["denominator"], "target": r["target"], "_unit": r["unit"]}


def _indicator_columns(value: Column, target: Column) -> list[Column]:
    return [Column("label", "指标", "Indicator"), Column("code", "指标代码", "Code"), value,
            Column("unit", "单位", "Unit"), Column("numerator", "分子", "Numerator", "int"),
            Column("denominator", "分母", "Denominator", "int"), target]


def _quarter_cells(r: dict, **cells) -> dict:
    """A row of a by-quarter table: its quarter, `cells`, its target and whether it was met."""
    return {"quarter": r["quarter"], **cells, "target": r["target"], "met": r["target_met"]}


def _by_quarter(key: str, sheet: str, title_zh: str, title_en: str, rows: list[dict], columns: list[Column],
                target: Column, *, note: str) -> Table:
    """A table of one row per quarter: the quarter, `columns`, the target and whether it was met."""
    return Table(key, sheet, title_zh, title_en, [QUARTER, *columns, target, MET], rows, note=note)


def district_table(data: ReportData) -> Table:
    rows = []
    for indicator in _in_order(data.district):
        r = data.district[indicator]
        change = (None if r["value"] is None or r["previous_value"] is None
                  else round(r["value"] - r["previous_value"], 4))
        rows.append({**_indicator_cells(indicator, r), "met": r["target_met"], "previous": r["previous_value"],
                     "change": change})
    columns = [
        *_indicator_columns(Column("value", "数值", "Value", "by_unit"), Column("target", "目标", "Target", "by_unit")),
        MET,
        Column("previous", "上季度", "Previous quarter", "by_unit"),
        Column("change", "环比变化", "Change", "by_unit"),
    ]
    mark = f"（{labels.PROVISIONAL_ZH}）" if data.provisional else ""
    return Table("district", f"全区指标{mark}", f"全区指标（{quarters.label_zh(data.quarter)}）{mark}",
                 f"District indicators, {data.quarter}" + (" (provisional)" if data.provisional else ""),
                 columns, rows, note=labels.status_text(data.provisional, data.elapsed) if data.provisional else "")


def pass_rate_table(data: ReportData) -> Table:
    rows = [_quarter_cells(r, passed=r["numerator"], judged=r["denominator"], rate=r["value"])
            for r in data.series("sampling_pass_rate")]
    return _by_quarter("pass_rate", "抽检合格率", "产品质量监督抽查合格率（按季度）", "Sampling pass rate by quarter",
                       rows, [Column("passed", "合格批次", "Passed", "int"),
                              Column("judged", "判定批次（合格+不合格）", "Judged batches", "int"),
                              Column("rate", "合格率(%)", "Pass rate (%)", "pct")], TARGET_PCT,
                       note="拒检批次不计入分子、分母 / refusals count in neither")


def person_times_table(data: ReportData) -> Table:
    entities = {r["quarter"]: r["value"] for r in data.series("enforcement_entities_inspected")}
    rows = [_quarter_cells(r, person_times=r["value"], entities=entities.get(r["quarter"]))
            for r in data.series(PERSON_TIMES)]
    return _by_quarter("person_times", "执法检查人次", "执法检查人次（按季度）", "Inspection person-times by quarter",
                       rows, [Column("person_times", "执法检查人次", "Person-times", "int"),
                              Column("entities", "检查户次", "Entities inspected", "int")],
                       Column("target", "目标", "Target", "int"),
                       note="目标：每季度 1,000 人次（全年 4,000 人次）/ target 1,000 a quarter")


def streets_table(data: ReportData) -> Table:
    """Every street, ranked by the index (ties share a rank; streets without an index last, by name)."""
    by = {i: data.street_values(i) for i in labels.INDICATORS}
    names = sorted({r["street"] for r in data.streets} | set(data.region.streets))

    def value(indicator: str, street: str, key: str = "value"):
        row = by[indicator].get(street)
        return None if row is None else row[key]

    scores = {s: value(INDEX, s) for s in names}
    ranked = sorted(names, key=lambda s: (scores[s] is None, -(scores[s] or 0), s))
    rounded = [round(v, 2) for v in scores.values() if v is not None]
    rows = []
    for street in ranked:
        score = scores[street]
        rank = None if score is None else 1 + sum(1 for v in rounded if v > round(score, 2))  # ties share
        band = labels.band_of(score, data.index_config)
        rows.append({
            "rank": rank, "street": street, "index": score, "_index_target": value(INDEX, street, "target"),
            "band": f"{band['band_zh']}（{band['band']}）" if band else None,
            "_band": band["band"] if band else None,
            "batches": value("sampling_batches", street),
            "pass_rate": value("sampling_pass_rate", street),
            "person_times": value(PERSON_TIMES, street),
            "person_times_target": value(PERSON_TIMES, street, "target"),
            "person_times_met": value(PERSON_TIMES, street, "target_met"),
            "entities": value("enforcement_entities_inspected", street),
            "cases": value("enforcement_cases", street),
            "anticounterfeit": value("anticounterfeit_cases", street),
        })
    columns = [
        Column("rank", "排名", "Rank", "int"),
        Column("street", "街道", "Street"),
        Column("index", "质量竞争力指数", "Index", "dec2"),
        Column("band", "等级", "Band"),
        Column("batches", "抽检批次", "Sampling batches", "int"),
        Column("pass_rate", "抽检合格率(%)", "Pass rate (%)", "pct"),
        Column("person_times", "执法检查人次", "Person-times", "int"),
        Column("person_times_target", "人次目标", "Person-times target", "dec1"),
        Column("person_times_met", "人次达标", "Person-times met", "met"),
        Column("entities", "检查户次", "Entities inspected", "int"),
        Column("cases", "立案数", "Cases", "int"),
        Column("anticounterfeit", "打假案件", "Anti-counterfeit cases", "int"),
    ]
    return Table("streets", "街道分项", "各街道分项指标与质量竞争力指数排名",
                 f"Street breakdown and quality-competitiveness index ranking, {data.quarter}", columns, rows,
                 note="等级：≥90 强，85–90 良，80–85 中，<80 弱 / bands from quality_index.yaml")


def projects_table(data: ReportData) -> Table:
    rows = []
    for p in data.projects:
        planned, completed = p["planned_investment"], p["completed_investment"]
        rate = None if not planned or completed is None else 100.0 * completed / planned
        rows.append({"project_no": p["project_no"], "water_body": p["water_body"], "street": p["street"],
                     "report_month": p["report_month"].strftime("%Y-%m") if p["report_month"] else None,
                     "planned": None if planned is None else planned / WAN,
                     "completed": None if completed is None else completed / WAN,
                     "rate": rate, "progress": p["progress_pct"], "status": p["status"],
                     "finish": p["actual_finish"].isoformat() if p["finished"] else None})
    rows.sort(key=lambda r: (r["rate"] is None, -(r["rate"] or 0), str(r["project_no"])))
    planned = sum(r["planned"] or 0 for r in rows)
    completed = sum(r["completed"] or 0 for r in rows)
    if rows:
        rows.append({"project_no": "合计", "water_body": f"{len(rows)} 个项目", "planned": planned,
                     "completed": completed, "rate": 100.0 * completed / planned if planned else None,
                     "_total": True})
    columns = [
        Column("project_no", "项目编号", "Project"),
        Column("water_body", "水体名称", "Water body"),
        Column("street", "所在街道", "Street"),
        Column("report_month", "最新报告期", "Latest report"),
        Column("planned", "计划总投资(万元)", "Planned (10k yuan)", "dec1"),
        Column("completed", "累计完成投资(万元)", "Completed (10k yuan)", "dec1"),
        Column("rate", "投资完成率(%)", "Investment completed (%)", "pct"),
        Column("progress", "形象进度(%)", "Works progress (%)", "pct"),
        Column("status", "治理状态", "Status"),
        Column("finish", "实际完工日期", "Finished on"),
    ]
    return Table("projects", "整治项目进度", "黑臭水体整治项目投资进度（截至季末最新月报）",
                 f"Remediation investment progress by project, latest report by {quarters.end(data.quarter)}",
                 columns, rows)


def water_table(data: ReportData) -> Table:
    rows = []
    for r in data.series("water_bodies_not_black_rate"):
        assessed, cleared = r["denominator"], r["numerator"]
        rows.append(_quarter_cells(r, assessed=assessed, cleared=cleared, rate=r["value"],
                                   remaining=None if assessed is None or cleared is None else assessed - cleared))
    return _by_quarter("water", "黑臭水体消除", "黑臭水体消除情况（按季度）",
                       "Water bodies cleared of black-odour by quarter", rows,
                       [Column("assessed", "评估水体数", "Bodies assessed", "int"),
                        Column("cleared", "不黑不臭水体数", "Not black-odorous", "int"),
                        Column("remaining", "仍黑臭水体数", "Still black-odorous", "int"),
                        Column("rate", "消除黑臭比例(%)", "Share cleared (%)", "pct")], TARGET_PCT,
                       note="评估：季度内≥3个点位、≥3个日期采样；黑臭样本≤10% 为不黑不臭 / "
                            "assessment per the 2015 guide")


def stock_table(data: ReportData) -> Table | None:
    if not data.stock:
        return None
    rows = [{"group": f.group_zh, "group_en": f.group_en, "label": f.label, "value": f.value,
             "unit": f.unit_zh} for f in data.stock]
    columns = [
        Column("group", "类别", "Group"),
        Column("group_en", "类别（英文）", "Group (English)"),
        Column("label", "项目", "Item"),
        Column("value", "数值", "Value", "num"),
        Column("unit", "单位", "Unit"),
    ]
    return Table("stock", "存量数据", "存量数据（手工维护参考数据）",
                 "Stock figures (reference data kept by hand)", columns, rows,
                 note=f"截至 {quarters.end(data.quarter)} / as at quarter end; source ref.*")


def pace_target(row: dict, share: float) -> float | None:
    """The annual target pro-rated to the elapsed share of the year, for a figure that accumulates."""
    if row["target"] is None or row["unit"] not in labels.COUNT_UNITS:
        return row["target"]
    return row["target"] * share


def year_share(data: ReportData, through_quarter: str | None) -> float:
    if through_quarter is None or data.today is None:
        return 1.0
    return year_elapsed_share(through_quarter, data.today)


def year_table(data: ReportData) -> Table:
    """The year to date (marts.annual_indicators, district) against the annual and the pro-rated target."""
    rows = []
    for indicator in _in_order(data.annual):
        r = data.annual[indicator]
        share = year_share(data, r["through_quarter"])
        rows.append({**_indicator_cells(indicator, r), "pace": pace_target(r, share), "met": r["target_met"],
                     "on_track": r["on_track"], "through": r["through_quarter"], "status": r["period_status"]})
    columns = [
        *_indicator_columns(Column("value", "年初至今", "Year to date", "by_unit"),
                            Column("target", "年度目标", "Annual target", "by_unit")),
        Column("pace", "按进度目标", "Target pro-rated", "by_unit"),
        Column("met", "已达年度目标", "Annual target met", "met"),
        Column("on_track", "进度正常", "On track", "met"),
        Column("through", "数据截至季度", "Through quarter"),
        Column("status", "年度状态", "Year status"),
    ]
    through = next((r["through"] for r in rows if r["through"]), None)
    return Table("year", "年度累计", f"年度累计指标（{data.year} 年，截至 {through or '—'}）",
                 f"Year {data.year} to date through {through or '—'}, against the annual targets", columns, rows,
                 note="计数类指标按全年已过比例折算目标判断进度；比率、得分与目标本身比较 / counts are on track "
                      "against the annual target pro-rated to the elapsed share of the year; rates and scores "
                      "against the target itself. 口径 definitions: docs/indicators.md")


def year_to_date_by_quarter(data: ReportData, indicator: str) -> list[dict]:
    """The year's figure through each of its quarters: Σ value (counts) or Σ numerator ÷ Σ denominator (rates),
    with the pro-rated annual target at that point."""
    annual = data.annual.get(indicator)
    out: list[dict] = []
    value: float | None = None
    numerator = denominator = 0.0
    for r in (r for r in data.year_quarters if r["indicator"] == indicator):
        if r["numerator"] is not None and r["denominator"] is not None:
            numerator += r["numerator"]
            denominator += r["denominator"]
            value = 100.0 * numerator / denominator if denominator else None
        else:
            value = (value or 0.0) + (r["value"] or 0.0)
        share = year_share(data, r["quarter"])
        target = annual["target"] if annual else None
        out.append({"quarter": r["quarter"], "value": value, "target": target,
                    "pace": pace_target({"target": target, "unit": annual["unit"]}, share) if annual else None,
                    "provisional": r["period_status"] != "closed"})
    return out


def build_tables(data: ReportData) -> list[Table]:
    tables = [district_table(data), year_table(data), pass_rate_table(data), person_times_table(data),
              water_table(data), projects_table(data), streets_table(data)]
    stock = stock_table(data)
    return tables + ([stock] if stock else [])
