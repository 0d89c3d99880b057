"""The report as one self-contained HTML page: every value escaped, charts drawn by an inline script.

No network: styles and the drawing script are inlined, and a Content-Security-Policy forbids anything
else, so a stray external reference shows up as a console error in the browser test.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from quality_pipeline.report import fmt, labels, quarters
from quality_pipeline.report.data import ReportData
from quality_pipeline.report.reference import SAMPLE_EN, SAMPLE_ZH
from quality_pipeline.report.tables import Table

ASSETS = Path(__file__).resolve().parent / "assets"
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
NUMERIC_KINDS = {"int", "dec1", "dec2", "num", "pct", "by_unit"}

# headline cards: indicator, and the indicator whose figure is shown beneath it
CARDS = [
    ("sampling_pass_rate", None),
    ("enforcement_inspection_person_times", "enforcement_entities_inspected"),
    ("water_bodies_not_black_rate", None),
    ("quality_competitiveness_index", None),
    ("remediation_investment_rate", "remediation_projects_completed"),
    ("enforcement_cases", "anticounterfeit_cases"),
    ("sampling_followup_open", "sampling_refusals"),
    ("enforcement_missed_transfers", "enforcement_transferred_cases"),
]
RATIO_UNITS = {"sampling_pass_rate": " 批 合格/判定", "water_bodies_not_black_rate": " 个水体 不黑臭/评估"}


def e(value) -> str:
    return escape(str(value), quote=True)


def _state(met: bool | None) -> str:
    return "neutral" if met is None else "met" if met else "missed"


def _pill(met: bool | None) -> str:
    if met is None:
        return '<span class="pill none">无目标 no target</span>'
    if met:
        return '<span class="pill met">达标 ✓ met</span>'
    return '<span class="pill missed">未达标 ✗ missed</span>'


def _figure(value, unit: str | None, indicator: str) -> str:
    shown = fmt.text(value, "pct" if unit == "%" else "dec1" if unit == "score" else "by_unit", unit)
    if unit == "yuan" and value is not None:
        shown, unit_text = f"{value / 10_000:,.1f}", "万元"
    else:
        unit_text = labels.unit_zh(indicator, unit)
    return f"{e(shown)}<small>{e(unit_text)}</small>"


def _detail(data: ReportData, indicator: str, extra: str | None) -> str:
    row = data.district[indicator]
    if indicator == "quality_competitiveness_index":
        band = labels.band_of(row["value"], data.index_config)
        return f"等级 {band['band_zh']} · {band['band']}" if band else ""
    if indicator == "remediation_investment_rate" and row["denominator"]:
        done = f"完成 {row['numerator'] / 1e8:,.2f} / 计划 {row['denominator'] / 1e8:,.2f} 亿元"
    elif row["numerator"] is not None and row["denominator"] is not None:
        done = (f"{fmt.text(row['numerator'], 'int')} / {fmt.text(row['denominator'], 'int')}"
                f"{RATIO_UNITS.get(indicator, '')}")
    else:
        done = ""
    if extra and extra in data.district:
        other = data.district[extra]
        shown = fmt.text(other["value"], "by_unit", other["unit"])
        also = f"{labels.zh(extra)} {shown}{labels.unit_zh(extra, other['unit'])}"
        done = " · ".join(p for p in (done, also) if p)
    return done


def _target_text(row: dict, direction: str | None) -> str:
    if row["target"] is None:
        return ""
    sign = "≥" if direction == "at_least" else "≤" if direction == "at_most" else ""
    unit = "%" if row["unit"] == "%" else ""
    return f"目标 {sign} {fmt.text(row['target'], 'num')}{unit}"


def _partial(data: ReportData, unit: str | None) -> str:
    """The mark on a count of a quarter still running: it will grow as the rest of the quarter arrives."""
    if not data.provisional or unit not in labels.COUNT_UNITS:
        return ""
    return f'<span class="partial">部分数据 partial · 季度已过 {data.elapsed:.0%} of the quarter</span>'


def kpi_cards(data: ReportData, directions: dict[str, str | None]) -> str:
    cards = []
    for indicator, extra in CARDS:
        row = data.district.get(indicator)
        if row is None:
            continue
        change = (None if row["value"] is None or row["previous_value"] is None
                  else row["value"] - row["previous_value"])
        target = e(_target_text(row, directions.get(indicator)))
        provisional = " provisional" if data.provisional else ""
        cards.append(
            f'<div class="kpi {_state(row["target_met"])}{provisional}" data-indicator="{e(indicator)}">'
            f'<div class="label">{e(labels.zh(indicator))}<span class="code">{e(indicator)}</span></div>'
            f'<div class="figure">{_figure(row["value"], row["unit"], indicator)}</div>'
            f'{_partial(data, row["unit"])}'
            f'<div class="detail">{e(_detail(data, indicator, extra)) or "&nbsp;"}</div>'
            f'<div class="foot"><span>{target}</span>{_pill(row["target_met"])}</div>'
            f'<div class="change">较上季 vs previous quarter {e(fmt.signed(change, row["unit"]))}</div>'
            "</div>")
    return f'<section id="headline"><h2>核心指标<span class="en">Headline figures</span></h2>' \
           f'<div class="kpis">{"".join(cards)}</div></section>'


def _cell(value, kind: str, row: dict) -> str:
    if kind == "met":
        return f"<td>{_pill(value) if value is not None else fmt.DASH}</td>"
    if kind == "text" and row.get("code") and value == row.get("label"):
        return f'<td>{e(value)}<span class="code">{e(row["code"])}</span></td>'
    css = ' class="num"' if kind in NUMERIC_KINDS else ""
    return f"<td{css}>{e(fmt.text(value, kind, row.get('_unit')))}</td>"


def table_html(table: Table) -> str:
    columns = [c for c in table.columns if not (c.key == "code" and table.key in ("district", "year"))]
    head = "".join(f'<th>{e(c.zh)}<span class="en">{e(c.en)}</span></th>' for c in columns)
    body = []
    for row in table.rows:
        css = ' class="total"' if row.get("_total") else ""
        body.append(f"<tr{css}>" + "".join(_cell(row.get(c.key), c.kind, row) for c in columns) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(columns)}">本季度暂无数据 / no data</td></tr>')
    note = f'<p class="note">{e(table.note)}</p>' if table.note else ""
    return (f'<section id="table-{e(table.key)}"><h2>{e(table.title_zh)}'
            f'<span class="en">{e(table.title_en)}</span></h2>'
            f'<div class="table-wrap"><table data-table="{e(table.key)}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>{note}</section>')


def _figures(charts: list[dict]) -> str:
    return "".join(
        f'<figure class="chart {e(chart["size"])}" data-chart="{e(chart["id"])}">'
        f'<figcaption><h3>{e(chart["title_zh"])}</h3>'
        f'<p class="en">{e(chart["title_en"])}</p></figcaption><div class="chart-body"></div>'
        f'<a class="data" href="#table-{e(chart["table"])}">数据表 / data table ↓</a></figure>'
        for chart in charts)


def chart_figures(charts: list[dict]) -> str:
    return (f'<section id="charts"><h2>图表<span class="en">Charts</span></h2><noscript>图表需要启用脚本 / '
            f'charts need JavaScript; the tables below hold every figure.</noscript>'
            f'<div class="charts">{_figures(charts)}</div></section>')


def year_section(data: ReportData, table: Table | None, charts: list[dict]) -> str:
    """The year to date against the annual targets: charts with the pro-rated pace line, then the table."""
    if table is None or not table.rows:
        return ""
    through = next((r["through"] for r in table.rows if r.get("through")), None)
    later = (f'<p class="note">年度数据截至 {e(through)}，晚于本报告季度 / the year runs through {e(through)}, '
             f"past this report's quarter</p>") if through and through > data.quarter else ""
    return (f'<section id="year"><h2>{e(data.year)} 年度累计<span class="en">The year to date, against the annual '
            f"targets</span></h2>{later}"
            f'<div class="charts">{_figures(charts)}</div>{table_html(table)}</section>')


def _stock_value(figure) -> str:
    return " ".join(filter(None, (fmt.text(figure.value, "num"), figure.unit_zh)))


def stock_section(data: ReportData) -> str:
    if not data.stock:
        return ""
    groups: dict[tuple[str, str], list] = {}
    for fig in data.stock:
        groups.setdefault((fig.group_zh, fig.group_en), []).append(fig)
    boxes = []
    for (zh, en), figs in groups.items():
        items = "".join(f"<dt>{e(f.label)}</dt><dd>{e(_stock_value(f))}</dd>" for f in figs)
        boxes.append(f'<div class="group"><h3>{e(zh)} <span class="en">{e(en)}</span></h3>'
                     f"<dl>{items}</dl></div>")
    return (f'<section id="stock"><h2>存量数据<span class="en">Stock figures, reference data kept by hand, '
            f'as at {e(quarters.end(data.quarter))}</span></h2>'
            f'<div class="stock">{"".join(boxes)}</div></section>')


def _json_for_script(payload: dict) -> str:
    """JSON that cannot end its <script> element early, whatever the strings in it hold."""
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, allow_nan=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def sample_banner(data: ReportData) -> str:
    """The 示例数据 / sample data mark, first thing on the page, when the warehouse holds sample data."""
    if not data.sample_data:
        return ""
    return (f'<div class="banner sample" role="note"><strong>{e(SAMPLE_ZH)} · {e(SAMPLE_EN)}</strong>：'
            f"{e(data.sample_data)}</div>")


def _status_banner(data: ReportData, as_of: str) -> str:
    if not data.provisional:
        return ""
    return (f'<div class="banner provisional" role="note"><strong>{e(labels.PROVISIONAL_ZH)} · provisional</strong>'
            f"：本季度尚未结束或仍在报送宽限期内，数据截至 {e(as_of)}（最后一次报送），季度已过 {data.elapsed:.0%}；"
            f"计数类指标只含已报送部分，会随后续报送增加。 The quarter is not over (or still within its delivery "
            f"grace period): data as of {e(as_of)}, the last delivery; {data.elapsed:.0%} of the quarter has "
            "elapsed, so counts are partial.</div>")


def render(data: ReportData, tables: dict[str, Table], charts: list[dict], directions: dict[str, str | None],
           city: str | None = None, year_charts: list[dict] | None = None) -> str:
    region, quarter = data.region, data.quarter
    title = f"{region.name} {quarters.label_zh(quarter)} 质量强区指标报告"
    if data.provisional:
        title += f"（{labels.PROVISIONAL_ZH}）"
    if data.sample_data:
        title += f"（{SAMPLE_ZH}）"
    as_of = data.data_as_of.strftime("%Y-%m-%d %H:%M") if data.data_as_of else fmt.DASH
    meta = [f"区划代码 {region.code}", f"统计期 {quarters.start(quarter)} 至 {quarters.end(quarter)}",
            f"数据截至 data as of {as_of}", f"{len(region.streets)} 个街道 streets"]
    status = labels.status_text(data.provisional, data.elapsed)
    order = ("district", "streets", "projects", "pass_rate", "person_times", "water")
    body_tables = [tables[k] for k in order]
    css = (ASSETS / "report.css").read_text(encoding="utf-8")
    script = (ASSETS / "report.js").read_text(encoding="utf-8")
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        f"<style>\n{css}</style>",
        "</head>",
        f'<body data-quarter="{e(quarter)}" data-period-status="{e(data.status)}">',
        '<header class="masthead">',
        f'<div class="region">{e(city or "")} {e(region.name)}</div>',
        f"<h1>{e(title)}</h1>",
        f'<div class="subtitle">Quality-strategy indicators report · {e(region.name)} '
        f"(region {e(region.code)}) · {e(quarters.label_short(quarter))}</div>",
        '<div class="meta">' + "".join(f"<span>{e(m)}</span>" for m in meta)
        + f'<span class="status {e(data.status)}">{e(status)}</span></div>',
        "</header>",
        "<main>",
        sample_banner(data),
        _status_banner(data, as_of),
        kpi_cards(data, directions),
        year_section(data, tables.get("year"), year_charts or []),
        chart_figures(charts),
        stock_section(data),
        *(table_html(t) for t in body_tables),
        '<footer>数据来源 Sources：marts.quarterly_indicators、marts.annual_indicators、core.remediation_projects'
        "（只读 read-only）。指标口径、目标与季度状态规则见本项目 docs/indicators.md；比率以百分数表示，金额以元计"
        "（图表与项目表为万元）。 Definitions, targets and status rules: docs/indicators.md in this project."
        " Rates in percent; money in yuan (10k yuan in the project chart and table).</footer>",
        "</main>",
        f'<script type="application/json" id="report-data">{_json_for_script({"charts": charts + (year_charts or [])})}</script>',
        f"<script>\n{script}</script>",
        "</body>",
        "</html>",
        "",
    ])
