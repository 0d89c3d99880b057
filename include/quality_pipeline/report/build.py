"""Build the quarterly report (HTML page and XLSX workbook) from the published warehouse, read-only."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from quality_pipeline import calendar
from quality_pipeline.indicators.compute import indicator_config
from quality_pipeline.indicators.quality_index import load_index_config
from quality_pipeline.region import load_region
from quality_pipeline.report import data as report_data
from quality_pipeline.report import fmt, labels, quarters
from quality_pipeline.report.charts import build_charts, build_year_charts
from quality_pipeline.report.page import render
from quality_pipeline.report.reference import SAMPLE_EN, SAMPLE_ZH
from quality_pipeline.report.tables import build_tables
from quality_pipeline.report.workbook import workbook_bytes
from quality_pipeline.settings import Settings, load_settings
from quality_pipeline.warehouse.writer import read_only

HTML_NAME = "report.html"
XLSX_NAME = "report.xlsx"


@dataclass(frozen=True)
class ReportPaths:
    quarter: str
    html: Path
    xlsx: Path


def _write_atomically(path: Path, content: bytes) -> None:
    """Readers (a browser, a mail client) never see half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)


def _city(region_file: Path) -> str | None:
    return yaml.safe_load(Path(region_file).read_text(encoding="utf-8")).get("city")


def _choose(statuses: dict[str, str], wanted: list[str] | None, latest: bool) -> list[str]:
    """The quarters to report: the latest closed one, those asked for, or (wanted None) all."""
    if latest:
        closed = report_data.latest_closed(statuses)
        if closed is None:
            raise LookupError(
                f"没有已结束的季度（{', '.join(statuses)} 均未结束）/ no closed quarter yet "
                f"({', '.join(statuses)} still provisional): ask for one with --quarter")
        return [closed]
    chosen = list(statuses) if wanted is None else list(dict.fromkeys(wanted))
    missing = [q for q in chosen if q not in statuses]
    if missing:
        raise LookupError(f"no indicators for {', '.join(missing)} (the warehouse has {', '.join(statuses)})")
    return chosen


def _load(settings: Settings, wanted: list[str] | None, latest: bool = False,
          today: date | None = None) -> list[report_data.ReportData]:
    """The data of the wanted quarters (None: all; latest: the newest closed one), in one read-only session."""
    if not settings.warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {settings.warehouse}: run the pipeline first")
    for quarter in wanted or []:
        quarters.parse(quarter)
    region = load_region(settings.region_file)
    index_config = load_index_config(settings.index_file)
    today = today or calendar.local_today()
    con = read_only(settings)
    try:
        statuses = report_data.quarter_statuses(con, today, region.grace_days)
        if not statuses:
            raise LookupError("marts.quarterly_indicators is empty: no quarter has data yet")
        return [report_data.load(con, q, region, index_config, today)
                for q in _choose(statuses, wanted, latest)]
    finally:
        con.close()


def _write(data: report_data.ReportData, settings: Settings) -> ReportPaths:
    tables = build_tables(data)
    by_key = {t.key: t for t in tables}
    charts = build_charts(by_key, data.index_config)
    directions = {k: v.get("direction") for k, v in indicator_config().items()}
    city = _city(settings.region_file)
    page = render(data, by_key, charts, directions, city=city, year_charts=build_year_charts(data))
    title = f"{data.region.name} {quarters.label_zh(data.quarter)} 质量强区指标报告"
    if data.provisional:
        title += f"（{labels.PROVISIONAL_ZH}）"
    if data.sample_data:
        title += f"（{SAMPLE_ZH}）"
    period = f"{quarters.start(data.quarter)} 至 {quarters.end(data.quarter)}"
    as_of = data.data_as_of.strftime("%Y-%m-%d %H:%M") if data.data_as_of else fmt.DASH
    cover = [("地区 Region", f"{city or ''}{data.region.name}（{data.region.code}）"),
             ("季度 Quarter", f"{data.quarter}（{period}）"),
             ("季度状态 Status", labels.status_text(data.provisional, data.elapsed)),
             ("数据截至 Data as of", as_of),
             ("来源 Source", "marts.quarterly_indicators, marts.annual_indicators, core.remediation_projects"),
             ("口径 Definitions", "docs/indicators.md")]
    if data.sample_data:
        cover.insert(0, (f"{SAMPLE_ZH} {SAMPLE_EN.capitalize()}", data.sample_data))
    out_dir = settings.reports_dir / data.quarter
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = ReportPaths(data.quarter, out_dir / HTML_NAME, out_dir / XLSX_NAME)
    _write_atomically(paths.html, page.encode("utf-8"))
    _write_atomically(paths.xlsx, workbook_bytes(title, cover, tables))
    return paths


def build_reports(quarters_wanted: list[str] | None = None, settings: Settings | None = None,
                  today: date | None = None) -> list[ReportPaths]:
    """Write the report of each quarter (default: every quarter with indicators) under QUALITY_REPORTS_DIR;
    a provisional quarter's report is marked as such throughout."""
    settings = settings or load_settings()
    return [_write(d, settings) for d in _load(settings, quarters_wanted, today=today)]


def build_report(quarter: str | None = None, settings: Settings | None = None,
                 today: date | None = None) -> ReportPaths:
    """Write one quarter's report (default: the latest closed quarter on `today`, the district's today)."""
    settings = settings or load_settings()
    (data,) = _load(settings, None if quarter is None else [quarter], latest=quarter is None, today=today)
    return _write(data, settings)
